/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Answering a sandbox's connect(2) calls from its seccomp listener (see
 * connect-notify.h). */
#include "connect-notify.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "pb-util.h"
#include "pidns.h"

/* Sockets handed over and not yet cut: their inode numbers (the broker
 * keeps no descriptor of them: a kept duplicate would hold a closed
 * connection open at the peer). At the owner's cap (max_live), a scan drops
 * those no process holds any more; if none went, the connect is refused:
 * one sandbox cannot take all of the X server's client slots. */
#define MAX_HANDED 256

struct pb_connect_notify {
        struct pb_loop_watch w; /* first: the callback gets &w */
        struct pb_loop *loop;
        pb_connect_claim claim;
        void *data;
        struct seccomp_notif *req;
        struct seccomp_notif_resp *resp;
        size_t req_size, resp_size;
        ino_t handed[MAX_HANDED];
        size_t n_handed, max_live;
        uint64_t scanned_at;   /* when make_room last scanned */
        struct pb_pidns pidns; /* the sandbox's (ino 0: not seen yet) */
};

/* The calling process's socket, as far as the decision needs it. */
struct target {
        int fd;       /* our copy of it (pidfd_getfd), -1 if none */
        int fl;       /* its file status flags (O_NONBLOCK) */
        bool cloexec; /* its descriptor flag */
};

static bool read_addr(pid_t pid, uint64_t addr, socklen_t len, struct sockaddr_un *sa)
{
        struct iovec local = {.iov_base = sa, .iov_len = len};
        struct iovec remote = {.iov_base = (void *)(uintptr_t)addr, .iov_len = len};
        return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len;
}

static bool fd_cloexec(pid_t pid, int fd)
{
        char path[64], line[128];
        snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
        _cleanup_file_ FILE *f = fopen(path, "re");
        unsigned long flags = 0;
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "flags: %lo", &flags) == 1)
                        return flags & O_CLOEXEC;
        return false;
}

/* An unconnected AF_UNIX stream socket of the caller, or fd = -1. */
static struct target inspect(pid_t pid, int pidfd, int remote_fd)
{
        struct target t = {.fd = -1};
        int fd = (int)syscall(SYS_pidfd_getfd, pidfd, remote_fd, 0);
        if (fd < 0)
                return t;
        int domain = 0, type = 0;
        socklen_t l1 = sizeof(domain), l2 = sizeof(type);
        struct sockaddr_un peer;
        socklen_t pl = sizeof(peer);
        if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &l1) < 0 || domain != AF_UNIX ||
            getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l2) < 0 || type != SOCK_STREAM ||
            getpeername(fd, (struct sockaddr *)&peer, &pl) == 0 || errno != ENOTCONN ||
            (t.fl = fcntl(fd, F_GETFL)) < 0) {
                close(fd);
                return t;
        }
        t.fd = fd;
        t.cloexec = fd_cloexec(pid, remote_fd);
        return t;
}

struct each_ctx {
        void (*fn)(void *data, pid_t pid, int fd, ino_t ino);
        void *data;
};

static void sockets_of(pid_t pid, void *data)
{
        struct each_ctx *c = data;
        char path[64], link[64];
        snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
        _cleanup_dir_ DIR *fds = opendir(path);
        struct dirent *f;
        while (fds && (f = readdir(fds))) {
                unsigned long ino;
                ssize_t l = readlinkat(dirfd(fds), f->d_name, link, sizeof(link) - 1);
                if (l <= 0)
                        continue;
                link[l] = '\0';
                if (sscanf(link, "socket:[%lu]", &ino) == 1)
                        c->fn(c->data, pid, atoi(f->d_name), (ino_t)ino);
        }
}

/* Calls fn(data, pid, fd, ino) for every socket descriptor of every process
 * in the sandbox's pid namespace. */
static void each_socket(const struct pb_connect_notify *n,
                        void (*fn)(void *data, pid_t pid, int fd, ino_t ino), void *data)
{
        struct each_ctx c = {.fn = fn, .data = data};
        pb_pidns_each(&n->pidns, sockets_of, &c);
}

static bool is_handed(const struct pb_connect_notify *n, ino_t ino)
{
        for (size_t i = 0; i < n->n_handed; i++)
                if (n->handed[i] == ino)
                        return true;
        return false;
}

struct cut_ctx {
        struct pb_connect_notify *n;
        unsigned cut;
};

