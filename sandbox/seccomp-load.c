/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Load the seccomp filter compiled at build time (see seccomp.c). */
#include "launcher.h"
#include "seccomp-filter.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

int pb_seccomp_apply(bool notify_connect)
{
        struct sock_fprog prog = {
            .len = (unsigned short)PB_ARRAY_SIZE(pb_seccomp_filter),
            .filter = (struct sock_filter *)pb_seccomp_filter,
        };
        unsigned flags = 0;
        if (notify_connect) {
                prog.len = (unsigned short)PB_ARRAY_SIZE(pb_seccomp_filter_notify);
                prog.filter = (struct sock_filter *)pb_seccomp_filter_notify;
                /* Once the broker has taken a connect, only a fatal signal
                 * may interrupt it: an interrupted call would be restarted
                 * after its socket was already replaced (Linux >= 5.19;
                 * older kernels load it without). */
                flags = SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
        }
        /* NO_NEW_PRIVS is already set (pb_confine step 3). */
        long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
        if (fd < 0 && errno == EINVAL && (flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV))
                fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                             flags & ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &prog);
        if (fd < 0)
                die_errno("cannot load the seccomp filter");
        if (!notify_connect)
                return -1;
        /* The listener must not reach the app (it could answer its own
         * connects): close-on-exec, and sent up before execve. */
        if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0)
                die_errno("cannot mark the seccomp listener close-on-exec");
        return (int)fd;
}
