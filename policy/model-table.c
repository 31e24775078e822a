/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The rows of `plugboard connections` (snap's cmd_connections.go), made
 * here once from the model instead of by the CLI from GET /v2/connections:
 * for 10,000 connections that response is 2.8 MB and ~300,000 JSON tokens,
 * and scanning it cost the CLI ~100M instructions. This answer is ~4 short
 * strings a row, already in the table's order.
 */
#include "jwriter.h"
#include "listing-priv.h"
#include "perror.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct trow {
        const char *iface; /* the sort key, without the determinant */
        const char *notes;
        /* offsets into the arena while it grows (det: SIZE_MAX for none),
         * then the pointers */
        size_t o_det, o_plug, o_slot;
        const char *det, *plug, *slot;
};

/* Row strings live in one growing buffer; rows hold offsets while it grows
 * and pointers once it is complete. */
struct arena {
        char *buf;
        size_t len, cap;
        bool oom;
};

/* Appends the concatenation of the NULL-terminated list of strings and a
 * NUL (at most 4 strings); returns its offset. */
static size_t arena_cat(struct arena *a, const char *const *parts)
{
        size_t n[5], need = a->len + 1, k = 0;
        for (; parts[k]; k++)
                need += n[k] = strlen(parts[k]);
        if (need > a->cap || !a->buf) {
                size_t ncap = a->cap ? a->cap : 1 << 16;
                while (ncap < need)
                        ncap *= 2;
                char *nb = realloc(a->buf, ncap);
                if (!nb) {
                        a->oom = true;
                        return 0;
                }
                a->buf = nb;
                a->cap = ncap;
        }
        size_t off = a->len;
        for (size_t i = 0; i < k; i++) {
                memcpy(a->buf + a->len, parts[i], n[i]);
                a->len += n[i];
        }
        a->buf[a->len++] = '\0';
        return off;
}

static bool is_system_word(const char *s)
{
        /* called for every cell: most names fail on the first byte */
        return s && (s[0] == 'c' || s[0] == 's') &&
               (strcmp(s, "core") == 0 || strcmp(s, "snapd") == 0 || strcmp(s, "system") == 0);
}

/* "snap:name", or ":name" for the system snap. */
static size_t endpoint(struct arena *a, const char *snap, const char *name)
{
        return arena_cat(a, (const char *[]){is_system_word(snap) ? "" : snap, ":", name, NULL});
}

static const char *content_of(json_object *attrs)
{
        json_object *v = NULL;
        if (!attrs || !json_object_object_get_ex(attrs, "content", &v) ||
            !json_object_is_type(v, json_type_string))
                return NULL;
        const char *s = json_object_get_string(v);
        return s && *s ? s : NULL;
}

/* The interface cell "content[<attr>]" for the content interface (snap's
 * interfaceDeterminant): the plug's content attribute, else the slot's.
 * SIZE_MAX: none, the cell is the interface name. */
static size_t determinant(struct arena *a, const struct pb_conn *c)
{
        if (strcmp(c->interface, "content") != 0)
                return SIZE_MAX;
        const char *v = content_of(c->plug_attrs);
        if (!v)
                v = content_of(c->slot_attrs);
        if (!v)
                return SIZE_MAX;
        return arena_cat(a, (const char *[]){c->interface, "[", v, "]", NULL});
}

static int cmp_cells(const struct trow *x, const struct trow *y)
{
        int c = strcmp(x->plug, y->plug);
        return c ? c : strcmp(x->slot, y->slot);
}

static int cmp_row(const void *pa, const void *pb)
{
        const struct trow *x = pa, *y = pb;
        int c = strcmp(x->iface, y->iface);
        return c ? c : cmp_cells(x, y);
}

