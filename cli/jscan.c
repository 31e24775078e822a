/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "jscan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct parser {
        const char *s;
        size_t len, pos;
        struct pb_jdoc *d;
        size_t cap;
};

static size_t push(struct parser *p, enum pb_jtype t, size_t start)
{
        if (p->d->n == p->cap) {
                /* A first guess from the text's length saves most regrowth. */
                size_t ncap = p->cap ? p->cap * 2 : p->len / 8 + 1024;
                struct pb_jtok *nt = realloc(p->d->tok, ncap * sizeof(*nt));
                if (!nt)
                        return SIZE_MAX;
                p->d->tok = nt;
                p->cap = ncap;
        }
        struct pb_jtok *k = &p->d->tok[p->d->n];
        k->type = (uint8_t)t;
        k->start = (uint32_t)start;
        k->end = (uint32_t)start;
        k->count = 0;
        k->next = 0;
        return p->d->n++;
}

static void ws(struct parser *p)
{
        const char *s = p->s;
        size_t pos = p->pos, len = p->len;
        while (pos < len && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r'))
                pos++;
        p->pos = pos;
}

/* A string character that needs no attention: not '"', '\\' or a control
 * character (most of a listing), and the characters of numbers and literals. */
static inline bool is_plain(unsigned char c)
{
        return c >= 0x20 && c != '"' && c != '\\';
}

#define ONES  0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
/* Whether any of 8 bytes may be '"', '\\' or a control character (exact
 * for "none"): strings are skipped 8 bytes at a time. */
static inline bool special8(uint64_t x)
{
        uint64_t q = x ^ (ONES * '"'), b = x ^ (ONES * '\\');
        return (((x - ONES * 0x20) & ~x) | ((q - ONES) & ~q) | ((b - ONES) & ~b)) & HIGHS;
}

static const bool primchar[256] = {
    ['+'] = 1, ['-'] = 1, ['.'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
    ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['e'] = 1, ['E'] = 1, ['t'] = 1,
    ['r'] = 1, ['u'] = 1, ['f'] = 1, ['a'] = 1, ['l'] = 1, ['s'] = 1, ['n'] = 1,
};

static int string(struct parser *p)
{
        /* at the opening quote */
        size_t start = ++p->pos;
        const char *s = p->s;
        size_t len = p->len;
        while (p->pos < len) {
                /* fast path: plain characters (most of a listing), kept in a
                 * local: p->pos would be reloaded after every store */
                size_t pos = p->pos;
                for (uint64_t x; pos + 8 <= len; pos += 8) {
                        memcpy(&x, s + pos, 8);
                        if (special8(x))
                                break;
                }
                while (pos < len && is_plain((unsigned char)s[pos]))
                        pos++;
                p->pos = pos;
                if (pos >= len)
                        break;
                unsigned char c = (unsigned char)p->s[p->pos];
                if (c == '"') {
                        size_t i = push(p, PB_J_STRING, start);
                        if (i == SIZE_MAX)
                                return -1;
                        p->d->tok[i].end = (uint32_t)p->pos++;
                        p->d->tok[i].next = (uint32_t)(i + 1);
                        return 0;
                }
                if (c < 0x20)
                        return -1;
                if (c == '\\') {
                        if (++p->pos >= p->len)
                                return -1;
                        char e = p->s[p->pos];
                        if (e == 'u') {
                                for (int k = 1; k <= 4; k++) {
                                        char h = p->pos + (size_t)k < p->len
                                                     ? p->s[p->pos + (size_t)k]
                                                     : 0;
                                        if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') ||
                                              (h >= 'A' && h <= 'F')))
                                                return -1;
                                }
                                p->pos += 4;
                        } else if (!strchr("\"\\/bfnrt", e) || !e) {
                                return -1;
                        }
                }
                p->pos++;
        }
        return -1;
}

