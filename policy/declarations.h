/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Local snap declarations: JSON files playing the role of the store's
 * snap-declaration assertion, one per snap, e.g.
 *   {"snap-name": "guvcview",
 *    "plugs": {"camera": {"allow-auto-connection": true}},
 *    "slots": {"x": {"allow-connection": false, "allow-installation": true}}}
 * Keys under "plugs"/"slots" are interface names (as in the assertion); the
 * values of allow-auto-connection, allow-connection and allow-installation are
 * true or false. The broker reads the directory and passes each file's text.
 *
 * A declaration takes effect at the snap's next install or refresh: the model
 * copies the one in force into the installed snap (see model.h).
 */
#pragma once

#include "perror.h"

#include <json-c/json.h>
#include <stddef.h>

struct pb_declarations;

struct pb_declarations *pb_declarations_new(void);
void pb_declarations_free(struct pb_declarations *d);

/* Validate and add one file. A second file for the same snap replaces the
 * first. Returns 0, -EINVAL ("ORIGIN: what is wrong", status 400) or -ENOMEM. */
int pb_declarations_add_json(struct pb_declarations *d, const char *origin, const char *text,
                             size_t len, struct pb_perror *perr);

/* The validated declaration of a snap (borrowed), or NULL. */
json_object *pb_declarations_get(const struct pb_declarations *d, const char *snap);
