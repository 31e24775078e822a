/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "unix-socket.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int pb_unix_connect(const char *path)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int e = errno;
                close(fd);
                return -e;
        }
        return fd;
}

int pb_read_full(int fd, void *buf, size_t n)
{
        char *p = buf;
        while (n > 0) {
                ssize_t r = read(fd, p, n);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -errno;
                if (r == 0)
                        return -EIO;
                p += r;
                n -= (size_t)r;
        }
        return 0;
}

static ssize_t write_some(int fd, const char *p, size_t n)
{
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == ENOTSOCK)
                w = write(fd, p, n);
        return w;
}

int pb_write_full(int fd, const void *buf, size_t n)
{
        const char *p = buf;
        while (n > 0) {
                ssize_t w = write_some(fd, p, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return w < 0 ? -errno : -EIO;
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

int pb_frame_send(int fd, const void *data, uint32_t len, const int *fds, size_t nfds)
{
        if (nfds > PB_FRAME_MAX_FDS)
                return -EINVAL;
        union {
                char buf[CMSG_SPACE(PB_FRAME_MAX_FDS * sizeof(int))];
                struct cmsghdr align;
        } u;
        memset(&u, 0, sizeof(u));
        struct iovec iov = {.iov_base = &len, .iov_len = sizeof(len)};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        if (nfds > 0) {
                mh.msg_control = u.buf;
                mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
                memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
        }
        ssize_t n;
        do
                n = sendmsg(fd, &mh, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        /* A 4-byte write to a stream socket is never split. */
        if (n != (ssize_t)sizeof(len))
                return -EIO;
        return pb_write_full(fd, data, len);
}

static void close_all(int *fds, size_t n)
{
        for (size_t i = 0; i < n; i++)
                close(fds[i]);
}

/* The descriptors received with mh: the first max into fds, the rest
 * closed. Returns how many are in fds. */
static size_t take_fds(struct msghdr *mh, int *fds, size_t max)
{
        size_t n = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < k; i++) {
                        int got;
                        memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                        if (n < max)
                                fds[n++] = got;
                        else
                                close(got);
                }
        }
        return n;
}

int pb_frame_recv_len(int fd, uint32_t *len, int *fds, size_t max_fds, size_t *nfds)
{
        union {
                char buf[CMSG_SPACE((PB_FRAME_MAX_FDS + 1) * sizeof(int))];
                struct cmsghdr align;
        } u;
        struct iovec iov = {.iov_base = len, .iov_len = sizeof(*len)};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = u.buf,
                            .msg_controllen = sizeof(u.buf)};
        ssize_t n;
        do
                n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        *nfds = take_fds(&mh, fds, max_fds < PB_FRAME_MAX_FDS ? max_fds : PB_FRAME_MAX_FDS);
        if (n != (ssize_t)sizeof(*len) || (mh.msg_flags & MSG_CTRUNC)) {
                close_all(fds, *nfds);
                *nfds = 0;
                return -EPROTO;
        }
        return 0;
}

int pb_send_fd(int sock, const void *buf, size_t len, int fd)
{
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        memset(&u, 0, sizeof(u));
        struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = u.buf,
                            .msg_controllen = sizeof(u.buf)};
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        ssize_t n;
        do
                n = sendmsg(sock, &mh, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        return (size_t)n == len ? 0 : -EIO;
}

ssize_t pb_recv_fd(int sock, void *buf, size_t len, int flags, int *fd)
{
        union {
                char buf[CMSG_SPACE(PB_FRAME_MAX_FDS * sizeof(int))];
                struct cmsghdr align;
        } u;
        struct iovec iov = {.iov_base = buf, .iov_len = len};
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = u.buf,
                            .msg_controllen = sizeof(u.buf)};
        *fd = -1;
        ssize_t n = recvmsg(sock, &mh, flags | MSG_CMSG_CLOEXEC);
        if (n < 0)
                return -errno;
        take_fds(&mh, fd, 1);
        return n;
}
