/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "jwriter.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jw_init(struct jw *w)
{
        memset(w, 0, sizeof(*w));
        w->first[0] = true;
}

void jw_free(struct jw *w)
{
        free(w->buf);
        memset(w, 0, sizeof(*w));
}

static void grow_put(struct jw *w, const char *s, size_t n)
{
        if (w->oom)
                return;
        size_t ncap = w->cap ? w->cap : 4096;
        while (ncap < w->len + n + 1)
                ncap *= 2;
        char *p = realloc(w->buf, ncap);
        if (!p) {
                w->oom = true;
                return;
        }
        w->buf = p;
        w->cap = ncap;
        memcpy(w->buf + w->len, s, n);
        w->len += n;
        w->buf[w->len] = '\0';
}

/* The hot path: most pieces are a few bytes and fit. */
static inline void put(struct jw *w, const char *s, size_t n)
{
        if (__builtin_expect(w->len + n + 1 <= w->cap, 1)) {
                memcpy(w->buf + w->len, s, n);
                w->len += n;
                w->buf[w->len] = '\0';
                return;
        }
        grow_put(w, s, n);
}

char *jw_steal(struct jw *w, size_t *len)
{
        if (!w->buf)
                put(w, "", 0);
        if (w->oom) {
                jw_free(w);
                return NULL;
        }
        char *b = w->buf;
        if (len)
                *len = w->len;
        w->buf = NULL;
        jw_free(w);
        return b;
}

/* A value in the current container: a comma before all but the first. */
static void sep(struct jw *w)
{
        if (!w->first[w->depth])
                put(w, ",", 1);
        w->first[w->depth] = false;
}

/* Before a value: nothing right after a key, else the separator. */
static void value_prefix(struct jw *w)
{
        if (w->len && w->buf[w->len - 1] == ':')
                return;
        sep(w);
}

static void open_c(struct jw *w, char c)
{
        value_prefix(w);
        put(w, &c, 1);
        if (w->depth < 63)
                w->depth++;
        w->first[w->depth] = true;
}

static void close_c(struct jw *w, char c)
{
        put(w, &c, 1);
        if (w->depth > 0)
                w->depth--;
}

void jw_obj_open(struct jw *w)
{
        open_c(w, '{');
}

void jw_arr_open(struct jw *w)
{
        open_c(w, '[');
}

void jw_obj_close(struct jw *w)
{
        close_c(w, '}');
}

void jw_arr_close(struct jw *w)
{
        close_c(w, ']');
}

/* What follows a backslash for each byte that needs escaping ('u': \u00XX),
 * 0 for the bytes copied as they are (nearly all of a listing). */
