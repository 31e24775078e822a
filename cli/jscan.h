/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A small JSON scanner for big responses: one pass, one token array, no
 * per-value allocation (json-c spent ~100 ms building a DOM of a 10,000
 * connection listing). Tokens index into the caller's text; strings are
 * decoded on demand.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pb_jtype { PB_J_OBJECT, PB_J_ARRAY, PB_J_STRING, PB_J_PRIMITIVE };

/* 20 bytes: a 10,000-connection listing is ~300,000 tokens. Texts are
 * limited to 4 GiB. */
struct pb_jtok {
        uint32_t start, end; /* [start, end) of the value's text; strings without quotes */
        uint32_t count;      /* children: array elements, or object members (key/value pairs) */
        uint32_t next;       /* index of the token after this value and its children */
        uint8_t type;        /* enum pb_jtype */
};

struct pb_jdoc {
        const char *text;
        struct pb_jtok *tok;
        size_t n;
};

/* 0, or -1 for text that is not a single valid JSON value. */
int pb_jparse(const char *text, size_t len, struct pb_jdoc *doc);
void pb_jfree(struct pb_jdoc *doc);

/* Member `key` of object token i, or 0 (token 0 is never a member). */
size_t pb_jget(const struct pb_jdoc *d, size_t obj, const char *key);
/* Element k of array i: iterate with first = i + 1, then .next. */
static inline size_t pb_jfirst(const struct pb_jdoc *d, size_t i)
{
        return d->tok[i].count ? i + 1 : 0;
}
static inline size_t pb_jnext(const struct pb_jdoc *d, size_t i)
{
        return d->tok[i].next;
}
/* The decoded string of token i (NULL if not a string); malloc'd. */
char *pb_jstrdup(const struct pb_jdoc *d, size_t i);
/* The text length of string token i (an upper bound of its decoded length;
 * 0 if not a string), and its decoded bytes written to out (no NUL added;
 * returns their number). No allocation: for building cells in place. */
size_t pb_jrawlen(const struct pb_jdoc *d, size_t i);
size_t pb_jdecode(const struct pb_jdoc *d, size_t i, char *out);
/* String token i decoded in place in `text`, the caller's writable copy of
 * d->text (decoding never lengthens a string, and its closing quote becomes
 * the NUL), or NULL if not a string. Only the token's own bytes change: the
 * other tokens stay usable, but not string i's raw text. */
char *pb_jstr_inplace(const struct pb_jdoc *d, char *text, size_t i);
/* Whether token i is the primitive `true`. */
bool pb_jtrue(const struct pb_jdoc *d, size_t i);
