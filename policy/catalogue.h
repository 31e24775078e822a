/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The interface catalogue: one JSON document per interface (the built-ins in
 * policy/interfaces/NAME.json, plus an administrator's drop-in directory), turned
 * into validated, immutable descriptions. Nothing here reads files: the broker
 * reads each file and passes its text and path (the "origin", used only in
 * error messages). docs/INTERFACES.md documents the file format.
 *
 * A file is validated whole before anything of it is added: a bad file is
 * rejected with its origin in the message and leaves the catalogue as it was,
 * so the broker can log it and go on with the next file.
 */
#pragma once

#include "perror.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct pb_catalogue;
struct pb_interface;

struct pb_catalogue *pb_catalogue_new(void);
void pb_catalogue_free(struct pb_catalogue *cat);

/* Parse and validate one interface file. A name already present is replaced
 * (so a drop-in file overrides a built-in of the same name; load built-ins
 * first). Returns 0, -EINVAL (perr: "ORIGIN: what is wrong", status 400) or
 * -ENOMEM. */
int pb_catalogue_add_json(struct pb_catalogue *cat, const char *origin, const char *text,
                          size_t len, struct pb_perror *perr);

/* NULL when unknown. */
const struct pb_interface *pb_catalogue_lookup(const struct pb_catalogue *cat, const char *name);
/* Iteration in name order. */
size_t pb_catalogue_count(const struct pb_catalogue *cat);
const struct pb_interface *pb_catalogue_at(const struct pb_catalogue *cat, size_t i);

/* ---- one interface ---- */
const char *pb_interface_name(const struct pb_interface *iface);
/* snapd's summary wording, e.g. "allows access to the network". */
const char *pb_interface_summary(const struct pb_interface *iface);
/* "" when none (snapd sets none for its built-ins). */
const char *pb_interface_doc_url(const struct pb_interface *iface);
/* The file it came from. */
const char *pb_interface_origin(const struct pb_interface *iface);
/* Whether the system snap ("snapd") provides a slot of this interface on a
 * classic system. */
bool pb_interface_implicit_slot(const struct pb_interface *iface);
/* Whether the base declaration auto-connects a plug of this interface
 * (before attribute conditions and snap declarations are considered). */
bool pb_interface_auto_connect(const struct pb_interface *iface);

/* What the interface grants, in technical terms, one line per rule, e.g.
 *   "read-write  $HOME/[!.]* (recursive)"
 *   "device rw   /dev/video[0-9]*"
 *   "service     audio-playback (PulseAudio playback through the proxy)"
 *   "read-write  each path of plug attribute \"write\" (recursive)"
 * For `plugboard interface NAME --attrs`. Returns a new JSON array of strings
 * (never NULL except on allocation failure). */
json_object *pb_interface_grant_lines(const struct pb_interface *iface);
/* The same joined as text, each line ending in '\n'; malloc'd, NULL on ENOMEM. */
char *pb_interface_grants_text(const struct pb_interface *iface);
