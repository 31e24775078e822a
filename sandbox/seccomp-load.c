/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Load the seccomp filter compiled at build time (see seccomp.c). */
#include "launcher.h"
#include "seccomp-filter.h"

#include <linux/seccomp.h>
#include <sys/syscall.h>

void pb_seccomp_apply(void)
{
        struct sock_fprog prog = {
            .len = (unsigned short)PB_ARRAY_SIZE(pb_seccomp_filter),
            .filter = (struct sock_filter *)pb_seccomp_filter,
        };
        /* NO_NEW_PRIVS is already set (pb_confine step 3). */
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
                die_errno("cannot load the seccomp filter");
}