static int primitive(struct parser *p)
{
        size_t start = p->pos;
        while (p->pos < p->len && primchar[(unsigned char)p->s[p->pos]])
                p->pos++;
        size_t n = p->pos - start;
        const char *t = p->s + start;
        bool ok = (n == 4 && memcmp(t, "true", 4) == 0) || (n == 5 && memcmp(t, "false", 5) == 0) ||
                  (n == 4 && memcmp(t, "null", 4) == 0) ||
                  (n > 0 && (t[0] == '-' || (t[0] >= '0' && t[0] <= '9')));
        if (!ok)
                return -1;
        size_t i = push(p, PB_J_PRIMITIVE, start);
        if (i == SIZE_MAX)
                return -1;
        p->d->tok[i].end = (uint32_t)p->pos;
        p->d->tok[i].next = (uint32_t)(i + 1);
        return 0;
}

/* Iterative, with an explicit stack of open containers, so hostile nesting
 * cannot overflow ours. */
static int value(struct parser *p)
{
        size_t *stack = NULL, depth = 0, scap = 0;
        int r = -1;
        for (;;) {
                ws(p);
                if (p->pos >= p->len)
                        goto out;
                char c = p->s[p->pos];
                if (c == '{' || c == '[') {
                        size_t i = push(p, c == '{' ? PB_J_OBJECT : PB_J_ARRAY, p->pos);
                        if (i == SIZE_MAX)
                                goto out;
                        if (depth == scap) {
                                scap = scap ? scap * 2 : 64;
                                size_t *ns = realloc(stack, scap * sizeof(*ns));
                                if (!ns)
                                        goto out;
                                stack = ns;
                        }
                        stack[depth++] = i;
                        p->pos++;
                        ws(p);
                        if (p->pos < p->len && p->s[p->pos] == (c == '{' ? '}' : ']'))
                                goto close;
                        if (c == '{')
                                goto key;
                        continue;
                }
                if (c == '"') {
                        if (string(p) < 0)
                                goto out;
                } else if (primitive(p) < 0) {
                        goto out;
                }
        after_value:
                if (depth == 0) {
                        r = 0;
                        goto out;
                }
                {
                        struct pb_jtok *top = &p->d->tok[stack[depth - 1]];
                        top->count++;
                        ws(p);
                        if (p->pos >= p->len)
                                goto out;
                        char sep = p->s[p->pos];
                        char closer = top->type == PB_J_OBJECT ? '}' : ']';
                        if (sep == ',') {
                                p->pos++;
                                if (top->type == PB_J_OBJECT)
                                        goto key;
                                continue;
                        }
                        if (sep != closer)
                                goto out;
                }
        close : {
                size_t i = stack[--depth];
                p->pos++;
                p->d->tok[i].end = (uint32_t)p->pos;
                p->d->tok[i].next = (uint32_t)p->d->n;
                goto after_value;
        }
        key:
                ws(p);
                if (p->pos >= p->len || p->s[p->pos] != '"' || string(p) < 0)
                        goto out;
                ws(p);
                if (p->pos >= p->len || p->s[p->pos] != ':')
                        goto out;
                p->pos++;
        }
out:
        free(stack);
        return r;
}

int pb_jparse(const char *text, size_t len, struct pb_jdoc *doc)
{
        memset(doc, 0, sizeof(*doc));
        doc->text = text;
        if (len >= UINT32_MAX)
                return -1;
        struct parser p = {.s = text, .len = len, .d = doc};
        if (value(&p) < 0)
                goto fail;
        ws(&p);
        if (p.pos != len)
                goto fail;
        return 0;
fail:
        pb_jfree(doc);
        return -1;
}

void pb_jfree(struct pb_jdoc *doc)
{
        free(doc->tok);
        doc->tok = NULL;
        doc->n = 0;
}

static bool key_is(const struct pb_jdoc *d, size_t k, const char *key)
{
        size_t n = d->tok[k].end - d->tok[k].start;
        return d->tok[k].type == PB_J_STRING && strlen(key) == n &&
               memcmp(d->text + d->tok[k].start, key, n) == 0;
}

