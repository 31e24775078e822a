/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * X11 portal: cookie check and swap at connection setup, then a byte pipe.
 *
 * Bounded memory: before the cookie is checked a connection holds only its
 * setup bytes (<= PB_X11_SETUP_MAX); afterwards per direction a small buffer
 * (SMALL_SIZE) and a kernel pipe (<= PIPE_SIZE, filled only by splice from
 * the socket). A direction reads only while nothing of it is pending
 * (backpressure), so a client that never reads its replies only stalls
 * itself. Connections per proxy are capped.
 */
#include "x11.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "connect-notify.h"
#include "grants.h"
#include "log.h"
#include "pb-util.h"
#include "portals-config.h"
#include "sock.h"
#include "x11-proto.h"

extern char **environ;

#define SMALL_SIZE (16u * 1024)
/* The rewritten setup plus what the client pipelined after it. */
_Static_assert(SMALL_SIZE >= 2 * PB_X11_SETUP_MAX, "setup does not fit the buffer");
#define DEFAULT_MAX_CONNS 32
#define SNDBUF_SIZE       (512 * 1024)
/* Toward the X server: a whole 1 MB PutImage fits the queue (the kernel
 * doubles the value), so the proxy forwards an image without waiting for
 * the server to read part of it. The server drains this queue whatever the
 * client does; the queue toward the client, which may never read, keeps
 * SNDBUF_SIZE. */
#define UP_SNDBUF_SIZE (2048 * 1024)
#define PIPE_SIZE      (1024 * 1024)

struct xconn;

/* One direction of the byte pipe. Small messages (requests, replies,
 * events: the round trip) go through a small user-space buffer with one
 * recv and one send, the cheapest path for a few bytes. When a read fills
 * that buffer more is queued (an image), and the rest moves with splice(2)
 * through a kernel pipe: socket -> pipe -> peer socket, no copy through user
 * space, so only the X server's and the client's own copies remain. The
 * buffer also carries the rewritten setup request. */
struct dir {
        uint8_t *buf; /* SMALL_SIZE bytes */
        size_t start, end;
        int pipe[2];  /* [0] read end, [1] write end; -1 before setup */
        size_t piped; /* bytes in the pipe, not yet written to the peer */
        bool stream;  /* the last read was bulk: start the next with splice */
};

struct xside {
        struct pb_loop_watch w;
        struct xconn *conn;
        struct dir in; /* bytes read from this side, to be written to the peer */
        /* Adaptive busy-poll (pb_loop_expect): when the proxy last wrote to
         * this side with no answer from it since (0: answered), and how long
         * to poll for its answer. Learnt from the answers' delays, so a side
         * that answers in microseconds (an X server replying, a client in a
         * round-trip loop) is polled for, and one that does not is not. */
        uint64_t sent_at;
        uint32_t spin_ns;
};

struct xconn {
        struct xconn *next, *prev;
        struct pb_x11 *proxy;
        struct xside client, server;
        bool setup_done, closed;
        uint8_t setup[PB_X11_SETUP_MAX];
        size_t setup_len;
};

struct pb_x11 {
        struct pb_loop *loop;
        struct pb_loop_watch listen;
        char *name, *listen_path, *authfile_path, *upstream_path;
        char *display, *xauthority, *authgen;
        uid_t uid;
        gid_t gid;
        /* The sandbox's cookie: the upstream authorization's own when it is
         * a 16-byte MIT cookie (then an X client may also be handed a direct
         * connection), else a random one valid only here. */
        uint8_t cookie[PB_X11_COOKIE_LEN];
        bool direct_ok;
        uint8_t up_data[PB_X11_AUTH_FIELD_MAX];
        uint16_t up_len;
        unsigned long auth_id;
        bool have_auth, trusted, authfile_written, private_netns;
        unsigned sandbox_display;
        struct pb_connect_notify *direct;
        /* The user's own authority file (its cookie is trusted), as named and
         * resolved: no direct socket while the snap may read it. */
        char *xauth_paths[2];
        struct pb_grants *grants;
        struct xconn *conns;
        unsigned nconns, max_conns, refused_logged;
};