/* Shut a handed-over socket down in its holder: both ends see the end of
 * the connection at once, whatever the holder does. */
static void cut_one(void *data, pid_t pid, int fd, ino_t ino)
{
        struct cut_ctx *c = data;
        if (!is_handed(c->n, ino))
                return;
        _cleanup_fd_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        _cleanup_fd_ int copy = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
        if (copy >= 0 && shutdown(copy, SHUT_RDWR) == 0)
                c->cut++;
}

struct keep_ctx {
        const struct pb_connect_notify *n;
        ino_t *live;
        size_t n_live;
};

static void keep_one(void *data, pid_t pid, int fd, ino_t ino)
{
        (void)pid;
        (void)fd;
        struct keep_ctx *k = data;
        if (!is_handed(k->n, ino) || k->n_live >= k->n->max_live)
                return;
        /* One socket, several holders (fork, SCM_RIGHTS): one record. */
        for (size_t i = 0; i < k->n_live; i++)
                if (k->live[i] == ino)
                        return;
        k->live[k->n_live++] = ino;
}

/* Scans of a full record at most every SCAN_GAP_NS: a sandbox flooding
 * connect at its cap costs the loop no more than that. */
#define SCAN_GAP_NS (100 * 1000 * 1000ull)

/* Room for one more record: forget the sockets no process holds. */
static bool make_room(struct pb_connect_notify *n)
{
        if (n->n_handed < n->max_live)
                return true;
        uint64_t now = pb_mono_ns();
        if (n->scanned_at && now - n->scanned_at < SCAN_GAP_NS)
                return false;
        n->scanned_at = now;
        _cleanup_free_ ino_t *live = calloc(MAX_HANDED, sizeof(*live));
        if (!live)
                return false;
        struct keep_ctx k = {.n = n, .live = live};
        each_socket(n, keep_one, &k);
        memcpy(n->handed, live, k.n_live * sizeof(*live));
        n->n_handed = k.n_live;
        return n->n_handed < n->max_live;
}

/* Replace the caller's socket with fd (ours, closed here). */
static int hand_over(struct pb_connect_notify *n, const struct target *t, int remote_fd, int fd)
{
        int r = 0;
        struct stat st;
        if (fstat(fd, &st) < 0)
                r = -errno;
        if (r == 0 && fcntl(fd, F_SETFL, t->fl & O_NONBLOCK) < 0)
                r = -errno;
        struct seccomp_notif_addfd add = {.id = n->req->id,
                                          .flags = SECCOMP_ADDFD_FLAG_SETFD,
                                          .srcfd = (uint32_t)fd,
                                          .newfd = (uint32_t)remote_fd,
                                          .newfd_flags = t->cloexec ? O_CLOEXEC : 0};
        if (r == 0 && ioctl(n->w.fd, SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0)
                r = -errno;
        if (r == 0)
                n->handed[n->n_handed++] = st.st_ino;
        close(fd);
        return r;
}

/* The sandbox's pid namespace, learnt from its first caller (its processes
 * cannot make another: the launcher's seccomp filter denies CLONE_NEWPID).
 * False if the caller is not in it. */
static bool note_pidns(struct pb_connect_notify *n, pid_t pid)
{
        struct pb_pidns ns;
        if (!pb_pidns_of(pid, &ns))
                return false;
        if (!n->pidns.ino)
                n->pidns = ns;
        return ns.dev == n->pidns.dev && ns.ino == n->pidns.ino;
}

/* The process of a thread (the notification names the calling thread;
 * pidfd_open wants a thread-group leader), or -1. */
static pid_t thread_group(pid_t tid)
{
        char path[64], line[128];
        snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
        _cleanup_file_ FILE *f = fopen(path, "re");
        int tgid = -1;
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "Tgid: %d", &tgid) == 1)
                        break;
        return (pid_t)tgid;
}

