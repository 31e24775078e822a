/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private JSON helpers of policy/. */
#pragma once

#include "perror.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#define PB_ARRAY_SIZE_P(a) (sizeof(a) / sizeof((a)[0]))

/* Parse exactly one JSON value from text (trailing garbage is an error).
 * The message says where: "invalid JSON at byte N: <json-c's reason>". */
int pbj_parse(const char *text, size_t len, json_object **out, struct pb_perror *perr);

/* Every key of o must be in the NULL-terminated list; else
 * "WHERE: unknown key \"k\"". */
int pbj_check_keys(json_object *o, const char *const *keys, const char *where,
                   struct pb_perror *perr);

/* Add key only when val is not NULL (consumes val). */
void pbj_add(json_object *o, const char *key, json_object *val);
/* Deep copy (NULL → NULL). */
json_object *pbj_copy(json_object *o);
/* True when o is NULL or an empty object. */
bool pbj_empty(json_object *o);
