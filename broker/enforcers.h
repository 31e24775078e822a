/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "broker.h"

/* Compile and publish a new table to every registered enforcer of each snap
 * in the NULL-terminated list `snaps` (NULL: none). State lock held. Returns
 * 0, or the first failure (the others are still published: revoking as much
 * as possible is the fail-closed choice). */
int pb_broker_publish_locked(struct pb_broker *b, const char *const *snaps, struct pb_error *err);
/* Compile with the state lock held. */
struct pb_grants *pb_broker_compile_locked(struct pb_broker *b, const char *snap, uid_t uid,
                                           struct pb_error *err);