/* Decide one call: 0 pass, 1 handed over, -errno refuse. */
static int decide(struct pb_connect_notify *n)
{
        const struct seccomp_data *d = &n->req->data;
        pid_t pid = (pid_t)n->req->pid;
        int remote_fd = (int)d->args[0];
        socklen_t len = (socklen_t)d->args[2];
        struct sockaddr_un sa = {0};
        if (len < offsetof(struct sockaddr_un, sun_path) + 1 || len > sizeof(sa) || remote_fd < 0 ||
            (uint64_t)remote_fd != d->args[0])
                return 0;
        pid_t tgid = thread_group(pid);
        _cleanup_fd_ int pidfd = tgid > 0 ? (int)syscall(SYS_pidfd_open, tgid, 0) : -1;
        if (pidfd < 0 || !read_addr(pid, d->args[1], len, &sa) || sa.sun_family != AF_UNIX ||
            !note_pidns(n, pid))
                return 0;
        struct target t = inspect(pid, pidfd, remote_fd);
        if (t.fd < 0)
                return 0;
        close(t.fd);
        /* pid and remote_fd were the caller's while it still waited: what was
         * read above belongs to this call, not to a recycled pid. */
        if (ioctl(n->w.fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &n->req->id) < 0)
                return 0;
        int fd = -1;
        int r = n->claim(n->data, &sa, len, make_room(n), &fd);
        if (r <= 0)
                return r;
        r = hand_over(n, &t, remote_fd, fd);
        return r < 0 ? 0 : 1; /* not handed over: the call goes on as it was */
}

static void answer(struct pb_connect_notify *n)
{
        int r = decide(n);
        memset(n->resp, 0, n->resp_size);
        n->resp->id = n->req->id;
        if (r == 0)
                n->resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        else if (r < 0)
                n->resp->error = r;
        /* ENOENT: the caller was killed or interrupted meanwhile. */
        if (ioctl(n->w.fd, SECCOMP_IOCTL_NOTIF_SEND, n->resp) < 0 && errno != ENOENT)
                pb_debug("connect-notify: answering a connect: %m");
}

static void listener_event(struct pb_loop_watch *w, uint32_t events)
{
        struct pb_connect_notify *n = (struct pb_connect_notify *)w;
        if (events & EPOLLIN) {
                memset(n->req, 0, n->req_size);
                /* A notification is pending (EPOLLIN), so this does not block;
                 * ENOENT: its caller went away first. */
                if (ioctl(w->fd, SECCOMP_IOCTL_NOTIF_RECV, n->req) == 0)
                        answer(n);
                return;
        }
        /* EPOLLHUP: every process of the sandbox has exited. */
        pb_loop_close(n->loop, w);
}

int pb_connect_notify_new(struct pb_loop *loop, int listener, unsigned max_live,
                          pb_connect_claim claim, void *data, struct pb_connect_notify **out)
{
        _cleanup_fd_ int fd = listener;
        struct seccomp_notif_sizes sz;
        if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
                return -errno;
        _cleanup_free_ struct pb_connect_notify *n = calloc(1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        /* The kernel's structs may be larger than our headers' (newer
         * kernels): allocate what it says. */
        n->req_size = sz.seccomp_notif > sizeof(*n->req) ? sz.seccomp_notif : sizeof(*n->req);
        n->resp_size =
            sz.seccomp_notif_resp > sizeof(*n->resp) ? sz.seccomp_notif_resp : sizeof(*n->resp);
        n->req = calloc(1, n->req_size);
        n->resp = calloc(1, n->resp_size);
        if (!n->req || !n->resp) {
                free(n->req);
                free(n->resp);
                return -ENOMEM;
        }
        n->loop = loop;
        n->max_live = max_live && max_live < MAX_HANDED ? max_live : MAX_HANDED;
        n->claim = claim;
        n->data = data;
        int r = pb_loop_add(loop, &n->w, fd, EPOLLIN, listener_event);
        if (r < 0) {
                free(n->req);
                free(n->resp);
                return r;
        }
        fd = -1; /* the loop owns it now */
        *out = steal_pointer(&n);
        return 0;
}

static void free_deferred(void *data)
{
        struct pb_connect_notify *n = data;
        free(n->req);
        free(n->resp);
        free(n);
}

void pb_connect_notify_free(struct pb_connect_notify *n)
{
        if (!n)
                return;
        /* Closing the listener makes the sandbox's later connect calls fail
         * (ENOSYS): closed, never open. */
        pb_loop_close(n->loop, &n->w);
        pb_loop_defer(n->loop, free_deferred, n);
}

unsigned pb_connect_notify_cut(struct pb_connect_notify *n)
{
        if (!n || n->n_handed == 0)
                return 0;
        struct cut_ctx c = {.n = n};
        each_socket(n, cut_one, &c);
        n->n_handed = 0;
        return c.cut;
}
