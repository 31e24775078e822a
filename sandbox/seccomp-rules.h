/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The seccomp rules (seccomp.c), built with libseccomp by pb-seccomp-gen. */
#pragma once

#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>

/* The filter, or NULL with a message in err. With notify_connect, connect(2)
 * returns SECCOMP_RET_USER_NOTIF (the X11 portal's direct connections). */
scmp_filter_ctx pb_seccomp_build(char *err, size_t len, bool notify_connect);
