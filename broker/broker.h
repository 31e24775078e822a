/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * plugboardd's internal API: what the other parts of the daemon (FUSE views,
 * launcher, portals) use to talk to the broker core. Not a stable library
 * interface; everything here runs inside the one plugboardd process.
 *
 * There is exactly one struct pb_broker (the daemon's only global state).
 *
 * Lock order (docs/ARCHITECTURE.md): state lock -> enforcer registry lock ->
 * an enforcement point's own lock. The audit ring has its own leaf lock and
 * may be called from anywhere, with or without other locks held.
 * Never call into the broker (except pb_broker_audit_denial) while holding
 * an enforcement point's lock.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/pb-util.h"
#include "policy/grants.h"
#include "policy/snap.h"

struct pb_broker;

/* ---------------------------------------------------------------------------
 * Grant tables
 * ------------------------------------------------------------------------- */

/* Compile the current grant table of `snap` as run by `uid` (the user's home
 * from getpwuid_r). Takes the state lock. Returns a new reference (release
 * with pb_grants_unref) or NULL with *err set (-ENOENT: snap not installed,
 * -ESRCH: unknown uid). Each table gets a fresh, strictly increasing
 * generation. */
struct pb_grants *pb_broker_compile_grants(struct pb_broker *b, const char *snap, uid_t uid,
                                           struct pb_error *err);

/* ---------------------------------------------------------------------------
 * Enforcement points
 *
 * An enforcement point (a FUSE view, a portal, the status view of a sandbox)
 * registers here for one (snap, uid). Whenever a change alters the
 * connections of `snap`, the change worker compiles a new table and calls
 * publish() of every matching enforcer, synchronously, with the state lock
 * held; publish returns 0 only when the new table is in force (old access
 * revoked). A non-zero return makes the change Error ("fail closed": the CLI
 * never sees Done while an enforcer may still grant revoked access). publish
 * must take its own reference (pb_grants_ref) if it keeps the table.
 * ------------------------------------------------------------------------- */
struct pb_enforcer {
        const char *snap; /* owned by the caller, must outlive the registration */
        uid_t uid;
        int (*publish)(struct pb_enforcer *e, struct pb_grants *grants);
        void *data;
        /* private to the broker */
        struct pb_enforcer *next_;
        bool registered_;
};

/* Register `e`. Atomically with respect to changes, the current table is
 * compiled and published to `e` once before registration, so `e` can never
 * miss a change that happens between its own compile and its registration.
 * Returns 0, or a negative errno with *err set (the enforcer is then not
 * registered; a failure of the initial publish is returned as is). */
int pb_broker_enforcer_add(struct pb_broker *b, struct pb_enforcer *e, struct pb_error *err);
/* Unregister (no-op if not registered). After it returns, publish() of `e`
 * is not running and will not be called again. */
void pb_broker_enforcer_remove(struct pb_broker *b, struct pb_enforcer *e);

/* ---------------------------------------------------------------------------
 * Audit log of denials (bounded ring, cheap, thread-safe, duplicates within a
 * second are merged into a count). Served at GET /v2/plugboard/denials and
 * printed by `plugboard denials`.
 * ------------------------------------------------------------------------- */
void pb_broker_audit_denial(struct pb_broker *b, const char *snap, uid_t uid,
                            const char *path_or_resource, const char *operation,
                            const char *would_grant_interface);

/* ---------------------------------------------------------------------------
 * Installed snaps, for the launcher.
 * ------------------------------------------------------------------------- */
struct pb_installed_snap {
        char *name;
        char *revision;            /* "x1", "x2", ... */
        char *dir;                 /* STATE/snaps/NAME/REV: becomes $SNAP */
        struct pb_snap_info *info; /* policy/snap.h: apps (command), plugs, slots */
};

/* A private copy of what the broker knows of an installed snap; free with
 * pb_installed_snap_free. -ENOENT with *err "snap \"x\" is not installed". */
int pb_broker_snap_lookup(struct pb_broker *b, const char *snap, struct pb_installed_snap **out,
                          struct pb_error *err);
void pb_installed_snap_free(struct pb_installed_snap *s);

/* The state directory (STATE), e.g. for per-snap data directories. */
const char *pb_broker_state_dir(const struct pb_broker *b);

/* ---------------------------------------------------------------------------
 * HTTP routes: see broker/routes.h to add one.
 * ------------------------------------------------------------------------- */
