/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The run socket server (protocol in run.h): an accept thread and one thread
 * per running app, which relays signals in and the exit status out. */
#include "run.h"
#include "unix-socket.h"
#include "sandbox.h"
#include "common/log.h"

#include <json-c/json.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

struct pb_run {
        struct pb_broker *b;
        struct pb_sandboxes *reg;
        int listen_fd;
        int stop_pipe[2];
        char *path;
        pthread_t thread;
        pthread_mutex_t lock; /* clients */
        unsigned clients;     /* connections being served (each one thread) */
};

/* One thread per connection: cap them so that local users cannot exhaust the
 * daemon's threads (a running app holds its connection for its lifetime). */
#define PB_RUN_MAX_CLIENTS 512

struct client {
        struct pb_run *run;
        int fd;
};

static void say(int fd, const char *fmt, ...) PB_PRINTF(2, 3);
static void say(int fd, const char *fmt, ...)
{
        char buf[600];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (n > 0)
                (void)!send(fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1,
                            MSG_NOSIGNAL);
}

static char **strv_from(json_object *o, const char *key, size_t max, bool *ok)
{
        json_object *a = NULL;
        if (!json_object_object_get_ex(o, key, &a))
                return calloc(1, sizeof(char *));
        if (!json_object_is_type(a, json_type_array) || json_object_array_length(a) > max) {
                *ok = false;
                return NULL;
        }
        size_t n = json_object_array_length(a);
        char **v = calloc(n + 1, sizeof(char *));
        for (size_t i = 0; v && i < n; i++) {
                json_object *e = json_object_array_get_idx(a, i);
                const char *s = json_object_get_string(e);
                if (!json_object_is_type(e, json_type_string) ||
                    strlen(s) != (size_t)json_object_get_string_len(e) || !(v[i] = strdup(s))) {
                        *ok = false;
                        pb_strv_free(v);
                        return NULL;
                }
        }
        return v;
}

static struct pb_run_request *parse_request(const char *buf, size_t len, struct pb_error *err)
{
        json_object *o = json_tokener_parse(buf);
        if (!o || !json_object_is_type(o, json_type_object) || strlen(buf) != len) {
                json_object_put(o);
                pb_error_set(err, EINVAL, "malformed run request");
                return NULL;
        }
        struct pb_run_request *r = calloc(1, sizeof(*r));
        json_object *v = NULL;
        bool ok = r != NULL;
        if (ok && json_object_object_get_ex(o, "snap", &v) &&
            json_object_is_type(v, json_type_string))
                r->snap = strdup(json_object_get_string(v));
        if (ok && json_object_object_get_ex(o, "app", &v) &&
            json_object_is_type(v, json_type_string))
                r->app = strdup(json_object_get_string(v));
        if (ok && json_object_object_get_ex(o, "cwd", &v) &&
            json_object_is_type(v, json_type_string))
                r->cwd = strdup(json_object_get_string(v));
        if (ok && json_object_object_get_ex(o, "nofile", &v) &&
            json_object_is_type(v, json_type_int) && json_object_get_int64(v) > 0)
                r->nofile = (uint64_t)json_object_get_int64(v);
        if (ok) {
                r->args = strv_from(o, "args", 65536, &ok);
                r->env = ok ? strv_from(o, "env", 65536, &ok) : NULL;
        }
        json_object_put(o);
        if (!ok || !r->snap || !r->args || !r->env || !pb_spec_name_ok(r->snap, 40) ||
            (r->app && !pb_spec_name_ok(r->app, 64))) {
                if (r && r->snap && !pb_spec_name_ok(r->snap, 40))
                        pb_error_set(err, EINVAL, "invalid snap name \"%.64s\"", r->snap);
                else
                        pb_error_set(err, EINVAL, "malformed run request");
                pb_run_request_free(r);
                return NULL;
        }
        return r;
}

/* The first frame: length + JSON, with the three stdio fds. */
static struct pb_run_request *receive_request(int fd, int fds[3], struct pb_error *err)
{
        uint32_t len = 0;
        size_t got = 0;
        int ret = pb_frame_recv_len(fd, &len, fds, 3, &got);
        if (ret == 0 && got != 3) {
                for (size_t i = 0; i < got; i++)
                        close(fds[i]);
                ret = -EPROTO;
        }
        if (ret < 0) {
                pb_error_set(err, EINVAL, "a run request carries its length and 3 fds");
                return NULL;
        }
        if (len == 0 || len > PB_RUN_REQUEST_MAX) {
                pb_error_set(err, E2BIG, "run request too large");
                return NULL;
        }
        _cleanup_free_ char *buf = malloc(len + 1);
        if (!buf || pb_read_full(fd, buf, len) < 0) {
                pb_error_set(err, EIO, "short run request");
                return NULL;
        }
        buf[len] = '\0';
        return parse_request(buf, len, err);
}

