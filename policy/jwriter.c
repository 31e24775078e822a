/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "jwriter.h"

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

static void quoted(struct jw *w, const char *s)
{
        put(w, "\"", 1);
        const char *run = s;
        for (const char *p = s; *p; p++) {
                unsigned char c = (unsigned char)*p;
                if (c >= 0x20 && c != '"' && c != '\\')
                        continue;
                put(w, run, (size_t)(p - run));
                char esc[8];
                switch (c) {
                case '"':
                        put(w, "\\\"", 2);
                        break;
                case '\\':
                        put(w, "\\\\", 2);
                        break;
                case '\n':
                        put(w, "\\n", 2);
                        break;
                case '\t':
                        put(w, "\\t", 2);
                        break;
                case '\r':
                        put(w, "\\r", 2);
                        break;
                default:
                        snprintf(esc, sizeof(esc), "\\u%04x", c);
                        put(w, esc, 6);
                }
                run = p + 1;
        }
        put(w, run, strlen(run));
        put(w, "\"", 1);
}

void jw_key(struct jw *w, const char *key)
{
        sep(w);
        quoted(w, key);
        put(w, ":", 1);
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