static bool granted(struct pb_x11 *x)
{
        return x->grants && pb_grants_service(x->grants, PB_SERVICE_X11);
}

static void dir_free(struct dir *d)
{
        free(d->buf);
        d->buf = NULL;
        for (int i = 0; i < 2; i++)
                if (d->pipe[i] >= 0)
                        close(d->pipe[i]);
        d->pipe[0] = d->pipe[1] = -1;
}

static void xconn_free(void *data)
{
        struct xconn *c = data;
        dir_free(&c->client.in);
        dir_free(&c->server.in);
        free(c);
}

static void xconn_close(struct xconn *c, const char *why)
{
        if (c->closed)
                return;
        struct pb_x11 *x = c->proxy;
        if (why)
                pb_debug("x11[%s]: closing a connection: %s", x->name, why);
        c->closed = true;
        pb_loop_close(x->loop, &c->client.w);
        pb_loop_close(x->loop, &c->server.w);
        if (c->prev)
                c->prev->next = c->next;
        else
                x->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        x->nconns--;
        pb_loop_defer(x->loop, xconn_free, c);
}

static struct xside *xpeer(struct xside *s)
{
        return s == &s->conn->client ? &s->conn->server : &s->conn->client;
}

/* Busy-poll budgets: answers slower than SPIN_MAX_NS are waited for
 * blocked; a budget under SPIN_MIN_NS is not worth a poll. */
#define SPIN_MAX_NS 60000u
#define SPIN_MIN_NS 2000u

static void spin_shrink(struct xside *s)
{
        s->spin_ns /= 2;
        if (s->spin_ns < SPIN_MIN_NS)
                s->spin_ns = 0;
}

/* Something is expected from s: the proxy just wrote to it (a request, a
 * reply), or read a bulk chunk from it (an image: the rest follows as soon
 * as s is woken by the room that read made). Poll for it if s answers
 * quickly. An expectation renewed while the previous one is unmet past its
 * budget (requests without replies) means polling did not pay: shrink. */
static void expect_from(struct xside *s)
{
        uint64_t now = pb_mono_ns();
        if (s->sent_at && now - s->sent_at > s->spin_ns)
                spin_shrink(s);
        s->sent_at = now;
        if (s->spin_ns)
                pb_loop_expect(s->conn->proxy->loop, s->conn, s->spin_ns);
}

/* s said something: learn how long it took since the proxy wrote to it.
 * Twice that delay leaves room for the usual jitter. */
static void note_answer(struct xside *s)
{
        if (!s->sent_at)
                return;
        uint64_t dt = pb_mono_ns() - s->sent_at;
        s->sent_at = 0;
        if (dt > SPIN_MAX_NS)
                spin_shrink(s);
        else if (2 * dt > s->spin_ns)
                s->spin_ns = 2 * dt > SPIN_MAX_NS ? SPIN_MAX_NS : (uint32_t)(2 * dt);
}

static bool dir_pending(const struct dir *d)
{
        return d->start < d->end || d->piped > 0;
}

/* Writes s->in (setup bytes first, then the pipe) to the peer. <0 on a
 * fatal error. */
