/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "sock.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

static int fill_addr(struct sockaddr_un *sa, const char *path)
{
        memset(sa, 0, sizeof(*sa));
        sa->sun_family = AF_UNIX;
        if (!path || !*path || strlen(path) >= sizeof(sa->sun_path))
                return -ENAMETOOLONG;
        strcpy(sa->sun_path, path);
        return 0;
}

int pb_sock_listen(const char *path, uid_t uid, gid_t gid, struct pb_error *err)
{
        struct sockaddr_un sa;
        if (fill_addr(&sa, path) < 0)
                return pb_error_set(err, ENAMETOOLONG, "socket path too long: %s", path);
        struct stat st;
        if (lstat(path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode))
                        return pb_error_set(err, EEXIST, "%s exists and is not a socket", path);
                unlink(path);
        }
        _cleanup_fd_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return pb_error_set(err, errno, "socket: %m");
        /* bind() honours the umask; the caller's directory is private (the
         * sandbox's runtime dir), so the window before chmod is harmless. */
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return pb_error_set(err, errno, "bind %s: %m", path);
        if (chmod(path, 0600) < 0)
                return pb_error_set(err, errno, "chmod %s: %m", path);
        if (uid != (uid_t)-1 && lchown(path, uid, gid) < 0)
                return pb_error_set(err, errno, "chown %s: %m", path);
        if (listen(fd, 64) < 0)
                return pb_error_set(err, errno, "listen %s: %m", path);
        return pb_steal_fd(&fd);
}

int pb_sock_connect(const char *path)
{
        struct sockaddr_un sa;
        int r = fill_addr(&sa, path);
        if (r < 0)
                return r;
        _cleanup_fd_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
                return pb_steal_fd(&fd);
        if (errno != EAGAIN)
                return -errno;
        /* The server's listen backlog is full (PulseAudio's holds 5): a
         * burst of clients meets a server busy for a moment. Wait for room,
         * briefly: the kernel bounds a blocking connect by SO_SNDTIMEO. */
        struct timeval tv = {.tv_usec = PB_SOCK_BACKLOG_WAIT_US};
        if (fcntl(fd, F_SETFL, 0) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
                return -EAGAIN;
        r = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : -errno;
        struct timeval zero = {0};
        if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &zero, sizeof(zero)) < 0 ||
            fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
                return -errno;
        if (r < 0)
                return r == -EINPROGRESS ? -EAGAIN : r; /* timed out */
        return pb_steal_fd(&fd);
}

int pb_sock_connect_as(const char *path, uid_t uid, gid_t gid)
{
        if (uid == (uid_t)-1 || geteuid() != 0)
                return pb_sock_connect(path);
        /* setfsuid/setfsgid through syscall(): the kernel keeps credentials
         * per thread and, unlike setuid(), glibc does not broadcast these, so
         * only this thread changes, for the duration of the connect. A fsuid
         * other than 0 also drops CAP_DAC_OVERRIDE and friends. */
        long old_gid = syscall(SYS_setfsgid, gid);
        long old_uid = syscall(SYS_setfsuid, uid);
        int r = pb_sock_connect(path);
        syscall(SYS_setfsuid, old_uid);
        syscall(SYS_setfsgid, old_gid);
        return r;
}

void pb_sock_eat_sigpipe(void)
{
        sigset_t set, blocked;
        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        /* Only when blocked: otherwise the signal was already delivered. */
        if (pthread_sigmask(SIG_BLOCK, NULL, &blocked) != 0 || !sigismember(&blocked, SIGPIPE))
                return;
        const struct timespec zero = {0, 0};
        int saved = errno;
        while (sigtimedwait(&set, NULL, &zero) == SIGPIPE)
                ;
        errno = saved;
}
