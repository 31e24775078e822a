/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Acting as the user. The daemon runs as root; host accesses of a view are
 * made with the user's fsuid, fsgid and supplementary groups so that host
 * permissions apply and created files belong to the user. These are
 * per-thread attributes in the kernel; glibc's setgroups() would change every
 * thread of the broker, hence the raw system calls. Dropping fsuid from 0
 * also clears the thread's effective filesystem capabilities
 * (CAP_DAC_OVERRIDE, CAP_FOWNER...), so root's overrides do not leak in.
 *
 * Each FUSE worker thread serves exactly one view, so the credentials are set
 * once per thread; the thread-local pointer only remembers that.
 */
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "view-int.h"

static __thread const struct pb_view *creds_of;

void pb_view_become_user(struct pb_view *v)
{
        if (creds_of == v)
                return;
        /* Order: groups and gid first, while fsuid still allows it. */
        if (syscall(SYS_setgroups, (size_t)v->ngroups, v->groups) != 0)
                pb_warn("fs: setgroups for uid %u failed: %m", (unsigned)v->uid);
        syscall(SYS_setfsgid, v->gid);
        syscall(SYS_setfsuid, v->uid);
        /* setfsuid reports the previous value, never an error: verify. */
        if ((uid_t)syscall(SYS_setfsuid, (uid_t)-1) != v->uid ||
            (gid_t)syscall(SYS_setfsgid, (gid_t)-1) != v->gid) {
                pb_err("fs: cannot switch to uid %u", (unsigned)v->uid);
                return; /* creds_of stays unset: the caller refuses the request */
        }
        creds_of = v;
}

bool pb_view_is_user(const struct pb_view *v)
{
        return creds_of == v;
}
