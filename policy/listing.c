/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "listing-priv.h"
#include "perror.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int cmp_item(const void *a, const void *b)
{
        const struct pb_litem *x = a, *y = b;
        int c = strcmp(x->ep.snap, y->ep.snap);
        return c ? c : strcmp(x->ep.name, y->ep.name);
}

void pb_listing_free(struct pb_listing *l)
{
        free(l->plugs);
        free(l->slots);
        free(l->active);
        free(l->buf);
}

/* Endpoint name pointer -> item index. The model hands out the same name
 * pointer for an endpoint every time (snap info or catalogue storage), so a
 * connection finds its plug and slot items without comparing strings. */
struct ep_index {
        const char **key;
        uint32_t *val;
        size_t mask;
};

static size_t ptr_hash(const void *p)
{
        uintptr_t x = (uintptr_t)p;
        x ^= x >> 17;
        x *= 0x9E3779B97F4A7C15ull;
        return (size_t)(x ^ (x >> 29));
}

static int ep_index_build(struct ep_index *ix, const struct pb_litem *items, size_t n)
{
        size_t cap = 16;
        while (cap < 2 * n)
                cap *= 2;
        ix->key = calloc(cap, sizeof(*ix->key));
        ix->val = calloc(cap, sizeof(*ix->val));
        ix->mask = cap - 1;
        if (!ix->key || !ix->val)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                size_t h = ptr_hash(items[i].ep.name) & ix->mask;
                while (ix->key[h] && ix->key[h] != items[i].ep.name)
                        h = (h + 1) & ix->mask;
                ix->key[h] = items[i].ep.name;
                ix->val[h] = (uint32_t)i;
        }
        return 0;
}

static size_t ep_index_get(const struct ep_index *ix, const char *name)
{
        for (size_t h = ptr_hash(name) & ix->mask; ix->key[h]; h = (h + 1) & ix->mask)
                if (ix->key[h] == name)
                        return ix->val[h];
        return SIZE_MAX;
}

static void ep_index_free(struct ep_index *ix)
{
        free(ix->key);
        free(ix->val);
}

/* Give each item its connections, in reference order: a stable counting sort
 * of the active list by item index (SIZE_MAX: no item, left out). */
static int attach(struct pb_litem *items, size_t n_items, struct pb_conn **active, size_t n_active,
                  const size_t *idx, struct pb_conn **out)
{
        size_t *start = calloc(n_items + 1, sizeof(*start));
        if (!start)
                return -ENOMEM;
        for (size_t k = 0; k < n_active; k++)
                if (idx[k] != SIZE_MAX)
                        items[idx[k]].n_conns++;
        size_t pos = 0;
        for (size_t i = 0; i < n_items; i++) {
                start[i] = pos;
                items[i].conns = &out[pos];
                pos += items[i].n_conns;
        }
        for (size_t k = 0; k < n_active; k++)
                if (idx[k] != SIZE_MAX)
                        out[start[idx[k]]++] = active[k];
        free(start);
        return 0;
}

/* Every plug and slot (system slots included) with its active connections.
 * O(P + S log S + C): connections find their items through ep_index. */
