/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The "result" members of snapd's REST answers (daemon/api_connections.go,
 * api_interfaces.go, api_snaps.go), built from the model. Empty fields are
 * omitted as snapd's omitempty does.
 */
#include "jsonutil.h"
#include "jwriter.h"
#include "model-priv.h"
#include "putil.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int cmp_conn_ptr(const void *a, const void *b)
{
        return pb_connref_cmp(&(*(struct pb_conn *const *)a)->ref,
                              &(*(struct pb_conn *const *)b)->ref);
}

static void ref_write(struct jw *w, const char *snap, bool slot, const char *name)
{
        jw_obj_open(w);
        JW_KSTR(w, "snap", snap);
        if (slot)
                JW_KSTR(w, "slot", name);
        else
                JW_KSTR(w, "plug", name);
        jw_obj_close(w);
}

static void conn_write(struct jw *w, const struct pb_conn *c, bool undesired)
{
        jw_obj_open(w);
        JW_KEY(w, "slot");
        ref_write(w, c->ref.slot_snap, true, c->ref.slot);
        JW_KEY(w, "plug");
        ref_write(w, c->ref.plug_snap, false, c->ref.plug);
        JW_KSTR(w, "interface", c->interface);
        if (!c->auto_ || undesired)
                jw_kbool(w, "manual", true);
        if (c->by_gadget)
                jw_kbool(w, "gadget", true);
        if (!pbj_empty(c->slot_attrs))
                jw_kjson(w, "slot-attrs", c->slot_attrs);
        if (!pbj_empty(c->plug_attrs))
                jw_kjson(w, "plug-attrs", c->plug_attrs);
        jw_obj_close(w);
}

/* An endpoint in a listing, with its active connections. */
struct item {
        struct pb_ep ep;
        bool slot;
        struct pb_conn **conns;
        size_t n_conns;
};

static int cmp_item(const void *a, const void *b)
{
        const struct item *x = a, *y = b;
        int c = strcmp(x->ep.snap, y->ep.snap);
        return c ? c : strcmp(x->ep.name, y->ep.name);
}

struct listing {
        struct item *plugs, *slots;
        size_t n_plugs, n_slots;
        struct pb_conn **active; /* sorted by ref */
        size_t n_active;
        struct pb_conn **buf; /* backing store of the items' conns */
};

static void listing_free(struct listing *l)
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