static const char escape_of[256] = {
    [0x00] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u',  [0x04] = 'u', [0x05] = 'u',
    [0x06] = 'u', [0x07] = 'u', [0x08] = 'u', [0x09] = 't',  [0x0a] = 'n', [0x0b] = 'u',
    [0x0c] = 'u', [0x0d] = 'r', [0x0e] = 'u', [0x0f] = 'u',  [0x10] = 'u', [0x11] = 'u',
    [0x12] = 'u', [0x13] = 'u', [0x14] = 'u', [0x15] = 'u',  [0x16] = 'u', [0x17] = 'u',
    [0x18] = 'u', [0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u',  [0x1c] = 'u', [0x1d] = 'u',
    [0x1e] = 'u', [0x1f] = 'u', ['"'] = '"',  ['\\'] = '\\',
};

/* Room for n more bytes (and the NUL); false after an allocation failure. */
static bool reserve(struct jw *w, size_t n)
{
        if (w->oom)
                return false;
        if (w->len + n + 1 <= w->cap)
                return true;
        size_t ncap = w->cap ? w->cap : 4096;
        while (ncap < w->len + n + 1)
                ncap *= 2;
        char *p = realloc(w->buf, ncap);
        if (!p) {
                w->oom = true;
                return false;
        }
        w->buf = p;
        w->cap = ncap;
        return true;
}

#define ONES  0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
/* Whether any of 8 bytes may need escaping (exact for "none"). */
static inline bool needs_escape8(uint64_t x)
{
        uint64_t q = x ^ (ONES * '"'), b = x ^ (ONES * '\\');
        return (((x - ONES * 0x20) & ~x) | ((q - ONES) & ~q) | ((b - ONES) & ~b)) & HIGHS;
}

/* Runs of plain bytes are found with a table lookup and copied whole: the
 * per-byte put() of escapes is rare. A listing is ~2.7 MB of such strings. */
static void quoted(struct jw *w, const char *s)
{
        size_t n = strlen(s);
        if (n > (SIZE_MAX - 3) / 6 || !reserve(w, 6 * n + 2))
                return;
        char *o = w->buf + w->len;
        *o++ = '"';
        size_t i = 0;
        while (i < n) {
                size_t run = i;
                /* 8 bytes at a time while none is '"', '\\' or < 0x20 */
                for (uint64_t x; i + 8 <= n; i += 8) {
                        memcpy(&x, s + i, 8);
                        if (needs_escape8(x))
                                break;
                }
                while (i < n && !escape_of[(unsigned char)s[i]])
                        i++;
                memcpy(o, s + run, i - run);
                o += i - run;
                if (i == n)
                        break;
                unsigned char c = (unsigned char)s[i++];
                *o++ = '\\';
                *o++ = escape_of[c];
                if (escape_of[c] == 'u') {
                        static const char hex[] = "0123456789abcdef";
                        *o++ = '0';
                        *o++ = '0';
                        *o++ = hex[c >> 4];
                        *o++ = hex[c & 15];
                }
        }
        *o++ = '"';
        *o = '\0';
        w->len = (size_t)(o - w->buf);
}

void jw_key(struct jw *w, const char *key)
{
        sep(w);
        quoted(w, key);
        put(w, ":", 1);
}

void jw_key_raw(struct jw *w, const char *text, size_t n)
{
        sep(w);
        put(w, text, n);
}

void jw_str(struct jw *w, const char *s)
{
        value_prefix(w);
        quoted(w, s ? s : "");
}

void jw_int(struct jw *w, long long v)
{
        char b[32];
        value_prefix(w);
        put(w, b, (size_t)snprintf(b, sizeof(b), "%lld", v));
}

void jw_bool(struct jw *w, bool v)
{
        value_prefix(w);
        put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_json(struct jw *w, json_object *o)
{
        value_prefix(w);
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE);
        put(w, s, strlen(s));
}

void jw_kstr(struct jw *w, const char *key, const char *s)
{
        jw_key(w, key);
        jw_str(w, s);
}

void jw_kint(struct jw *w, const char *key, long long v)
{
        jw_key(w, key);
        jw_int(w, v);
}

void jw_kbool(struct jw *w, const char *key, bool v)
{
        jw_key(w, key);
        jw_bool(w, v);
}

void jw_kjson(struct jw *w, const char *key, json_object *o)
{
        jw_key(w, key);
        jw_json(w, o);
}

static int raw_serializer(json_object *o, struct printbuf *pb, int level, int flags)
{
        (void)level;
        (void)flags;
        const char *text = json_object_get_userdata(o);
        return printbuf_memappend(pb, text, (int)strlen(text));
}

static void raw_free(json_object *o, void *userdata)
{
        (void)o;
        free(userdata);
}

json_object *jw_raw_object(char *text)
{
        if (!text)
                return NULL;
        /* An object (not null) so that callers' "is it an object" checks and
         * json_object_put behave; only its serialiser is replaced. */
        json_object *o = json_object_new_object();
        if (!o) {
                free(text);
                return NULL;
        }
        json_object_set_serializer(o, raw_serializer, text, raw_free);
        return o;
}
