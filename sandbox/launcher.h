/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Internals of plugboard-launch (not a public header). */
#pragma once

#include "spec.h"

#include <stdnoreturn.h>

/* Print "plugboard-launch: <msg>[: strerror(errno)]" and _exit(125). In the
 * launcher every failure after the first privilege change ends here: a half
 * confined app must never run. */
noreturn void die(const char *fmt, ...) PB_PRINTF(1, 2);
noreturn void die_errno(const char *fmt, ...) PB_PRINTF(1, 2);

#define PB_LAUNCH_SETUP_FAILED 125

/* rootfs.c: in the new mount namespace, as root, build the sandbox's root
 * from the spec and pivot into it. */
void pb_rootfs_setup(const struct pb_spec *s);

/* confine.c: switch to the spec's uid/gid/groups, drop every capability and
 * the bounding set, NO_NEW_PRIVS, Landlock, seccomp -- in that order. Returns
 * only fully confined, with the seccomp listener (close-on-exec) when the
 * spec asks for notify_connect, else -1; the caller passes the listener on
 * and then calls execve and nothing else. */
int pb_confine(const struct pb_spec *s);

/* Only the uid switch and capability drop (for the sandbox's init). */
void pb_drop_to_user(const struct pb_spec *s);

/* landlock.c: returns the ABI version (0 when unavailable). */
int pb_landlock_abi(void);
void pb_landlock_apply(const struct pb_spec *s);

/* seccomp-load.c: loads the filter; with notify_connect, the one whose
 * connect(2) goes to a listener, returned (close-on-exec). Else -1. */
int pb_seccomp_apply(bool notify_connect);
