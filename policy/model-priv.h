/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private: the model's data, shared by model*.c. */
#pragma once

#include "iface-priv.h"
#include "model.h"

struct pb_conn {
        char *key; /* "ps:p ss:s" */
        struct pb_connref ref;
        char *interface;
        bool auto_, by_gadget, undesired;
        json_object *plug_attrs, *slot_attrs; /* objects, never NULL */
};

struct pb_msnap {
        char *name;
        int revision;
        struct pb_snap_info *info;
        json_object *decl; /* snapshot at install/refresh, or NULL */
        char *source;      /* or NULL */
        long long install_time;
};

struct pb_model {
        const struct pb_catalogue *cat;
        struct pb_msnap *snaps; /* sorted by name */
        size_t n_snaps, cap_snaps;
        struct pb_conn *conns; /* sorted by ref (pb_connref_cmp) */
        size_t n_conns, cap_conns;
};

/* A plug or slot, of an installed snap or of the system snap. */
struct pb_ep {
        const char *snap;
        const char *name;
        const char *interface;
        const char *label;  /* or NULL */
        json_object *attrs; /* borrowed; may be NULL for system slots */
        char *const *apps;  /* may be NULL */
        size_t n_apps;
        bool system;
};

bool pb_is_system_name(const char *s);
const char *pb_map_system(const char *s); /* system/core/snapd/"" → "snapd" */

struct pb_msnap *pb_model_find(const struct pb_model *m, const char *name);
/* The endpoint e of installed snap `snap` (the name pointer stays e->name). */
void pb_ep_from_info(const char *snap, const struct pb_snap_endpoint *e, struct pb_ep *out);
bool pb_model_plug(const struct pb_model *m, const char *snap, const char *name, struct pb_ep *out);
bool pb_model_slot(const struct pb_model *m, const char *snap, const char *name, struct pb_ep *out);
struct pb_conn *pb_model_conn(const struct pb_model *m, const char *key);
/* Reference order, and "ps:p ss:s" → ref (-EINVAL when malformed). */
int pb_connref_cmp(const struct pb_connref *a, const struct pb_connref *b);
int pb_connref_parse(const char *key, struct pb_connref *r);
/* Active: not undesired, and both ends exist with the connection's interface. */
bool pb_conn_active(const struct pb_model *m, const struct pb_conn *c);

int pb_model_conn_put(struct pb_model *m, const struct pb_connref *ref, const char *iface,
                      bool auto_, json_object *plug_attrs, json_object *slot_attrs,
                      struct pb_conn **out);
void pb_model_conn_del(struct pb_model *m, struct pb_conn *c);
/* Give c new attribute snapshots, taking pa and sa. Either NULL (a failed
 * allocation): frees the other, leaves c unchanged, returns -ENOMEM. */
int pb_conn_replace_attrs(struct pb_conn *c, json_object *pa, json_object *sa);

int pb_affected_add_snap(struct pb_affected *a, const char *snap);
int pb_affected_add_task(struct pb_affected *a, const struct pb_connref *ref, const char *verb);

void pb_connref_set(struct pb_connref *r, const char *ps, const char *p, const char *ss,
                    const char *s);
