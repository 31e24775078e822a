/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * meta/snap.yaml, parsed with libyaml into a plain description: the snap's
 * name, version, apps, and its plugs and slots in snapd's normalised form.
 * Every shorthand snapd accepts is understood:
 *   plugs: [x11]                    plug "x11" of interface x11
 *   plugs: {home: null}             plug "home" of interface home
 *   plugs: {p: camera}              plug "p" of interface camera
 *   plugs: {cam: {interface: camera, attr: value, $label: ...}}
 *   apps: {x: {plugs: [home]}}      declares plug "home" at snap level too,
 *                                   bound to app x (as snapd does)
 * Names are validated with snapd's rules. Errors name the origin and the
 * position: "ORIGIN:LINE:COLUMN: <what was expected>" (1-based).
 *
 * Interfaces are not checked here (the catalogue is not consulted): that
 * happens when the snap is installed into the model.
 */
#pragma once

#include "perror.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct pb_snap_endpoint {
        char *name;
        char *interface;
        char *label;        /* NULL when none */
        json_object *attrs; /* an object, never NULL; owned */
        char **apps;        /* app names bound to this plug or slot, sorted; NULL-terminated */
        size_t n_apps;
};

struct pb_snap_app {
        char *name;
        char *command; /* NULL when absent */
        char *daemon;  /* NULL when not a daemon */
};

struct pb_snap_info {
        char *name;
        char *version;                  /* "" when absent */
        char *summary;                  /* "" when absent */
        char *description;              /* "" when absent */
        char *type;                     /* "app" unless the yaml says otherwise */
        char *confinement;              /* "strict" unless the yaml says otherwise */
        char *base;                     /* NULL when absent */
        struct pb_snap_endpoint *plugs; /* sorted by name */
        size_t n_plugs;
        struct pb_snap_endpoint *slots; /* sorted by name */
        size_t n_slots;
        struct pb_snap_app *apps; /* sorted by name */
        size_t n_apps;
};

/* Parse a snap.yaml held in memory. NULL on error (perr filled, status 400). */
struct pb_snap_info *pb_snap_info_parse(const char *origin, const char *yaml, size_t len,
                                        struct pb_perror *perr);
void pb_snap_info_free(struct pb_snap_info *info);

const struct pb_snap_endpoint *pb_snap_info_plug(const struct pb_snap_info *info, const char *name);
const struct pb_snap_endpoint *pb_snap_info_slot(const struct pb_snap_info *info, const char *name);
const struct pb_snap_app *pb_snap_info_app(const struct pb_snap_info *info, const char *name);

/* Sort plugs, slots and apps by name, as both parsers (snap.yaml and the
 * state file's JSON) leave them: the lookups above binary-search them. */
void pb_snap_info_sort_by_name(struct pb_snap_info *info);

/* For the state file: a JSON form and its strict inverse. */
json_object *pb_snap_info_to_json(const struct pb_snap_info *info);
struct pb_snap_info *pb_snap_info_from_json(json_object *o, struct pb_perror *perr);
struct pb_snap_info *pb_snap_info_dup(const struct pb_snap_info *info);

/* snapd's name rules. Snap names: 2..40 chars of [a-z0-9-], at least one
 * letter, no leading/trailing or double hyphen. Plug, slot and interface
 * names: [a-z](-?[a-z0-9])*. App names: [a-zA-Z0-9](-?[a-zA-Z0-9])*. */
bool pb_valid_snap_name(const char *s);
bool pb_valid_plug_name(const char *s);
bool pb_valid_app_name(const char *s);