/* Relay until the app's exit is known. */
static void relay(int cfd, struct pb_sandbox *s)
{
        int chan = pb_sandbox_chan(s);
        char cbuf[128], lbuf[256];
        size_t cused = 0, lused = 0;
        /* A descriptor that came with the launcher's bytes: the seccomp
         * listener, claimed by the "listener" line it travels with. */
        _cleanup_fd_ int passed = -1;
        for (;;) {
                struct pollfd p[2] = {{.fd = chan, .events = POLLIN},
                                      {.fd = cfd, .events = POLLIN}};
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return;
                }
                if (p[0].revents) {
                        int fd = -1;
                        ssize_t n =
                            pb_recv_fd(chan, lbuf + lused, sizeof(lbuf) - 1 - lused, 0, &fd);
                        if (fd >= 0) {
                                if (passed >= 0)
                                        close(passed);
                                passed = fd;
                        }
                        if (n <= 0) {
                                say(cfd, "failed\n");
                                return;
                        }
                        lused += (size_t)n;
                        lbuf[lused] = '\0';
                        char *nl;
                        while ((nl = strchr(lbuf, '\n'))) {
                                *nl = '\0';
                                int v = 0;
                                if (sscanf(lbuf, "pid %d", &v) == 1) {
                                        pb_sandbox_set_init_pid(s, v);
                                } else if (sscanf(lbuf, "exit %d", &v) == 1) {
                                        say(cfd, "exit %d\n", v);
                                        return;
                                } else if (strcmp(lbuf, "listener") == 0 && passed >= 0) {
                                        pb_sandbox_take_listener(s, passed);
                                        passed = -1;
                                } else if (strncmp(lbuf, "error", 5) == 0) {
                                        say(cfd, "failed\n");
                                        return;
                                }
                                size_t rest = lused - (size_t)(nl + 1 - lbuf);
                                memmove(lbuf, nl + 1, rest + 1);
                                lused = rest;
                        }
                        if (lused == sizeof(lbuf) - 1)
                                lused = 0;
                }
                if (p[1].revents) {
                        ssize_t n = recv(cfd, cbuf + cused, sizeof(cbuf) - 1 - cused, 0);
                        if (n <= 0)
                                return; /* the client is gone: finishing ends the sandbox */
                        cused += (size_t)n;
                        cbuf[cused] = '\0';
                        char *nl;
                        while ((nl = strchr(cbuf, '\n'))) {
                                *nl = '\0';
                                int sig = 0;
                                char line[32];
                                if (sscanf(cbuf, "signal %d", &sig) == 1 && sig > 0 && sig < 65) {
                                        int k = snprintf(line, sizeof(line), "signal %d\n", sig);
                                        (void)!send(chan, line, (size_t)k, MSG_NOSIGNAL);
                                }
                                size_t rest = cused - (size_t)(nl + 1 - cbuf);
                                memmove(cbuf, nl + 1, rest + 1);
                                cused = rest;
                        }
                        if (cused == sizeof(cbuf) - 1)
                                cused = 0; /* a line too long is garbage */
                }
        }
}

static void *client_thread(void *arg)
{
        struct client *c = arg;
        int fds[3] = {-1, -1, -1};
        struct pb_error err = {0};
        struct ucred cred;
        socklen_t cl = sizeof(cred);
        struct pb_run_request *req = NULL;
        /* The request must arrive promptly: a client that connects and sends
         * nothing does not hold a thread for ever. */
        struct timeval tv = {.tv_sec = 10};
        if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 ||
            setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
                goto out;
        req = receive_request(c->fd, fds, &err);
        tv.tv_sec = 0;
        setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        struct pb_sandbox *s = NULL;
        if (!req) {
                say(c->fd, "error %s\n", err.msg);
        } else if (pb_sandbox_start(c->run->reg, req, &cred, fds, &s, &err) < 0) {
                say(c->fd, "error %s\n", err.msg[0] ? err.msg : "cannot start the sandbox");
        }
        for (int i = 0; i < 3; i++)
                if (fds[i] >= 0)
                        close(fds[i]); /* the launcher has its copies */
        if (s) {
                relay(c->fd, s);
                pb_sandbox_finish(s);
        }
out:
        pb_run_request_free(req);
        close(c->fd);
        pthread_mutex_lock(&c->run->lock);
        c->run->clients--;
        pthread_mutex_unlock(&c->run->lock);
        free(c);
        return NULL;
}

