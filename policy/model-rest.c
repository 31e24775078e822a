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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int cmp_conn_ptr(const void *a, const void *b)
{
        return pb_connref_cmp(&(*(struct pb_conn *const *)a)->ref,
                              &(*(struct pb_conn *const *)b)->ref);
}

static void ref_write(struct jw *w, const char *snap, const char *kind, const char *name)
{
        jw_obj_open(w);
        jw_kstr(w, "snap", snap);
        jw_kstr(w, kind, name);
        jw_obj_close(w);
}

static void conn_write(struct jw *w, const struct pb_conn *c, bool undesired)
{
        jw_obj_open(w);
        jw_key(w, "slot");
        ref_write(w, c->ref.slot_snap, "slot", c->ref.slot);
        jw_key(w, "plug");
        ref_write(w, c->ref.plug_snap, "plug", c->ref.plug);
        jw_kstr(w, "interface", c->interface);
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

static int cmp_by_slot(const void *a, const void *b)
{
        const struct pb_conn *x = *(struct pb_conn *const *)a, *y = *(struct pb_conn *const *)b;
        int c = strcmp(x->ref.slot_snap, y->ref.slot_snap);
        if (!c)
                c = strcmp(x->ref.slot, y->ref.slot);
        return c ? c : pb_connref_cmp(&x->ref, &y->ref);
}

/* Every plug and slot (system slots included) with its active connections.
 * O((P + S + C) log C): plugs find their connections in the ref-sorted list,
 * slots in a slot-sorted copy. */
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
        if (!l->plugs || !l->slots || !l->active || !l->buf)
                return -ENOMEM;
        /* pb_conn_active() for each entry, with the plug snap's lookup
         * remembered: conns are grouped by plug snap. */
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
                l->active[l->n_active++] = &m->conns[i];
        }
        /* m->conns is in reference order already. */
        struct pb_conn **by_slot = l->buf + l->n_active;
        memcpy(by_slot, l->active, l->n_active * sizeof(*by_slot));
        if (l->n_active)
                qsort(by_slot, l->n_active, sizeof(*by_slot), cmp_by_slot);
        size_t pos = 0;
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
        /* Both lists and both connection orders are sorted the same way: merge. */
        for (size_t i = 0; i < l->n_plugs; i++) {
                struct item *it = &l->plugs[i];
                while (pos < l->n_active) {
                        const struct pb_conn *c = l->active[pos];
                        int d = strcmp(c->ref.plug_snap, it->ep.snap);
                        if (!d)
                                d = strcmp(c->ref.plug, it->ep.name);
                        if (d >= 0)
                                break;
                        pos++;
                }
                it->conns = &l->active[pos];
                while (pos < l->n_active &&
                       strcmp(l->active[pos]->ref.plug_snap, it->ep.snap) == 0 &&
                       strcmp(l->active[pos]->ref.plug, it->ep.name) == 0) {
                        it->n_conns++;
                        pos++;
                }
        }
        pos = 0;
        for (size_t i = 0; i < l->n_slots; i++) {
                struct item *it = &l->slots[i];
                while (pos < l->n_active) {
                        const struct pb_conn *c = by_slot[pos];
                        int d = strcmp(c->ref.slot_snap, it->ep.snap);
                        if (!d)
                                d = strcmp(c->ref.slot, it->ep.name);
                        if (d >= 0)
                                break;
                        pos++;
                }
                it->conns = &by_slot[pos];
                while (pos < l->n_active && strcmp(by_slot[pos]->ref.slot_snap, it->ep.snap) == 0 &&
                       strcmp(by_slot[pos]->ref.slot, it->ep.name) == 0) {
                        it->n_conns++;
                        pos++;
                }
        }
        return 0;
}

static void item_write(struct jw *w, const struct item *it, bool with_iface, bool with_apps,
                       bool with_conns)
{
        const char *kind = it->slot ? "slot" : "plug";
        jw_obj_open(w);
        jw_kstr(w, "snap", it->ep.snap);
        jw_kstr(w, kind, it->ep.name);
        if (with_iface)
                jw_kstr(w, "interface", it->ep.interface);
        if (!pbj_empty(it->ep.attrs))
                jw_kjson(w, "attrs", it->ep.attrs);
        if (with_apps && it->ep.n_apps) {
                jw_key(w, "apps");
                jw_arr_open(w);
                for (size_t i = 0; i < it->ep.n_apps; i++)
                        jw_str(w, it->ep.apps[i]);
                jw_arr_close(w);
        }
        if (it->ep.label && *it->ep.label)
                jw_kstr(w, "label", it->ep.label);
        if (with_conns && it->n_conns) {
                jw_key(w, "connections");
                jw_arr_open(w);
                for (size_t i = 0; i < it->n_conns; i++) {
                        const struct pb_conn *c = it->conns[i];
                        if (it->slot)
                                ref_write(w, c->ref.plug_snap, "plug", c->ref.plug);
                        else
                                ref_write(w, c->ref.slot_snap, "slot", c->ref.slot);
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
        jw_key(&w, "established");
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
                jw_key(&w, "undesired");
                jw_arr_open(&w);
                for (size_t i = 0; i < nu; i++)
                        conn_write(&w, u[i], true);
                jw_arr_close(&w);
        }
        free(u);
        jw_key(&w, "plugs");
        items_write(&w, l.plugs, l.n_plugs, snap, iface, all);
        jw_key(&w, "slots");
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
                jw_key(&w, "plugs");
                items_write(&w, l.plugs, l.n_plugs, NULL, NULL, true);
                jw_key(&w, "slots");
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
                        jw_kstr(&w, "name", f->name);
                        jw_kstr(&w, "summary", f->summary);
                        if (q->doc && *f->doc_url)
                                jw_kstr(&w, "doc-url", f->doc_url);
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
