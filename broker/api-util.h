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
/* Renders a listing from the model (state lock held); NULL with *perr set
 * on a bad query. arg is the handler's query, passed through. */
typedef char *(*pb_listing_fn)(const struct pb_model *m, const void *arg, struct pb_perror *perr);
/* A GET listing: served from b->listings under key while the model is
 * unchanged (model_seq), else rendered and cached. key must name every query
 * parameter that changes the text. Takes and releases the state lock. */
struct pb_response *pb_cached_listing(struct pb_broker *b, const char *key, pb_listing_fn render,
                                      const void *arg);
/* true for the names that mean the system snap in requests */
bool pb_is_system_snap_name(const char *s);
/* asprintf into a new string; NULL on ENOMEM. */
char *pb_strdupf(const char *fmt, ...) PB_PRINTF(1, 2);
/* Set {"snap-names":[name]} as the change's data (what `install` reports). */
void pb_change_set_snap_name(struct pb_change *c, const char *name);