int pb_listing_build(const struct pb_model *m, struct pb_listing *l)
{
        memset(l, 0, sizeof(*l));
        size_t np = 0, ns = 0;
        for (size_t i = 0; i < m->n_snaps; i++) {
                np += m->snaps[i].info->n_plugs;
                ns += m->snaps[i].info->n_slots;
        }
        ns += pb_catalogue_count(m->cat);
        l->plugs = calloc(np + 1, sizeof(*l->plugs));
        l->slots = calloc(ns + 1, sizeof(*l->slots));
        l->active = calloc(m->n_conns + 1, sizeof(*l->active));
        l->buf = calloc(2 * m->n_conns + 1, sizeof(*l->buf));
        size_t *pidx = calloc(m->n_conns + 1, sizeof(*pidx));
        size_t *sidx = calloc(m->n_conns + 1, sizeof(*sidx));
        struct ep_index pix = {0}, six = {0};
        int r = -ENOMEM;
        if (!l->plugs || !l->slots || !l->active || !l->buf || !pidx || !sidx)
                goto out;
        for (size_t i = 0; i < m->n_snaps; i++) {
                const struct pb_snap_info *info = m->snaps[i].info;
                for (size_t j = 0; j < info->n_plugs; j++) {
                        struct pb_litem *it = &l->plugs[l->n_plugs++];
                        pb_ep_from_info(m->snaps[i].name, &info->plugs[j], &it->ep);
                }
                for (size_t j = 0; j < info->n_slots; j++) {
                        struct pb_litem *it = &l->slots[l->n_slots++];
                        it->slot = true;
                        pb_ep_from_info(m->snaps[i].name, &info->slots[j], &it->ep);
                }
        }
        for (size_t i = 0; i < pb_catalogue_count(m->cat); i++) {
                const struct pb_interface *f = pb_catalogue_at(m->cat, i);
                if (!f->implicit_slot)
                        continue;
                struct pb_litem *it = &l->slots[l->n_slots++];
                it->slot = true;
                pb_model_slot(m, PB_SYSTEM_SNAP, f->name, &it->ep);
        }
        /* Plugs were added in (snap, name) order: snaps and their plugs are
         * sorted. Slots need a sort to place the system snap's among them. */
        if (l->n_slots)
                qsort(l->slots, l->n_slots, sizeof(*l->slots), cmp_item);
        if (ep_index_build(&pix, l->plugs, l->n_plugs) < 0 ||
            ep_index_build(&six, l->slots, l->n_slots) < 0)
                goto out;
        /* pb_conn_active() for each entry, with the plug snap's lookup
         * remembered: conns are grouped by plug snap. m->conns is in
         * reference order already, so active is too. */
        const struct pb_msnap *last = NULL;
        for (size_t i = 0; i < m->n_conns; i++) {
                const struct pb_conn *c = &m->conns[i];
                if (c->undesired)
                        continue;
                if (!last || strcmp(last->name, c->ref.plug_snap) != 0)
                        last = pb_model_find(m, c->ref.plug_snap);
                const struct pb_snap_endpoint *pe =
                    last ? pb_snap_info_plug(last->info, c->ref.plug) : NULL;
                struct pb_ep se;
                if (!pe || strcmp(pe->interface, c->interface) != 0 ||
                    !pb_model_slot(m, c->ref.slot_snap, c->ref.slot, &se) ||
                    strcmp(se.interface, c->interface) != 0)
                        continue;
                pidx[l->n_active] = ep_index_get(&pix, pe->name);
                sidx[l->n_active] = ep_index_get(&six, se.name);
                l->active[l->n_active++] = &m->conns[i];
        }
        if (attach(l->plugs, l->n_plugs, l->active, l->n_active, pidx, l->buf) < 0 ||
            attach(l->slots, l->n_slots, l->active, l->n_active, sidx, l->buf + l->n_active) < 0)
                goto out;
        r = 0;
out:
        free(pidx);
        free(sidx);
        ep_index_free(&pix);
        ep_index_free(&six);
        return r;
}

bool pb_litem_matches(const struct pb_litem *it, const char *snap)
{
        if (!snap || strcmp(it->ep.snap, snap) == 0)
                return true;
        for (size_t i = 0; i < it->n_conns; i++) {
                const struct pb_conn *c = it->conns[i];
                if (strcmp(it->slot ? c->ref.plug_snap : c->ref.slot_snap, snap) == 0)
                        return true;
        }
        return false;
}

bool pb_conn_matches(const struct pb_conn *c, const char *snap, const char *iface)
{
        if (snap && strcmp(c->ref.plug_snap, snap) != 0 && strcmp(c->ref.slot_snap, snap) != 0)
                return false;
        return !iface || strcmp(c->interface, iface) == 0;
}
int pb_listing_query(const struct pb_model *m, const char **snap, const char **iface,
                     const char *select, bool *all, struct pb_perror *perr)
{
        if (select && *select && strcmp(select, "all") != 0) {
                pb_perror_set(perr, EINVAL, 400, NULL, NULL, "unsupported select qualifier");
                return -1;
        }
        *all = select && *select;
        if (*snap && !**snap)
                *snap = NULL;
        if (*iface && !**iface)
                *iface = NULL;
        if (*snap) {
                *snap = pb_map_system(*snap);
                if (strcmp(*snap, PB_SYSTEM_SNAP) != 0 && !pb_model_find(m, *snap)) {
                        pb_perror_set(perr, ENOENT, 404, "snap-not-found", *snap,
                                      "snap \"%s\" not found", *snap);
                        return -1;
                }
        }
        return 0;
}
