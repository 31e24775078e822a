/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Answering a sandbox's connect(2) calls from its seccomp listener (see
 * connect-notify.h). */
#include "connect-notify.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "pb-util.h"

enum { PASSED, HANDED, REFUSED };

struct pb_connect_notify {
        struct pb_loop_watch w; /* first: the callback gets &w */
        struct pb_loop *loop;
        pb_connect_claim claim;
        void *data;
        struct seccomp_notif *req;
        struct seccomp_notif_resp *resp;
        size_t req_size, resp_size;
        unsigned long counts[3];
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

/* Replace the caller's socket with fd (ours, closed here). */
static int hand_over(struct pb_connect_notify *n, const struct target *t, int remote_fd, int fd)
{
        int r = 0;
        if (fcntl(fd, F_SETFL, t->fl & O_NONBLOCK) < 0)
                r = -errno;
        struct seccomp_notif_addfd add = {.id = n->req->id,
                                          .flags = SECCOMP_ADDFD_FLAG_SETFD,
                                          .srcfd = (uint32_t)fd,
                                          .newfd = (uint32_t)remote_fd,
                                          .newfd_flags = t->cloexec ? O_CLOEXEC : 0};
        if (r == 0 && ioctl(n->w.fd, SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0)
                r = -errno;
        close(fd);
        return r;
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
        _cleanup_fd_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0 || !read_addr(pid, d->args[1], len, &sa) || sa.sun_family != AF_UNIX)
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
        int r = n->claim(n->data, &sa, len, &fd);
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
        n->counts[r == 0 ? PASSED : r > 0 ? HANDED : REFUSED]++;
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

int pb_connect_notify_new(struct pb_loop *loop, int listener, pb_connect_claim claim, void *data,
                          struct pb_connect_notify **out)
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

void pb_connect_notify_counts(const struct pb_connect_notify *n, unsigned long counts[3])
{
        memcpy(counts, n->counts, sizeof(n->counts));
}
