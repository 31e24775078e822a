/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The connection model: installed snaps and the connections between their
 * plugs and slots, with snapd's semantics (SNAPD-COMPAT §1c) and the seeds'
 * where they differ. Pure: the broker owns the one instance, serialises it with
 * pb_model_to_json() into its state file, and calls these under its lock.
 *
 * The system snap is called "snapd". It is not installed; it exists implicitly
 * and provides a slot named after every catalogue interface that has an
 * implicit slot on classic. In requests, "system", "core" and "" (where snapd
 * allows an empty snap) all mean it.
 *
 * Connections are keyed like snapd's conns map: "plugsnap:plug slotsnap:slot",
 * each with interface, auto, by-gadget, undesired, plug and slot attrs.
 * An undesired entry (an auto-connection the user disconnected) stays through
 * refresh, remove --purge and restart until `disconnect --forget`.
 *
 * Errors: negative errno, perr filled with snapd's exact message, kind and
 * HTTP status (see SNAPD-COMPAT's error table).
 */
#pragma once

#include "catalogue.h"
#include "declarations.h"
#include "perror.h"
#include "snap.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#define PB_SYSTEM_SNAP "snapd"

struct pb_model;

/* A resolved connection: both ends named. */
struct pb_connref {
        char plug_snap[48];
        char plug[72];
        char slot_snap[48];
        char slot[72];
};
/* "plugsnap:plug slotsnap:slot" (snapd's conns key) into buf. */
void pb_connref_key(const struct pb_connref *r, char *buf, size_t size);

/* What an operation changed, for the broker: the snaps whose grant tables
 * must be recompiled and republished, and per connection touched, a task
 * summary in snapd's words. Free with pb_affected_clear(). */
struct pb_affected_task {
        struct pb_connref ref;
        char summary[320]; /* "Connect a:b to snapd:c", "Disconnect a:b from snapd:c",
                              "Forget connection a:b from snapd:c" */
};
struct pb_affected {
        char **snaps; /* sorted, unique, NULL-terminated (NULL when n_snaps == 0) */
        size_t n_snaps;
        struct pb_affected_task *tasks;
        size_t n_tasks;
};
void pb_affected_clear(struct pb_affected *a);

/* The model borrows cat, which must outlive it. */
struct pb_model *pb_model_new(const struct pb_catalogue *cat);
void pb_model_free(struct pb_model *m);
const struct pb_catalogue *pb_model_catalogue(const struct pb_model *m);

/* ---- snaps ---- */

/* The revision the next install of `name` gets: 1 for a new snap, N+1 when
 * revision xN is installed. Lets the broker store the files before installing. */
int pb_model_next_revision(const struct pb_model *m, const char *name);

struct pb_install {
        struct pb_snap_info *info;           /* consumed on success, left to the caller on error */
        const struct pb_declarations *decls; /* may be NULL: no declarations at all */
        const char *source;     /* broker's own note on where the files live; may be NULL */
        long long install_time; /* seconds since the epoch, recorded as given */
        /* out: "" or what was left out, in snapd's words: plugs and slots of
         * interfaces the catalogue does not know are dropped, as snapd does:
         * `snap "x" has bad plugs or slots: mpris (unknown interface "mpris")` */
        char warning[512];
};
/* Install, or refresh when the name is installed (revision x(N+1)). Checks
 * every plug and slot against the catalogue (bad attributes: refused,
 * nothing changes; unknown interface: dropped, see warning), applies
 * allow-installation, then
 * auto-connects (base declaration + the snap's declaration, snapshotted now),
 * never clobbering existing entries (connected or undesired), and on refresh
 * drops auto-connections whose plug or slot the new revision lacks.
 * *revision gets N. aff lists the snaps to recompile and one task per new
 * auto-connection. Returns 0 or -EINVAL/-EPERM/-ENOMEM. */
int pb_model_install(struct pb_model *m, struct pb_install *in, int *revision,
                     struct pb_affected *aff, struct pb_perror *perr);

/* Remove an installed snap. Active connections of it are deleted (their
 * peers are listed in aff); undesired entries stay, with or without purge
 * (purge is recorded for the broker's data removal only).
 * -ENOENT: `snap "x" is not installed` (400, kind snap-not-installed, value x,
 * as snapd). */
int pb_model_remove(struct pb_model *m, const char *name, bool purge, struct pb_affected *aff,
                    struct pb_perror *perr);

size_t pb_model_snap_count(const struct pb_model *m);
/* Installed snaps by name order; i < count. */
const char *pb_model_snap_name_at(const struct pb_model *m, size_t i);
/* NULL when not installed (the system snap is never "installed"). */
const struct pb_snap_info *pb_model_snap_info(const struct pb_model *m, const char *name);
int pb_model_snap_revision(const struct pb_model *m, const char *name); /* -ENOENT */
const char *pb_model_snap_source(const struct pb_model *m, const char *name);
/* The snap's declaration snapshot taken at install/refresh time (borrowed) or NULL. */
json_object *pb_model_snap_declaration(const struct pb_model *m, const char *name);

/* ---- connections ---- */

/* Connect, with snapd's resolution rules. Empty plug_snap → "cannot resolve
 * connection, plug snap name is empty". Empty/"system"/"core" slot_snap → the
 * system snap. Empty slot → the unique slot of that snap whose interface is the
 * plug's. A manual connect of an undesired entry makes it a manual one.
 * Returns 0 (connected, aff filled), PB_ALREADY_CONNECTED (nothing changed:
 * the broker answers with an immediately Done change), -ENOENT/-EINVAL (a
 * resolve error: answer 400 with perr), or -EPERM (a policy denial from a
 * declaration: snapd reports it as the change's error, so the broker should
 * make a change that fails with "cannot perform the following tasks:\n- <task
 * summary> (<perr.msg>)"; *ref is filled in that case). */
#define PB_ALREADY_CONNECTED 1
int pb_model_connect(struct pb_model *m, const char *plug_snap, const char *plug,
                     const char *slot_snap, const char *slot, struct pb_connref *ref,
                     struct pb_affected *aff, struct pb_perror *perr);

/* Disconnect, both forms of SNAPD-COMPAT §1c:
 *  - two-argument: plug_snap:plug and slot_snap:slot both given (empty snap =
 *    system snap); they must be connected.
 *  - one-argument: plug_snap and plug empty, slot_snap:slot names a plug OR a
 *    slot (empty snap = system snap); every connection of it.
 * forget: match entries in the state (undesired too) and delete them.
 * A disconnected auto-connection becomes undesired (unless forget); a manual
 * one is deleted. -ENOENT with kind "interfaces-unchanged" (400) when the
 * one-argument form finds nothing. aff gets one task per connection. */
int pb_model_disconnect(struct pb_model *m, const char *plug_snap, const char *plug,
                        const char *slot_snap, const char *slot, bool forget,
                        struct pb_affected *aff, struct pb_perror *perr);

/* snapctl is-connected: 1 connected, 0 not, -ENOENT with
 * `snap "S" has no plug or slot named "N"`. With peer non-NULL, only a
 * connection with that snap counts. */
int pb_model_is_connected(const struct pb_model *m, const char *snap, const char *name,
                          const char *peer, struct pb_perror *perr);

/* Is this plug (or slot) of this snap in an active connection? No error form. */
bool pb_model_endpoint_connected(const struct pb_model *m, const char *snap, const char *name,
                                 bool is_slot);

/* ---- REST results (the "result" member of snapd's sync response) ---- */
/* The _json forms return an object that serialises to the result text (so it
 * can be put in the response envelope) but is opaque: it was written as text,
 * because building 10,000 connections as json-c objects took ~150 ms. To look
 * inside, use the _text form (malloc'd, NUL-terminated) and parse it. */

/* GET /v2/connections. snap: NULL or a name (system/core/snapd = system snap);
 * iface: NULL or an interface filter; select: NULL/"" or "all" (anything else:
 * 400 "unsupported select qualifier"). Unknown snap: 404 snap-not-found. */
char *pb_model_connections_text(const struct pb_model *m, const char *snap, const char *iface,
                                const char *select, struct pb_perror *perr);
json_object *pb_model_connections_json(const struct pb_model *m, const char *snap,
                                       const char *iface, const char *select,
                                       struct pb_perror *perr);

/* GET /v2/plugboard/connections (Plugboard's own): the table `plugboard
 * connections` prints, as {"rows":[[interface, plug, slot, notes], ...]} in
 * the table's order, with snap's row rules (cmd_connections.go): the
 * established connections; with select=all also the unconnected plugs and
 * slots (unconnected system slots only when snap names the system snap);
 * nothing at all when GET /v2/connections would list no plug or slot. snap
 * and select as in pb_model_connections_text(). */
char *pb_model_connections_table_text(const struct pb_model *m, const char *snap,
                                      const char *select, struct pb_perror *perr);

struct pb_interfaces_query {
        const char
            *select; /* NULL: the legacy form {"plugs":[…],"slots":[…]}; "all"; "connected" */
        const char *names; /* NULL or a comma-separated list */
        bool doc, plugs, slots;
};
/* GET /v2/interfaces. Bad select: 400 "unsupported select qualifier". */
char *pb_model_interfaces_text(const struct pb_model *m, const struct pb_interfaces_query *q,
                               struct pb_perror *perr);
json_object *pb_model_interfaces_json(const struct pb_model *m, const struct pb_interfaces_query *q,
                                      struct pb_perror *perr);

/* GET /v2/snaps (name NULL: array of all installed) and /v2/snaps/NAME (one
 * object; 404 snap-not-found). Fields as snapd: name, version, revision
 * ("x1"), type, confinement, status "active", summary, description, apps. */
json_object *pb_model_snaps_json(const struct pb_model *m, const char *name,
                                 struct pb_perror *perr);

/* ---- persistence ---- */
#define PB_MODEL_SCHEMA 1
/* {"schema":1,"snaps":{…},"conns":{…}} as text (malloc'd; *len if not
 * NULL); NULL only on ENOMEM. */
char *pb_model_state_text(const struct pb_model *m, size_t *len);
/* The same, as an opaque object that serialises to that text (to embed in
 * the broker's state document); NULL only on ENOMEM. To load it back, parse
 * the text. */
json_object *pb_model_to_json(const struct pb_model *m);
/* Strict: any malformed or missing field gives NULL and perr naming it (e.g.
 * "snaps.vlc.revision: expected a positive integer"); never a
 * half-loaded model. cat is borrowed as in pb_model_new(). */
struct pb_model *pb_model_from_json(const struct pb_catalogue *cat, json_object *o,
                                    struct pb_perror *perr);
