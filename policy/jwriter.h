/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Private: a JSON text writer. The big REST results and the state document
 * are written as text directly: building them as json-c objects cost ~80,000
 * small hash tables (150+ ms) for 10,000 connections (bench/policy-model.c).
 * Output matches Go's encoding/json: no spaces, "/" not escaped.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct jw {
        char *buf;
        size_t len, cap;
        bool oom;
        bool first[64]; /* per nesting level: no comma needed yet */
        int depth;
};

void jw_init(struct jw *w);
void jw_free(struct jw *w);
/* Take the text (NUL-terminated); NULL if any allocation failed. */
char *jw_steal(struct jw *w, size_t *len);

void jw_obj_open(struct jw *w);
void jw_obj_close(struct jw *w);
void jw_arr_open(struct jw *w);
void jw_arr_close(struct jw *w);
/* Start a member: `"key":` (with the comma when needed). */
void jw_key(struct jw *w, const char *key);
/* The same for a string literal key of plain characters (no escapes): the
 * quoted text is made at compile time. Listings write ~200,000 keys. */
#define JW_KEY(w, lit) jw_key_raw((w), "\"" lit "\":", sizeof(lit) + 2)
void jw_key_raw(struct jw *w, const char *text, size_t n);
#define JW_KSTR(w, lit, s)                                                                         \
        do {                                                                                       \
                JW_KEY(w, lit);                                                                    \
                jw_str(w, s);                                                                      \
        } while (0)
/* Values (as array elements they get their comma themselves). */
void jw_str(struct jw *w, const char *s);
void jw_int(struct jw *w, long long v);
void jw_bool(struct jw *w, bool v);
void jw_json(struct jw *w, json_object *o); /* any json-c value, serialised */
/* Shorthands for members. */
void jw_kstr(struct jw *w, const char *key, const char *s);
void jw_kint(struct jw *w, const char *key, long long v);
void jw_kbool(struct jw *w, const char *key, bool v);
void jw_kjson(struct jw *w, const char *key, json_object *o);

/* A json-c object that serialises to `text` verbatim (taking ownership), so a
 * pre-written document can be embedded in a json-c envelope. It is opaque:
 * its content cannot be inspected as an object. */
json_object *jw_raw_object(char *text);
