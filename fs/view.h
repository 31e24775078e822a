/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * FUSE views (DESIGN §5, §7): one low-level libfuse mount per view kind, whose
 * every answer is decided from the snap's *current* grant table.
 *
 * The broker creates the views of a (snap, uid), publishes a new table on
 * every change of connections, and stops them when the last sandbox exits.
 * pb_view_publish() is the revocation point: it returns only when nothing the
 * new table denies can still be reached through the view — kernel entry, attr
 * and page caches of affected nodes are invalidated (mmaps of them fault with
 * SIGBUS), open handles fail their next operation with EACCES, and no request
 * that was checked against the old table is still in flight.
 *
 * Threads: each view runs libfuse's multi-threaded loop in its own threads.
 * pb_view_publish() and pb_view_stop() must be called from a thread that is
 * not serving a request of any view (the broker's change worker): the kernel
 * invalidation calls can wait for requests of the same mount.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "grants.h"
#include "pb-util.h"

enum pb_view_kind {
        PB_VIEW_HOME,   /* $HOME: nodev,nosuid; path rules */
        PB_VIEW_MEDIA,  /* /media, /run/media, /mnt: nodev,nosuid; path rules */
        PB_VIEW_HOST,   /* other host paths (system-files, /var/log): nodev,nosuid */
        PB_VIEW_DEV,    /* device nodes: only granted nodes appear; device rules */
        PB_VIEW_STATUS, /* synthetic plugs/<name>, slots/<name> of connected endpoints */
};

const char *pb_view_kind_name(enum pb_view_kind k);
/* -1 when unknown ("home", "media", "host", "dev", "status") */
int pb_view_kind_from_name(const char *name);

/*
 * Called from FUSE threads on every denial. `path` is the host path (or the
 * device's name relative to the device root for the dev view), `op` a short
 * operation name ("lookup", "open", "read", "write", ...), `would_grant` the
 * plug or slot that would grant it if connected, or NULL. Must not block for
 * long and must not call back into the view.
 */
typedef void (*pb_view_audit_fn)(void *ctx, const char *snap, const char *path, const char *op,
                                 const char *would_grant);

struct pb_view_config {
        enum pb_view_kind kind;
        /* The host directory the view serves at its root (absolute), e.g.
         * /home/u, /media, / (host view), /dev or a test device root. Ignored
         * by the status view. */
        const char *host_root;
        /* Where to mount (absolute, an existing empty directory). */
        const char *mountpoint;
        /* Host accesses are made with this user's credentials (fsuid, fsgid and
         * supplementary groups), and only requests from this uid are served. */
        uid_t uid;
        gid_t gid;
        /* The initial table; the view takes its own reference. */
        struct pb_grants *grants;
        pb_view_audit_fn audit; /* may be NULL */
        void *audit_ctx;
        /* Seconds the kernel may cache names and attributes of path views
         * (every revoke invalidates them; host-side changes show after this
         * long). 0: the default (5 s); negative: no caching. The dev and
         * status views never cache. */
        double cache_timeout;
        /* libfuse prints every request to stderr (pb-view-harness
         * --fuse-debug: how many round trips a workload costs). */
        bool fuse_debug;
};

struct pb_view;

/* Mount and start serving; returns when the mount is live. */
int pb_view_start(const struct pb_view_config *cfg, struct pb_view **out, struct pb_error *err);

/*
 * Swap in a new table (the view takes its own reference) and make it take
 * effect: returns when every access the new table denies is gone (see top).
 * Widened access needs nothing more: negative lookups are never cached.
 * Returns 0 or a negative errno (the table is swapped in any case; a failed
 * kernel invalidation is reported so the caller can fail the change).
 */
int pb_view_publish(struct pb_view *v, struct pb_grants *new_table);

/* Unmount, join the threads, free. NULL is fine. */
void pb_view_stop(struct pb_view *v);

const char *pb_view_mountpoint(const struct pb_view *v);

/* Statistics of the last publish, for benchmarks and logs. */
struct pb_view_publish_stats {
        uint64_t nodes_checked;
        uint64_t nodes_invalidated;
        uint64_t entries_invalidated;
        uint64_t elapsed_ns;
        uint64_t check_ns; /* of which: deciding which nodes lost access */
};
void pb_view_last_publish_stats(struct pb_view *v, struct pb_view_publish_stats *out);
/* Whether the view takes requests through io_uring (fs/ring.c), and how many
 * it served that way. */
bool pb_view_ring_served(const struct pb_view *v, uint64_t *served);
/* "attributes" or "names": what the view's READDIRPLUS answers carry for
 * files now (fs/prefetch.c); for tests and benchmarks. */
const char *pb_view_prefetch_mode(struct pb_view *v);