static void *accept_thread(void *arg)
{
        struct pb_run *r = arg;
        for (;;) {
                struct pollfd p[2] = {{.fd = r->listen_fd, .events = POLLIN},
                                      {.fd = r->stop_pipe[0], .events = POLLIN}};
                if (poll(p, 2, -1) < 0 && errno != EINTR)
                        break;
                if (p[1].revents)
                        break;
                if (!(p[0].revents & POLLIN))
                        continue;
                int fd = accept4(r->listen_fd, NULL, NULL, SOCK_CLOEXEC);
                if (fd < 0)
                        continue;
                pthread_mutex_lock(&r->lock);
                bool full = r->clients >= PB_RUN_MAX_CLIENTS;
                if (!full)
                        r->clients++;
                pthread_mutex_unlock(&r->lock);
                if (full) {
                        say(fd, "error too many apps running or starting\n");
                        close(fd);
                        continue;
                }
                struct client *c = calloc(1, sizeof(*c));
                pthread_t t;
                pthread_attr_t at;
                pthread_attr_init(&at);
                pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
                if (!c ||
                    (c->run = r, c->fd = fd, pthread_create(&t, &at, client_thread, c) != 0)) {
                        close(fd);
                        free(c);
                        pthread_mutex_lock(&r->lock);
                        r->clients--;
                        pthread_mutex_unlock(&r->lock);
                }
                pthread_attr_destroy(&at);
        }
        return NULL;
}

int pb_run_start(struct pb_broker *b, const char *socket_path, struct pb_run **out,
                 struct pb_error *err)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(socket_path) >= sizeof(sa.sun_path) || socket_path[0] != '/')
                return pb_error_set(err, EINVAL, "bad run socket path %s", socket_path);
        struct pb_run *r = calloc(1, sizeof(*r));
        if (!r)
                return pb_error_set(err, ENOMEM, "out of memory");
        r->b = b;
        r->listen_fd = -1;
        pthread_mutex_init(&r->lock, NULL);
        r->stop_pipe[0] = r->stop_pipe[1] = -1;
        r->path = strdup(socket_path);
        _cleanup_free_ char *dir = strdup(socket_path);
        if (!r->path || !dir) {
                pb_run_stop(r);
                return pb_error_set(err, ENOMEM, "out of memory");
        }
        *strrchr(dir, '/') = '\0';
        if (dir[0] && mkdir(dir, 0755) < 0 && errno != EEXIST) {
                pb_run_stop(r);
                return pb_error_set(err, errno, "cannot create %s: %m", dir);
        }
        r->reg = pb_sandboxes_new(b, dir[0] ? dir : "/run/plugboard");
        strcpy(sa.sun_path, socket_path);
        r->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct stat st;
        if (lstat(socket_path, &st) == 0 && S_ISSOCK(st.st_mode))
                unlink(socket_path);
        if (!r->reg || r->listen_fd < 0 || pipe2(r->stop_pipe, O_CLOEXEC) < 0 ||
            bind(r->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            chmod(socket_path, 0666) < 0 || listen(r->listen_fd, 64) < 0) {
                int e = errno;
                pb_run_stop(r);
                return pb_error_set(err, e, "cannot listen on %s: %s", socket_path, strerror(e));
        }
        if (pthread_create(&r->thread, NULL, accept_thread, r) != 0) {
                r->thread = 0;
                pb_run_stop(r);
                return pb_error_set(err, EAGAIN, "cannot start the run thread");
        }
        *out = r;
        return 0;
}

void pb_run_stop(struct pb_run *r)
{
        if (!r)
                return;
        if (r->thread) {
                (void)!write(r->stop_pipe[1], "x", 1);
                pthread_join(r->thread, NULL);
        }
        if (r->listen_fd >= 0) {
                close(r->listen_fd);
                if (r->path)
                        unlink(r->path);
        }
        if (r->stop_pipe[0] >= 0) {
                close(r->stop_pipe[0]);
                close(r->stop_pipe[1]);
        }
        pb_sandboxes_free(r->reg);
        free(r->path);
        free(r);
}
