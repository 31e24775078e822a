/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers shared by the API handlers. */
#pragma once

#include "daemon.h"
#include "routes.h"

/* The error response for a policy error. */
struct pb_response *pb_response_perror(const struct pb_perror *perr);
/* Create and queue a change for a model mutation already made (state lock
 * held): one task per affected connection, publish to the affected snaps,
 * save, Done. Returns the 202 response. */
struct pb_response *pb_submit_affected(struct pb_broker *b, const char *kind, const char *summary,
                                       const char *task_kind, const struct pb_affected *aff,
                                       json_object *journal);
/* true for the names that mean the system snap in requests */
bool pb_is_system_snap_name(const char *s);
/* asprintf into a new string; NULL on ENOMEM. */
char *pb_strdupf(const char *fmt, ...) PB_PRINTF(1, 2);
/* Set {"snap-names":[name]} as the change's data (what `install` reports). */
void pb_change_set_snap_name(struct pb_change *c, const char *name);
