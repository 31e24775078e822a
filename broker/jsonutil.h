/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Small json-c helpers for the broker. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <time.h>

static inline void pb_json_putp(json_object **o)
{
        if (*o)
                json_object_put(*o);
}
#define _cleanup_json_ __attribute__((cleanup(pb_json_putp)))

/* The string member `key` of object `o`, or NULL (absent or not a string). */
const char *pb_json_str(json_object *o, const char *key);
/* RFC 3339 with nanoseconds, UTC, as snapd writes times. */
void pb_json_add_time(json_object *o, const char *key, const struct timespec *ts);
bool pb_json_get_time(json_object *o, const char *key, struct timespec *ts);
void pb_format_time(const struct timespec *ts, char *buf, size_t n);
/* Compact text of `o` (owned by `o`). */
const char *pb_json_text(json_object *o, size_t *len);
