/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Confinement of the app process, in one place and in this order (STYLE §6):
 *   1. become the caller: groups, gid, uid (from the broker's SO_PEERCRED);
 *   2. drop every capability, the ambient set and the bounding set (libcap-ng)
 *      and check in /proc/self/status that nothing is left;
 *   3. PR_SET_NO_NEW_PRIVS: from here no execve can gain privileges (setuid
 *      binaries, file capabilities), which Landlock and seccomp also require
 *      of an unprivileged caller;
 *   4. Landlock: filesystem rules as defence in depth behind the mount layout,
 *      plus the abstract-unix-socket and signal scopes;
 *   5. seccomp, last, because it may deny syscalls the steps above need;
 *      then only execve follows.
 * Every failure is fatal (die): a half-confined app never runs.
 */
#include "launcher.h"

#include <cap-ng.h>
#include <grp.h>
#include <string.h>
#include <sys/prctl.h>

static void become_user(const struct pb_spec *s)
{
        if (setgroups(s->n_groups, s->groups) < 0)
                die_errno("setgroups");
        if (setresgid(s->gid, s->gid, s->gid) < 0)
                die_errno("setresgid");
        /* Keep the permitted set across setresuid only long enough to drop the
         * bounding set, which needs CAP_SETPCAP. */
        if (prctl(PR_SET_KEEPCAPS, 1) < 0)
                die_errno("PR_SET_KEEPCAPS");
        if (setresuid(s->uid, s->uid, s->uid) < 0)
                die_errno("setresuid");
        uid_t r, e, sv;
        gid_t gr, ge, gs;
        if (getresuid(&r, &e, &sv) < 0 || getresgid(&gr, &ge, &gs) < 0 || r != s->uid ||
            e != s->uid || sv != s->uid || gr != s->gid || ge != s->gid || gs != s->gid)
                die("uid/gid switch did not take");
}

static void check_no_caps(void)
{
        _cleanup_file_ FILE *f = fopen("/proc/self/status", "re");
        char line[256];
        int seen = 0;
        if (!f)
                die_errno("cannot read /proc/self/status");
        while (fgets(line, sizeof(line), f)) {
                if (strncmp(line, "Cap", 3) != 0)
                        continue;
                const char *v = strchr(line, ':');
                if (!v)
                        continue;
                seen++;
                if (strtoull(v + 1, NULL, 16) != 0)
                        die("capabilities left after dropping: %s", line);
        }
        if (seen < 5) /* CapInh CapPrm CapEff CapBnd CapAmb */
                die("cannot verify the capability sets");
}

static void drop_caps(void)
{
        /* Raise CAP_SETPCAP (still permitted thanks to KEEPCAPS) so the bounding
         * set can be emptied, then clear everything: caps, bounding, ambient. */
        if (capng_get_caps_process() < 0 ||
            capng_update(CAPNG_ADD, CAPNG_EFFECTIVE, CAP_SETPCAP) < 0 ||
            capng_apply(CAPNG_SELECT_CAPS) < 0)
                die("cannot raise CAP_SETPCAP to drop the bounding set");
        capng_clear(CAPNG_SELECT_ALL);
        if (capng_apply(CAPNG_SELECT_ALL) < 0)
                die("cannot drop capabilities");
        if (prctl(PR_SET_KEEPCAPS, 0) < 0)
                die_errno("PR_SET_KEEPCAPS");
        check_no_caps();
}

void pb_drop_to_user(const struct pb_spec *s)
{
        become_user(s);
        drop_caps();
}

int pb_confine(const struct pb_spec *s)
{
        /* 1 + 2: the caller's identity, no capabilities at all. */
        pb_drop_to_user(s);
        /* Working directory as the user (a view may refuse root). Not a privilege
         * question, so fall back rather than fail. */
        if (!s->cwd || chdir(s->cwd) < 0)
                if (chdir(s->home) < 0 && chdir("/") < 0)
                        die_errno("chdir");
        /* 3: no privilege gain through execve, ever. */
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                die_errno("PR_SET_NO_NEW_PRIVS");
        /* 4: Landlock. */
        pb_landlock_apply(s);
        /* 5: seccomp, last before execve. */
        return pb_seccomp_apply(s->notify_connect);
}