static int ep_index_build(struct ep_index *ix, const struct item *items, size_t n)
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
static int attach(struct item *items, size_t n_items, struct pb_conn **active, size_t n_active,
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
static int listing_build(const struct pb_model *m, struct listing *l)
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
                        struct item *it = &l->plugs[l->n_plugs++];
                        pb_model_plug(m, m->snaps[i].name, info->plugs[j].name, &it->ep);
                }
                for (size_t j = 0; j < info->n_slots; j++) {
                        struct item *it = &l->slots[l->n_slots++];
                        it->slot = true;
                        pb_model_slot(m, m->snaps[i].name, info->slots[j].name, &it->ep);
                }
        }
        for (size_t i = 0; i < pb_catalogue_count(m->cat); i++) {
                const struct pb_interface *f = pb_catalogue_at(m->cat, i);
                if (!f->implicit_slot)
                        continue;
                struct item *it = &l->slots[l->n_slots++];
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

static void item_write(struct jw *w, const struct item *it, bool with_iface, bool with_apps,
                       bool with_conns)
{
        jw_obj_open(w);
        JW_KSTR(w, "snap", it->ep.snap);
        if (it->slot)
                JW_KSTR(w, "slot", it->ep.name);
        else
                JW_KSTR(w, "plug", it->ep.name);
        if (with_iface)
                JW_KSTR(w, "interface", it->ep.interface);
        if (!pbj_empty(it->ep.attrs))
                jw_kjson(w, "attrs", it->ep.attrs);
        if (with_apps && it->ep.n_apps) {
                JW_KEY(w, "apps");
                jw_arr_open(w);
                for (size_t i = 0; i < it->ep.n_apps; i++)
                        jw_str(w, it->ep.apps[i]);
                jw_arr_close(w);
        }
        if (it->ep.label && *it->ep.label)
                JW_KSTR(w, "label", it->ep.label);
        if (with_conns && it->n_conns) {
                JW_KEY(w, "connections");
                jw_arr_open(w);
                for (size_t i = 0; i < it->n_conns; i++) {
                        const struct pb_conn *c = it->conns[i];
                        if (it->slot)
                                ref_write(w, c->ref.plug_snap, false, c->ref.plug);
                        else
                                ref_write(w, c->ref.slot_snap, true, c->ref.slot);
                }
                jw_arr_close(w);
        }
        jw_obj_close(w);
}

/* snapd's plugOrConnectedSlotMatches / slotOrConnectedPlugMatches. */
static bool item_matches(const struct item *it, const char *snap)
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

static void items_write(struct jw *w, const struct item *items, size_t n, const char *snap,
                        const char *iface, bool all)
{
        jw_arr_open(w);
        for (size_t i = 0; i < n; i++) {
                const struct item *it = &items[i];
                if (!all && !it->n_conns)
                        continue;
                if (iface && strcmp(it->ep.interface, iface) != 0)
                        continue;
                if (!item_matches(it, snap))
                        continue;
                item_write(w, it, true, true, true);
        }
        jw_arr_close(w);
}

static bool conn_matches(const struct pb_conn *c, const char *snap, const char *iface)
{
        if (snap && strcmp(c->ref.plug_snap, snap) != 0 && strcmp(c->ref.slot_snap, snap) != 0)
                return false;
        return !iface || strcmp(c->interface, iface) == 0;
}

char *pb_model_connections_text(const struct pb_model *m, const char *snap, const char *iface,
                                const char *select, struct pb_perror *perr)
{
        if (select && *select && strcmp(select, "all") != 0) {
                pb_perror_set(perr, EINVAL, 400, NULL, NULL, "unsupported select qualifier");
                return NULL;
        }
        bool all = select && *select;
        if (snap && !*snap)
                snap = NULL;
        if (iface && !*iface)
                iface = NULL;
        if (snap) {
                snap = pb_map_system(snap);
                if (strcmp(snap, PB_SYSTEM_SNAP) != 0 && !pb_model_find(m, snap)) {
                        pb_perror_set(perr, ENOENT, 404, "snap-not-found", snap,
                                      "snap \"%s\" not found", snap);
                        return NULL;
                }
        }
        struct listing l = {0};
        struct pb_conn **u = calloc(m->n_conns + 1, sizeof(*u));
        if (!u || listing_build(m, &l) < 0) {
                free(u);
                listing_free(&l);
                pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
                return NULL;
        }
        struct jw w;
        jw_init(&w);
        jw_obj_open(&w);
        JW_KEY(&w, "established");
        jw_arr_open(&w);
        for (size_t i = 0; i < l.n_active; i++)
                if (conn_matches(l.active[i], snap, iface))
                        conn_write(&w, l.active[i], false);
        jw_arr_close(&w);
        /* Undesired entries (only with select=all), in reference order. */
        size_t nu = 0;
        for (size_t i = 0; all && i < m->n_conns; i++)
                if (m->conns[i].undesired && conn_matches(&m->conns[i], snap, iface))
                        u[nu++] = &m->conns[i];
        if (nu) {
                qsort(u, nu, sizeof(*u), cmp_conn_ptr);
                JW_KEY(&w, "undesired");
                jw_arr_open(&w);
                for (size_t i = 0; i < nu; i++)
                        conn_write(&w, u[i], true);
                jw_arr_close(&w);
        }
        free(u);
        JW_KEY(&w, "plugs");
        items_write(&w, l.plugs, l.n_plugs, snap, iface, all);
        JW_KEY(&w, "slots");
        items_write(&w, l.slots, l.n_slots, snap, iface, all);
        jw_obj_close(&w);
        listing_free(&l);
        char *text = jw_steal(&w, NULL);
        if (!text)
                pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
        return text;
}

json_object *pb_model_connections_json(const struct pb_model *m, const char *snap,
                                       const char *iface, const char *select,
                                       struct pb_perror *perr)
{
        char *text = pb_model_connections_text(m, snap, iface, select, perr);
        json_object *o = text ? jw_raw_object(text) : NULL;
        if (text && !o)
                pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
        return o;
}

static bool name_listed(const char *names, const char *name)
{
        size_t n = strlen(name);
        for (const char *p = names; p && *p;) {
                const char *e = strchr(p, ',');
                size_t len = e ? (size_t)(e - p) : strlen(p);
                if (len == n && strncmp(p, name, n) == 0)
                        return true;
                p = e ? e + 1 : p + len;
        }
        return false;
}

char *pb_model_interfaces_text(const struct pb_model *m, const struct pb_interfaces_query *q,
                               struct pb_perror *perr)
{
        bool legacy = !q->select || !*q->select;
        if (!legacy && strcmp(q->select, "all") != 0 && strcmp(q->select, "connected") != 0) {
                pb_perror_set(perr, EINVAL, 400, NULL, NULL, "unsupported select qualifier");
                return NULL;
        }
        bool connected = !legacy && strcmp(q->select, "connected") == 0;
        struct listing l = {0};
        if (listing_build(m, &l) < 0) {
                listing_free(&l);
                pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
                return NULL;
        }
        struct jw w;
        jw_init(&w);
        if (legacy) {
                /* The legacy form: every plug and slot with its connections. */
                jw_obj_open(&w);
                JW_KEY(&w, "plugs");
                items_write(&w, l.plugs, l.n_plugs, NULL, NULL, true);
                JW_KEY(&w, "slots");
                items_write(&w, l.slots, l.n_slots, NULL, NULL, true);
                jw_obj_close(&w);
        } else {
                jw_arr_open(&w);
                for (size_t i = 0; i < pb_catalogue_count(m->cat); i++) {
                        const struct pb_interface *f = pb_catalogue_at(m->cat, i);
                        if (q->names && *q->names && !name_listed(q->names, f->name))
                                continue;
                        bool any = false;
                        for (size_t k = 0; k < l.n_active && !any; k++)
                                any = strcmp(l.active[k]->interface, f->name) == 0;
                        if (connected && !any)
                                continue;
                        jw_obj_open(&w);
                        JW_KSTR(&w, "name", f->name);
                        JW_KSTR(&w, "summary", f->summary);
                        if (q->doc && *f->doc_url)
                                JW_KSTR(&w, "doc-url", f->doc_url);
                        if (q->doc) { /* Plugboard's addition: what it grants, in technical terms.
                                       */
                                json_object *lines = pb_interface_grant_lines(f);
                                if (lines)
                                        jw_kjson(&w, "grants", lines);
                                json_object_put(lines);
                        }
                        struct {
                                bool want;
                                const struct item *items;
                                size_t n;
                                const char *key;
                        } sides[] = {{q->plugs, l.plugs, l.n_plugs, "plugs"},
                                     {q->slots, l.slots, l.n_slots, "slots"}};
                        for (size_t s = 0; s < 2; s++) {
                                if (!sides[s].want)
                                        continue;
                                bool opened = false;
                                for (size_t k = 0; k < sides[s].n; k++) {
                                        const struct item *it = &sides[s].items[k];
                                        if (strcmp(it->ep.interface, f->name) != 0 ||
                                            (connected && !it->n_conns))
                                                continue;
                                        if (!opened) {
                                                jw_key(&w, sides[s].key);
                                                jw_arr_open(&w);
                                                opened = true;
                                        }
                                        item_write(&w, it, false, false, false);
                                }
                                if (opened)
                                        jw_arr_close(&w);
                        }
                        jw_obj_close(&w);
                }
                jw_arr_close(&w);
        }
        listing_free(&l);
        char *text = jw_steal(&w, NULL);
        if (!text)
                pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
        return text;
}

json_object *pb_model_interfaces_json(const struct pb_model *m, const struct pb_interfaces_query *q,
                                      struct pb_perror *perr)
{
        char *text = pb_model_interfaces_text(m, q, perr);
        json_object *o = text ? jw_raw_object(text) : NULL;
        if (text && !o)
                pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
        return o;
}

static json_object *snap_obj(const struct pb_msnap *s)
{
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        const struct pb_snap_info *info = s->info;
        char rev[24];
        snprintf(rev, sizeof(rev), "x%d", s->revision);
        json_object_object_add(o, "id", json_object_new_string(""));
        json_object_object_add(o, "name", json_object_new_string(s->name));
        json_object_object_add(o, "title", json_object_new_string(s->name));
        json_object_object_add(o, "summary", json_object_new_string(info->summary));
        json_object_object_add(o, "description", json_object_new_string(info->description));
        json_object_object_add(o, "version", json_object_new_string(info->version));
        json_object_object_add(o, "revision", json_object_new_string(rev));
        json_object_object_add(o, "type", json_object_new_string(info->type));
        json_object_object_add(o, "confinement", json_object_new_string(info->confinement));
        json_object_object_add(o, "status", json_object_new_string("active"));
        json_object_object_add(o, "developer", json_object_new_string(""));
        json_object_object_add(o, "channel", json_object_new_string(""));
        json_object_object_add(o, "devmode", json_object_new_boolean(0));
        json_object_object_add(o, "jailmode", json_object_new_boolean(0));
        json_object_object_add(o, "private", json_object_new_boolean(0));
        if (info->base)
                json_object_object_add(o, "base", json_object_new_string(info->base));
        if (s->source)
                json_object_object_add(o, "mounted-from", json_object_new_string(s->source));
        if (s->install_time > 0) {
                char buf[64];
                struct tm tm;
                time_t t = (time_t)s->install_time;
                if (gmtime_r(&t, &tm) && strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
                        json_object_object_add(o, "install-date", json_object_new_string(buf));
        }
        json_object *apps = json_object_new_array();
        for (size_t i = 0; apps && i < info->n_apps; i++) {
                json_object *a = json_object_new_object();
                json_object_object_add(a, "snap", json_object_new_string(s->name));
                json_object_object_add(a, "name", json_object_new_string(info->apps[i].name));
                if (info->apps[i].daemon)
                        json_object_object_add(a, "daemon",
                                               json_object_new_string(info->apps[i].daemon));
                json_object_array_add(apps, a);
        }
        json_object_object_add(o, "apps", apps);
        return o;
}

json_object *pb_model_snaps_json(const struct pb_model *m, const char *name, struct pb_perror *perr)
{
        if (name) {
                const struct pb_msnap *s = pb_model_find(m, name);
                if (!s) {
                        pb_perror_set(perr, ENOENT, 404, "snap-not-found", name,
                                      "snap \"%s\" not found", name);
                        return NULL;
                }
                json_object *o = snap_obj(s);
                if (!o)
                        pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
                return o;
        }
        json_object *arr = json_object_new_array();
        for (size_t i = 0; arr && i < m->n_snaps; i++) {
                json_object *o = snap_obj(&m->snaps[i]);
                if (!o) {
                        json_object_put(arr);
                        arr = NULL;
                        break;
                }
                json_object_array_add(arr, o);
        }
        if (!arr)
                pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
        return arr;
}