size_t pb_jget(const struct pb_jdoc *d, size_t obj, const char *key)
{
        if (obj >= d->n || d->tok[obj].type != PB_J_OBJECT)
                return 0;
        size_t k = obj + 1;
        for (size_t m = 0; m < d->tok[obj].count; m++) {
                size_t v = d->tok[k].next;
                if (key_is(d, k, key))
                        return v;
                k = d->tok[v].next;
        }
        return 0;
}

static unsigned hex4(const char *s)
{
        unsigned v = 0;
        for (int i = 0; i < 4; i++) {
                char c = s[i];
                v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        }
        return v;
}

static size_t utf8(char *o, unsigned cp)
{
        if (cp < 0x80) {
                o[0] = (char)cp;
                return 1;
        }
        if (cp < 0x800) {
                o[0] = (char)(0xC0 | (cp >> 6));
                o[1] = (char)(0x80 | (cp & 0x3F));
                return 2;
        }
        if (cp < 0x10000) {
                o[0] = (char)(0xE0 | (cp >> 12));
                o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                o[2] = (char)(0x80 | (cp & 0x3F));
                return 3;
        }
        o[0] = (char)(0xF0 | (cp >> 18));
        o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[3] = (char)(0x80 | (cp & 0x3F));
        return 4;
}

static bool is_str(const struct pb_jdoc *d, size_t i)
{
        return i && i < d->n && d->tok[i].type == PB_J_STRING;
}

size_t pb_jrawlen(const struct pb_jdoc *d, size_t i)
{
        return is_str(d, i) ? d->tok[i].end - d->tok[i].start : 0;
}

char *pb_jstrdup(const struct pb_jdoc *d, size_t i)
{
        if (!is_str(d, i))
                return NULL;
        char *out = malloc(pb_jrawlen(d, i) + 1);
        if (out)
                out[pb_jdecode(d, i, out)] = '\0';
        return out;
}

size_t pb_jdecode(const struct pb_jdoc *d, size_t i, char *out)
{
        if (!is_str(d, i))
                return 0;
        const char *s = d->text + d->tok[i].start, *e = d->text + d->tok[i].end;
        char *o = out;
        const char *bs = memchr(s, '\\', (size_t)(e - s));
        if (!bs) { /* the common case: nothing to decode */
                memcpy(out, s, (size_t)(e - s));
                return (size_t)(e - s);
        }
        while (s < e) {
                if (*s != '\\') {
                        *o++ = *s++;
                        continue;
                }
                s++;
                switch (*s) {
                case 'b':
                        *o++ = '\b';
                        break;
                case 'f':
                        *o++ = '\f';
                        break;
                case 'n':
                        *o++ = '\n';
                        break;
                case 'r':
                        *o++ = '\r';
                        break;
                case 't':
                        *o++ = '\t';
                        break;
                case 'u': {
                        unsigned cp = hex4(s + 1);
                        s += 4;
                        if (cp >= 0xD800 && cp < 0xDC00 && e - s >= 7 && s[1] == '\\' &&
                            s[2] == 'u') {
                                unsigned lo = hex4(s + 3);
                                if (lo >= 0xDC00 && lo < 0xE000) {
                                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                                        s += 6;
                                }
                        }
                        o += utf8(o, cp);
                        break;
                }
                default:
                        *o++ = *s;
                        break;
                }
                s++;
        }
        return (size_t)(o - out);
}

char *pb_jstr_inplace(const struct pb_jdoc *d, char *text, size_t i)
{
        if (!is_str(d, i))
                return NULL;
        char *s = text + d->tok[i].start;
        size_t n = d->tok[i].end - d->tok[i].start;
        /* pb_jdecode writes each byte at or before the one it reads, and
         * copies unescaped text with memcpy: only call it when there is
         * something to decode. */
        if (memchr(s, '\\', n))
                n = pb_jdecode(d, i, s);
        s[n] = '\0';
        return s;
}

bool pb_jtrue(const struct pb_jdoc *d, size_t i)
{
        return i && i < d->n && d->tok[i].type == PB_J_PRIMITIVE &&
               d->tok[i].end - d->tok[i].start == 4 &&
               memcmp(d->text + d->tok[i].start, "true", 4) == 0;
}