static int pump_out(struct xside *s)
{
        struct dir *d = &s->in;
        struct xside *peer = xpeer(s);
        int out = peer->w.fd;
        bool sent = false;
        int r = 0;
        while (d->start < d->end) {
                ssize_t w =
                    send(out, d->buf + d->start, d->end - d->start, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (w < 0) {
                        r = errno == EAGAIN || errno == EINTR ? 0 : -errno;
                        goto out;
                }
                d->start += (size_t)w;
                sent = true;
        }
        d->start = d->end = 0;
        while (d->piped > 0) {
                ssize_t w = splice(d->pipe[0], NULL, out, NULL, d->piped,
                                   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
                if (w < 0 && errno == EPIPE) {
                        pb_sock_eat_sigpipe(); /* splice has no MSG_NOSIGNAL */
                        return -EPIPE;
                }
                if (w < 0) {
                        r = errno == EAGAIN || errno == EINTR ? 0 : -errno;
                        goto out;
                }
                if (w == 0)
                        return -EIO; /* cannot happen: the pipe holds data */
                d->piped -= (size_t)w;
                sent = true;
        }
out:
        if (sent && r == 0)
                expect_from(peer);
        return r;
}

/* Reads what s has to say while nothing of it is pending, forwarding as it
 * goes: first into the small buffer, then, if that filled up, into the pipe.
 * Reading only into an empty pipe means the pipe always has room (its
 * capacity counts pages, not bytes, so a partly filled one might not). */
static int pump_in(struct xside *s)
{
        struct dir *d = &s->in;
        /* In the middle of an image the small buffer's recv and send would
         * only add two syscalls and a copy per chunk. */
        bool bulk = d->stream;
        /* A few rounds at most: other connections get their turn. */
        for (int round = 0; round < 8 && !dir_pending(d); round++) {
                size_t want = bulk ? PIPE_SIZE : SMALL_SIZE;
                ssize_t n = bulk ? splice(s->w.fd, NULL, d->pipe[1], NULL, want,
                                          SPLICE_F_MOVE | SPLICE_F_NONBLOCK)
                                 : recv(s->w.fd, d->buf, want, MSG_DONTWAIT);
                if (n < 0)
                        return errno == EAGAIN || errno == EINTR ? 0 : -errno;
                if (n == 0)
                        return -EPIPE;
                if (round == 0)
                        note_answer(s);
                if (bulk)
                        d->piped = (size_t)n;
                else
                        d->end = (size_t)n;
                int r = pump_out(s);
                if (r < 0)
                        return r;
                /* A short read drained the socket; epoll is level-triggered,
                 * so skip the read that would only say EAGAIN (one syscall
                 * less per message: it shows in the round trip). */
                if ((size_t)n < (bulk ? want / 2 : want)) {
                        d->stream = (size_t)n >= SMALL_SIZE;
                        break;
                }
                bulk = d->stream = true;
        }
        if (d->stream)
                expect_from(s);
        return 0;
}

static void update(struct xconn *c)
{
        if (c->closed)
                return;
        struct xside *sides[2] = {&c->client, &c->server};
        for (int i = 0; i < 2; i++) {
                struct xside *s = sides[i];
                uint32_t ev = 0;
                if (!dir_pending(&s->in))
                        ev |= EPOLLIN;
                if (dir_pending(&xpeer(s)->in))
                        ev |= EPOLLOUT;
                if (pb_loop_mod(c->proxy->loop, &s->w, ev) < 0)
                        xconn_close(c, "epoll_ctl failed");
        }
}

static void pipe_event(struct pb_loop_watch *w, uint32_t events)
{
        struct xside *s = (struct xside *)w;
        struct xconn *c = s->conn;
        int r = 0;
        if (events & EPOLLOUT)
                r = pump_out(xpeer(s));
        if (r == 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                r = pump_in(s);
        if (r < 0) {
                if (r == -EPIPE)
                        (void)pump_out(s); /* hand over what is left */
                xconn_close(c, r == -EPIPE ? "end of stream" : "I/O error");
                return;
        }
        update(c);
}

/* Bulk images (PutImage/GetImage of a megabyte) move in fewer, larger
 * writes when the socket may queue more than the default ~200 KiB; the
 * kernel memory this costs is bounded by the connection cap. */
static void big_sndbuf(int fd, int v)
{
        if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) < 0)
                (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

static int dir_pipe(struct dir *d)
{
        if (pipe2(d->pipe, O_CLOEXEC | O_NONBLOCK) < 0)
                return -errno;
        /* Room for a whole socket queue per splice; failure only means
         * smaller steps. */
        (void)fcntl(d->pipe[1], F_SETPIPE_SZ, PIPE_SIZE);
        return 0;
}

/* The client's setup request is complete and its cookie checked: connect
 * upstream with the SECURITY-generated authorization instead. */
static int start_pipe(struct xconn *c, const struct pb_x11_setup *s)
{
        struct pb_x11 *x = c->proxy;
        int up = pb_sock_connect_as(x->upstream_path, x->uid, x->gid);
        if (up < 0) {
                errno = -up;
                if (x->refused_logged++ < 16) /* no journal flood */
                        pb_warn("x11[%s]: connecting to %s: %m", x->name, x->upstream_path);
                return up;
        }
        struct dir *d = &c->client.in;
        if (!(d->buf = malloc(SMALL_SIZE)) || !(c->server.in.buf = malloc(SMALL_SIZE)) ||
            dir_pipe(&c->client.in) < 0 || dir_pipe(&c->server.in) < 0) {
                close(up);
                return -ENOMEM; /* the pipes and buffer go with the connection */
        }
        const char *name = PB_X11_AUTH_NAME;
        d->end = pb_x11_setup_build(d->buf, SMALL_SIZE, s, (const uint8_t *)name,
                                    (uint16_t)strlen(name), x->up_data, x->up_len);
        /* Requests the client pipelined after its setup follow unchanged. */
        size_t extra = c->setup_len - s->total;
        memcpy(d->buf + d->end, c->setup + s->total, extra);
        d->end += extra;
        big_sndbuf(up, UP_SNDBUF_SIZE);
        big_sndbuf(c->client.w.fd, SNDBUF_SIZE);
        if (pb_loop_add(x->loop, &c->server.w, up, EPOLLOUT, pipe_event) < 0) {
                close(up);
                return -EIO;
        }
        c->client.w.cb = pipe_event;
        c->setup_done = true;
        x->refused_logged = 0;
        int r = pump_out(&c->client);
        if (r < 0)
                return r;
        update(c);
        return 0;
}

static void reject(struct xconn *c, const struct pb_x11_setup *s, const char *reason)
{
        uint8_t out[300];
        size_t n = pb_x11_setup_failed(out, sizeof(out), s, reason);
        /* Best effort: a fresh socket has room for 300 bytes. */
        (void)!send(c->client.w.fd, out, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        xconn_close(c, reason);
}

static void setup_event(struct pb_loop_watch *w, uint32_t events)
{
        struct xside *cs = (struct xside *)w;
        struct xconn *c = cs->conn;
        ssize_t n =
            recv(w->fd, c->setup + c->setup_len, sizeof(c->setup) - c->setup_len, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0) {
                xconn_close(c, "closed during setup");
                return;
        }
        c->setup_len += (size_t)n;
        struct pb_x11_setup s;
        int r = pb_x11_setup_parse(c->setup, c->setup_len, &s);
        if (r < 0) {
                pb_info("x11[%s]: malformed connection setup, closing", c->proxy->name);
                xconn_close(c, "bad setup");
                return;
        }
        if (r == 0) {
                if (c->setup_len == sizeof(c->setup))
                        xconn_close(c, "setup too long");
                return;
        }
        if (!pb_x11_cookie_ok(&s, c->proxy->cookie)) {
                pb_info("x11[%s]: wrong cookie, connection refused", c->proxy->name);
                reject(c, &s, "Invalid MIT-MAGIC-COOKIE-1 key");
                return;
        }
        if (!granted(c->proxy)) {
                reject(c, &s, "x11 is not connected");
                return;
        }
        if (start_pipe(c, &s) < 0)
                reject(c, &s, "cannot reach the X server");
}

static void listen_event(struct pb_loop_watch *w, uint32_t events)
{
        struct pb_x11 *x = (struct pb_x11 *)((char *)w - offsetof(struct pb_x11, listen));
        for (int i = 0; i < 64; i++) {
                int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0)
                        return;
                const char *why = NULL;
                if (!granted(x))
                        why = "x11 is not connected";
                else if (!x->have_auth)
                        why = "no upstream authorization";
                else if (x->nconns >= x->max_conns)
                        why = "too many connections";
                struct xconn *c = why ? NULL : calloc(1, sizeof(*c));
                if (!c || pb_loop_add(x->loop, &c->client.w, fd, EPOLLIN, setup_event) < 0) {
                        if (x->refused_logged++ < 16)
                                pb_info("x11[%s]: refused a connection: %s", x->name,
                                        why ? why : "out of resources");
                        free(c);
                        close(fd);
                        continue;
                }
                c->proxy = x;
                c->client.conn = c->server.conn = c;
                c->client.w.group = c->server.w.group = c;
                c->server.w.fd = -1;
                c->server.w.dead = true; /* until connected upstream */
                c->client.in.pipe[0] = c->client.in.pipe[1] = -1;
                c->server.in.pipe[0] = c->server.in.pipe[1] = -1;
                c->next = x->conns;
                if (x->conns)
                        x->conns->prev = c;
                x->conns = c;
                x->nconns++;
        }
}

struct call_args {
        struct pb_x11 *x;
        struct pb_grants *g;
        int fd, r;
        unsigned n;
};

/* ---- the authorization helper ---- */

static const char *authgen_path(const struct pb_x11_config *cfg)
{
        if (cfg->authgen_path)
                return cfg->authgen_path;
        if (access(PB_X11_AUTHGEN_INSTALLED, X_OK) == 0)
                return PB_X11_AUTHGEN_INSTALLED;
        return PB_X11_AUTHGEN_BUILD;
}

/* Runs the helper; its stdout (<= cap-1 bytes, NUL-terminated) in out. */
static int run_helper(struct pb_x11 *x, const char *verb, const char *arg, char *out, size_t cap,
                      struct pb_error *err)
{
        char uid[16], gid[16];
        snprintf(uid, sizeof(uid), "%u", (unsigned)x->uid);
        snprintf(gid, sizeof(gid), "%u", (unsigned)x->gid);
        char *argv[] = {x->authgen,  (char *)verb, uid,
                        gid,         x->display,   x->xauthority ? x->xauthority : (char *)"-",
                        (char *)arg, NULL};
        int pfd[2];
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return pb_error_set(err, errno, "pipe: %m");
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
        pid_t pid;
        int r = posix_spawn(&pid, x->authgen, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(pfd[1]);
        if (r) {
                close(pfd[0]);
                return pb_error_set(err, r, "running %s: %s", x->authgen, strerror(r));
        }
        size_t got = 0;
        for (;;) {
                struct pollfd p = {.fd = pfd[0], .events = POLLIN};
                if (poll(&p, 1, 15000) <= 0)
                        break;
                ssize_t n = read(pfd[0], out + got, cap - 1 - got);
                if (n <= 0)
                        break;
                got += (size_t)n;
                if (got == cap - 1)
                        break;
        }
        out[got] = 0;
        close(pfd[0]);
        int status = -1;
        pid_t w;
        while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
                ;
        if (w != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return pb_error_set(err, EACCES, "%s %s failed for display %s (see its log)",
                                    x->authgen, verb, x->display);
        return 0;
}

static int generate_auth(struct pb_x11 *x, bool trusted, struct pb_error *err)
{
        char out[1024];
        int r = run_helper(x, "generate", trusted ? "trusted" : "untrusted", out, sizeof(out), err);
        if (r < 0)
                return r;
        char name[64], hex[2 * PB_X11_AUTH_FIELD_MAX + 1];
        unsigned long id;
        if (sscanf(out, "%63s %512s %lu", name, hex, &id) != 3 || strcmp(name, PB_X11_AUTH_NAME) ||
            strlen(hex) % 2)
                return pb_error_set(err, EPROTO, "unexpected output from %s", x->authgen);
        size_t n = strlen(hex) / 2;
        for (size_t i = 0; i < n; i++) {
                unsigned v;
                if (sscanf(hex + 2 * i, "%2x", &v) != 1)
                        return pb_error_set(err, EPROTO, "bad cookie from %s", x->authgen);
                x->up_data[i] = (uint8_t)v;
        }
        x->up_len = (uint16_t)n;
        x->auth_id = id;
        x->have_auth = true;
        return 0;
}

/* The sandbox's cookie for the current authorization (see struct pb_x11). */
static int pick_cookie(struct pb_x11 *x, struct pb_error *err)
{
        x->direct_ok = x->up_len == PB_X11_COOKIE_LEN;
        if (x->direct_ok)
                memcpy(x->cookie, x->up_data, sizeof(x->cookie));
        else if (getrandom(x->cookie, sizeof(x->cookie), 0) != sizeof(x->cookie))
                return pb_error_set(err, errno, "getrandom: %m");
        return 0;
}

/* Creates the authority file, or rewrites it in place: the sandbox binds
 * this inode, so a new authorization must land in the same file. */
static int write_authfile(struct pb_x11 *x, bool create, struct pb_error *err)
{
        uint8_t buf[128];
        size_t n = pb_x11_xauth_entry(buf, sizeof(buf), x->sandbox_display, PB_X11_AUTH_NAME,
                                      x->cookie, sizeof(x->cookie));
        if (create)
                unlink(x->authfile_path);
        int flags = O_WRONLY | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0);
        _cleanup_fd_ int fd = open(x->authfile_path, flags, 0600);
        if (fd < 0)
                return pb_error_set(err, errno, "opening %s: %m", x->authfile_path);
        if (create && x->uid != (uid_t)-1 && fchown(fd, x->uid, x->gid) < 0)
                return pb_error_set(err, errno, "chown %s: %m", x->authfile_path);
        if (pwrite(fd, buf, n, 0) != (ssize_t)n || ftruncate(fd, (off_t)n) < 0)
                return pb_error_set(err, EIO, "writing %s", x->authfile_path);
        return 0;
}

/* The upstream authorization dies at the X server, which closes every
 * client still using it: the direct connections, which the broker holds no
 * handle on. */
static void revoke_auth(struct pb_x11 *x)
{
        if (!x->have_auth)
                return;
        x->have_auth = false;
        char id[32], out[64];
        snprintf(id, sizeof(id), "%lu", x->auth_id);
        struct pb_error e;
        if (run_helper(x, "revoke", id, out, sizeof(out), &e) < 0)
                pb_warn("x11[%s]: %s", x->name, e.msg);
}

/* A new authorization after a revoke (x11 connected again). */
static void renew_auth(struct pb_x11 *x)
{
        struct pb_error e = {0};
        if (generate_auth(x, x->trusted, &e) < 0 || pick_cookie(x, &e) < 0 ||
            write_authfile(x, false, &e) < 0) {
                /* Fail closed: without an authorization nothing connects. */
                x->have_auth = false;
                pb_warn("x11[%s]: no new authorization: %s", x->name, e.msg);
        }
}

/* ---- direct connections ---- */

/* x->xauth_paths: the caller's XAUTHORITY, or ~/.Xauthority as the helper
 * reads it, and where it resolves to (if it exists). */
static void resolve_user_xauth(struct pb_x11 *x)
{
        if (x->xauthority) {
                x->xauth_paths[0] = strdup(x->xauthority);
        } else {
                struct passwd pw, *res = NULL;
                char buf[4096];
                if (getpwuid_r(x->uid, &pw, buf, sizeof(buf), &res) == 0 && res &&
                    asprintf(&x->xauth_paths[0], "%s/.Xauthority", pw.pw_dir) < 0)
                        x->xauth_paths[0] = NULL;
        }
        /* Unknown (NULL): user_cookie_readable says yes. */
        if (x->xauth_paths[0])
                x->xauth_paths[1] = realpath(x->xauth_paths[0], NULL);
}

/* Whether sa names the sandbox's display: "/tmp/.X11-unix/X<n>", as a path
 * or in the abstract namespace (which xcb tries first). */
static bool display_addr(const struct pb_x11 *x, const struct sockaddr_un *sa, socklen_t len,
                         bool *abstract)
{
        size_t n = len - offsetof(struct sockaddr_un, sun_path);
        const char *p = sa->sun_path;
        *abstract = n > 0 && p[0] == '\0';
        if (*abstract) {
                p++;
                n--;
        } else {
                n = strnlen(p, n);
        }
        char want[32];
        int w = snprintf(want, sizeof(want), "/tmp/.X11-unix/X%u", x->sandbox_display);
        return (size_t)w == n && memcmp(p, want, n) == 0;
}

static bool x11_abstract(const struct sockaddr_un *sa, socklen_t len)
{
        size_t n = len - offsetof(struct sockaddr_un, sun_path);
        static const char prefix[] = "/tmp/.X11-unix/";
        return n > sizeof(prefix) - 1 && sa->sun_path[0] == '\0' &&
               memcmp(sa->sun_path + 1, prefix, sizeof(prefix) - 1) == 0;
}

/* The X server accepts any valid cookie on a direct socket: a snap that may
 * read the user's own authority file could present its trusted cookie
 * there. Its clients are proxied instead, where only the sandbox's cookie
 * passes. A path that is not absolute and clean counts as readable. */
static bool user_cookie_readable(const struct pb_x11 *x)
{
        for (int i = 0; i < 2; i++) {
                const char *p = x->xauth_paths[i];
                if (!p)
                        continue;
                if (p[0] != '/' || strstr(p, "/../") || strstr(p, "/./") || strstr(p, "//"))
                        return true;
                if (pb_grants_path(x->grants, p) & PB_ACCESS_READ)
                        return true;
        }
        return !x->xauth_paths[0];
}

/* pb_connect_claim for the sandbox's X clients: with x11 connected, a socket
 * connected to the X server itself. The client then presents the cookie of
 * its authority file, which is the SECURITY-generated authorization, so the
 * server treats it as untrusted; nothing sits between them, and a
 * disconnect cuts the socket (pb_connect_notify_cut in do_publish).
 * Everything else takes the usual way: the portal's socket, which refuses
 * with a reason. */
static int direct_claim(void *data, const struct sockaddr_un *sa, socklen_t len, bool room, int *fd)
{
        struct pb_x11 *x = data;
        bool abstract = false;
        bool ours = display_addr(x, sa, len, &abstract);
        bool ready = ours && granted(x) && x->have_auth && x->direct_ok && !user_cookie_readable(x);
        if (!ready)
                /* Other abstract X sockets are the host's displays. */
                return abstract || x11_abstract(sa, len) ? -ECONNREFUSED : 0;
        if (!room) {
                if (x->refused_logged++ < 16)
                        pb_info("x11[%s]: refused a connection: too many connections", x->name);
                return -ECONNREFUSED; /* the cap: one sandbox cannot fill the server */
        }
        int up = pb_sock_connect_as(x->upstream_path, x->uid, x->gid);
        if (up < 0) {
                errno = -up;
                if (x->refused_logged++ < 16)
                        pb_warn("x11[%s]: connecting to %s: %m", x->name, x->upstream_path);
                return 0; /* the portal's socket answers with the reason */
        }
        *fd = up;
        return 1;
}

static void add_direct(void *data)
{
        struct call_args *a = data;
        pb_connect_notify_free(a->x->direct);
        a->x->direct = NULL;
        /* The same cap as the proxy's: connections per sandbox. */
        a->r = pb_connect_notify_new(a->x->loop, a->fd, a->x->max_conns, direct_claim, a->x,
                                     &a->x->direct);
}

int pb_x11_direct_listen(struct pb_x11 *x, int listener)
{
        struct call_args a = {.x = x, .fd = listener};
        if (pb_loop_call(x->loop, add_direct, &a) < 0) {
                close(listener);
                return -EIO;
        }
        return a.r;
}

/* ---- public API ---- */

static void add_listener(void *data)
{
        struct call_args *a = data;
        a->r = pb_loop_add(a->x->loop, &a->x->listen, a->fd, EPOLLIN, listen_event);
}

int pb_x11_new(struct pb_loop *loop, const struct pb_x11_config *cfg, struct pb_grants *grants,
               struct pb_x11 **out, struct pb_error *err)
{
        char up[108];
        if (!cfg->listen_path || !cfg->authfile_path)
                return pb_error_set(err, EINVAL, "x11 portal: missing paths");
        if (pb_x11_display_path(cfg->display, up, sizeof(up)) < 0)
                return pb_error_set(err, EINVAL, "x11 portal: DISPLAY %s is not a local display",
                                    cfg->display ? cfg->display : "(unset)");
        struct pb_x11 *x = calloc(1, sizeof(*x));
        if (!x)
                return pb_error_set(err, ENOMEM, "out of memory");
        x->loop = loop;
        x->listen.fd = -1;
        x->uid = cfg->owner_uid;
        x->gid = cfg->owner_gid;
        x->max_conns = cfg->max_conns ? cfg->max_conns : DEFAULT_MAX_CONNS;
        x->name = strdup(cfg->name ? cfg->name : "?");
        x->listen_path = strdup(cfg->listen_path);
        x->authfile_path = strdup(cfg->authfile_path);
        x->upstream_path = strdup(up);
        x->display = strdup(cfg->display);
        x->xauthority = cfg->xauthority ? strdup(cfg->xauthority) : NULL;
        x->authgen = strdup(authgen_path(cfg));
        x->grants = grants ? pb_grants_ref(grants) : NULL;
        int r;
        if (!x->name || !x->listen_path || !x->authfile_path || !x->upstream_path || !x->display ||
            !x->authgen || (cfg->xauthority && !x->xauthority)) {
                r = pb_error_set(err, ENOMEM, "out of memory");
                goto fail;
        }
        x->trusted = cfg->trusted;
        x->private_netns = cfg->private_netns;
        x->sandbox_display = cfg->sandbox_display;
        resolve_user_xauth(x);
        r = generate_auth(x, cfg->trusted, err);
        if (r == 0)
                r = pick_cookie(x, err);
        if (r < 0)
                goto fail;
        r = write_authfile(x, true, err);
        if (r < 0)
                goto fail;
        x->authfile_written = true;
        int fd = pb_sock_listen(cfg->listen_path, cfg->owner_uid, cfg->owner_gid, err);
        if (fd < 0) {
                r = fd;
                goto fail;
        }
        struct call_args a = {.x = x, .fd = fd};
        pb_loop_call(loop, add_listener, &a);
        if (a.r < 0) {
                close(fd);
                r = pb_error_set(err, -a.r, "epoll_ctl failed");
                goto fail;
        }
        *out = x;
        return 0;
fail:
        pb_x11_free(x);
        return r;
}

static void close_all(void *data)
{
        struct pb_x11 *x = data;
        pb_loop_close(x->loop, &x->listen);
        pb_connect_notify_free(x->direct);
        x->direct = NULL;
        while (x->conns)
                xconn_close(x->conns, NULL);
}

void pb_x11_free(struct pb_x11 *x)
{
        if (!x)
                return;
        pb_loop_call(x->loop, close_all, x);
        if (x->listen.dead || x->listen.fd >= 0)
                unlink(x->listen_path);
        if (x->authfile_written)
                unlink(x->authfile_path);
        revoke_auth(x);
        if (x->grants)
                pb_grants_unref(x->grants);
        free(x->name);
        free(x->listen_path);
        free(x->authfile_path);
        free(x->upstream_path);
        free(x->display);
        free(x->xauthority);
        free(x->authgen);
        free(x->xauth_paths[0]);
        free(x->xauth_paths[1]);
        free(x);
}

static void do_publish(void *data)
{
        struct call_args *a = data;
        struct pb_x11 *x = a->x;
        struct pb_grants *old = x->grants;
        x->grants = a->g ? pb_grants_ref(a->g) : NULL;
        if (!granted(x)) {
                while (x->conns)
                        xconn_close(x->conns, "x11 disconnected");
                /* The direct connections: cut in their holders, whatever
                 * cookie they presented. A sandbox sharing the host's network
                 * namespace may reach the server another way (TCP, an
                 * abstract socket on kernels without Landlock's scope) with
                 * the cookie it holds: the authorization dies at the server
                 * then, which closes anything still using it. In a private
                 * namespace there is no other way, and a helper process per
                 * sandbox and disconnect is not spent. */
                pb_connect_notify_cut(x->direct);
                if (!x->private_netns)
                        revoke_auth(x);
        } else if (!x->have_auth) {
                renew_auth(x);
        }
        if (old)
                pb_grants_unref(old);
}

int pb_x11_publish(struct pb_x11 *x, struct pb_grants *grants)
{
        struct call_args a = {.x = x, .g = grants};
        return pb_loop_call(x->loop, do_publish, &a);
}

static void do_count(void *data)
{
        struct call_args *a = data;
        a->n = a->x->nconns;
}

unsigned pb_x11_conn_count(struct pb_x11 *x)
{
        struct call_args a = {.x = x};
        pb_loop_call(x->loop, do_count, &a);
        return a.n;
}
