/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The FUSE views of one (snap, uid), shared by every sandbox of that pair:
 * created on the first `plugboard run`, each registered as an enforcer (so
 * every connection change is published to it synchronously), and stopped a
 * short while after the last sandbox of the pair exits (the linger keeps
 * repeated short runs from paying for six FUSE mounts each time).
 *
 * Mount points: RUNTIME/views/<uid>/<snap>/<kind> (kinds: home, media,
 * run-media, mnt, host, dev, status).
 */
#pragma once

#include "broker.h"
#include "fs/view.h"

struct pb_view_sets;
struct pb_view_set;

enum pb_view_slot {
        PB_VSLOT_HOME,
        PB_VSLOT_MEDIA,
        PB_VSLOT_RUN_MEDIA,
        PB_VSLOT_MNT,
        PB_VSLOT_HOST,
        PB_VSLOT_DEV,
        PB_VSLOT_STATUS,
        PB_VSLOT__COUNT
};

/* linger_ms: how long an unused set stays mounted. */
struct pb_view_sets *pb_view_sets_new(struct pb_broker *b, const char *runtime_dir,
                                      unsigned linger_ms);
/* Stops every set (all must have been released). */
void pb_view_sets_free(struct pb_view_sets *vs);

/* A reference to the set of (snap, uid), created if needed. */
int pb_view_set_acquire(struct pb_view_sets *vs, const char *snap, uid_t uid, gid_t gid,
                        const char *home, struct pb_view_set **out, struct pb_error *err);
void pb_view_set_release(struct pb_view_set *v);
/* The host mount point of a view of the set, or NULL (not available). */
const char *pb_view_set_path(const struct pb_view_set *v, enum pb_view_slot slot);
/* The mount point's directory name of a slot ("home", "run-media", ...). */
const char *pb_view_slot_name(enum pb_view_slot slot);

/* ---- the views API (broker/api-views.c): views without a run ----
 * pb_view_sets_new makes its sets reachable from the broker (b->views);
 * pb_view_sets_free detaches them first, waiting for handlers using them. */
/* For a handler: the sets with a use count taken, or NULL (none). */
struct pb_view_sets *pb_broker_views_get(struct pb_broker *b);
void pb_broker_views_put(struct pb_broker *b);
/* The API's own reference to the set of (snap, uid), at most one per pair:
 * created if needed (group and home from the password database), exactly
 * like a first run. paths[slot] gets a copy of each available mount point
 * (NULL otherwise; the caller frees them). 0 or -errno with *err set
 * (-ENOENT: snap not installed, -ESRCH: no such user). */
int pb_view_set_pin(struct pb_view_sets *vs, const char *snap, uid_t uid,
                    char *paths[PB_VSLOT__COUNT], struct pb_error *err);
/* Drop the API's reference: the set stops at once when no sandbox uses it
 * (no linger). -ENOENT when the API holds none for the pair. */
int pb_view_set_unpin(struct pb_view_sets *vs, const char *snap, uid_t uid);