static int cmp_name(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sort rows of one interface by their cells, using tmp (n rows): a natural
 * merge sort. They come as a few sorted runs (established connections in
 * reference order, then unconnected plugs, then unconnected slots), so this
 * is a check when they are in order and a merge or two when not. */
static void merge_runs(struct trow *rows, size_t n, struct trow *tmp)
{
        for (;;) {
                size_t pairs = 0, o = 0;
                for (size_t a = 0; a < n; pairs++) {
                        size_t m = a + 1;
                        while (m < n && cmp_cells(&rows[m - 1], &rows[m]) <= 0)
                                m++;
                        if (a == 0 && m == n)
                                return; /* in order */
                        size_t e = m < n ? m + 1 : n;
                        while (e < n && cmp_cells(&rows[e - 1], &rows[e]) <= 0)
                                e++;
                        /* merge [a, m) and [m, e), stable */
                        size_t i = a, j = m;
                        while (i < m && j < e)
                                tmp[o++] =
                                    cmp_cells(&rows[j], &rows[i]) < 0 ? rows[j++] : rows[i++];
                        while (i < m)
                                tmp[o++] = rows[i++];
                        while (j < e)
                                tmp[o++] = rows[j++];
                        a = e;
                }
                memcpy(rows, tmp, n * sizeof(*rows));
                if (pairs == 1)
                        return;
        }
}

/* Sort rows by interface, then plug cell, then slot cell. A general sort
 * cost ~9M instructions for 10,000 rows; but there are few interfaces, and
 * within one the rows mostly arrive in order already (connections come in
 * reference order), so: a stable counting sort by interface (names found
 * through a small hash table), then each interface's rows are checked and
 * only sorted if they are not in order. Result equals qsort(cmp_row). */
static int sort_rows(struct trow *rows, size_t n)
{
        size_t cap = 64;
        while (cap < 4 * n && cap < 4096)
                cap *= 2;
        const char **names = calloc(cap, sizeof(*names)); /* hash slot -> name */
        size_t *count = calloc(cap + 1, sizeof(*count));  /* rows per slot, then start */
        uint32_t *slot = malloc((n + 1) * sizeof(*slot)); /* each row's hash slot */
        const char **order = malloc((cap + 1) * sizeof(*order));
        struct trow *out = malloc((n + 1) * sizeof(*out));
        int r = -ENOMEM;
        if (!names || !count || !slot || !order || !out)
                goto done;
        size_t distinct = 0;
        for (size_t i = 0; i < n; i++) {
                uint64_t h = 1469598103934665603ull;
                for (const unsigned char *p = (const unsigned char *)rows[i].iface; *p; p++)
                        h = (h ^ *p) * 1099511628211ull;
                size_t k = (size_t)(h ^ (h >> 29)) & (cap - 1);
                while (names[k] && strcmp(names[k], rows[i].iface) != 0)
                        k = (k + 1) & (cap - 1);
                if (!names[k]) {
                        if (distinct + 1 >= cap / 2) { /* not worth it: many names */
                                qsort(rows, n, sizeof(*rows), cmp_row);
                                r = 0;
                                goto done;
                        }
                        names[k] = rows[i].iface;
                        order[distinct++] = rows[i].iface;
                }
                slot[i] = (uint32_t)k;
                count[k]++;
        }
        /* Bucket starts in name order. */
        qsort(order, distinct, sizeof(*order), cmp_name);
        size_t pos = 0;
        for (size_t d = 0; d < distinct; d++) {
                size_t k = 0;
                for (const char *nm = order[d];; k = (k + 1) & (cap - 1)) {
                        if (names[k] && (names[k] == nm || strcmp(names[k], nm) == 0))
                                break;
                }
                size_t c = count[k];
                count[k] = pos;
                pos += c;
        }
        for (size_t i = 0; i < n; i++)
                out[count[slot[i]]++] = rows[i];
        memcpy(rows, out, n * sizeof(*rows));
        /* Sort each interface's rows if they are not in order yet. */
        for (size_t b = 0; b < n;) {
                size_t e = b + 1;
                while (e < n && strcmp(rows[e].iface, rows[b].iface) == 0)
                        e++;
                merge_runs(rows + b, e - b, out);
                b = e;
        }
        r = 0;
done:
        free(names);
        free(count);
        free(slot);
        free(order);
        free(out);
        return r;
}

static size_t add_rows(const struct pb_listing *l, const char *snap, const char *raw_snap, bool all,
                       struct trow *rows, struct arena *a)
{
        size_t n = 0, dash = arena_cat(a, (const char *[]){"-", NULL});
        for (size_t i = 0; i < l->n_active; i++) {
                const struct pb_conn *c = l->active[i];
                if (!pb_conn_matches(c, snap, NULL))
                        continue;
                /* an established entry is never undesired: manual = !auto */
                const char *notes = !c->auto_ && c->by_gadget ? "manual,gadget"
                                    : !c->auto_               ? "manual"
                                    : c->by_gadget            ? "gadget"
                                                              : "-";
                rows[n++] = (struct trow){
                    .iface = c->interface,
                    .notes = notes,
                    .o_det = determinant(a, c),
                    .o_plug = endpoint(a, c->ref.plug_snap, c->ref.plug),
                    .o_slot = endpoint(a, c->ref.slot_snap, c->ref.slot),
                };
        }
        for (size_t i = 0; all && i < l->n_plugs; i++) {
                const struct pb_litem *it = &l->plugs[i];
                if (it->n_conns || !pb_litem_matches(it, snap))
                        continue;
                rows[n++] = (struct trow){.iface = it->ep.interface,
                                          .notes = "-",
                                          .o_det = SIZE_MAX,
                                          .o_plug = endpoint(a, it->ep.snap, it->ep.name),
                                          .o_slot = dash};
        }
        /* Unconnected system slots are boring unless the system snap is the
         * one asked for (by one of its names, not by an empty one). */
        for (size_t i = 0; all && i < l->n_slots; i++) {
                const struct pb_litem *it = &l->slots[i];
                if (it->n_conns || !pb_litem_matches(it, snap) ||
                    (!is_system_word(raw_snap) && is_system_word(it->ep.snap)))
                        continue;
                rows[n++] = (struct trow){.iface = it->ep.interface,
                                          .notes = "-",
                                          .o_det = SIZE_MAX,
                                          .o_plug = dash,
                                          .o_slot = endpoint(a, it->ep.snap, it->ep.name)};
        }
        return n;
}

/* Whether GET /v2/connections would list any plug or slot: snap's client
 * prints nothing at all otherwise. */
static bool any_item(const struct pb_litem *items, size_t n, const char *snap, bool all)
{
        for (size_t i = 0; i < n; i++)
                if ((all || items[i].n_conns) && pb_litem_matches(&items[i], snap))
                        return true;
        return false;
}

char *pb_model_connections_table_text(const struct pb_model *m, const char *snap,
                                      const char *select, struct pb_perror *perr)
{
        const char *raw_snap = snap, *iface = NULL;
        bool all;
        if (pb_listing_query(m, &snap, &iface, select, &all, perr) < 0)
                return NULL;
        struct pb_listing l = {0};
        struct arena a = {0};
        struct trow *rows = NULL;
        char *text = NULL;
        if (pb_listing_build(m, &l) < 0)
                goto out;
        size_t n = 0;
        if (any_item(l.plugs, l.n_plugs, snap, all) || any_item(l.slots, l.n_slots, snap, all)) {
                rows = calloc(l.n_active + l.n_plugs + l.n_slots + 1, sizeof(*rows));
                if (!rows)
                        goto out;
                n = add_rows(&l, snap, raw_snap, all, rows, &a);
                if (a.oom)
                        goto out;
                for (size_t i = 0; i < n; i++) {
                        rows[i].det = rows[i].o_det == SIZE_MAX ? NULL : a.buf + rows[i].o_det;
                        rows[i].plug = a.buf + rows[i].o_plug;
                        rows[i].slot = a.buf + rows[i].o_slot;
                }
                if (sort_rows(rows, n) < 0)
                        goto out;
        }
        /* {"rows":[[interface, plug, slot, notes], ...]}: the cells as
         * printed (the interface with its determinant). */
        struct jw w;
        jw_init(&w);
        jw_obj_open(&w);
        JW_KEY(&w, "rows");
        jw_arr_open(&w);
        for (size_t i = 0; i < n; i++) {
                const struct trow *r = &rows[i];
                jw_arr_open(&w);
                jw_str(&w, r->det ? r->det : r->iface);
                jw_str(&w, r->plug);
                jw_str(&w, r->slot);
                jw_str(&w, r->notes);
                jw_arr_close(&w);
        }
        jw_arr_close(&w);
        jw_obj_close(&w);
        text = jw_steal(&w, NULL);
out:
        if (!text)
                pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
        free(rows);
        free(a.buf);
        pb_listing_free(&l);
        return text;
}
