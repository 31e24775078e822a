/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The "result" members of snapd's REST answers (daemon/api_connections.go,
 * api_interfaces.go, api_snaps.go), built from the model. Empty fields are
 * omitted as snapd's omitempty does.
 */
#include "jsonutil.h"
#include "jwriter.h"
#include "listing-priv.h"
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

static void item_write(struct jw *w, const struct pb_litem *it, bool with_iface, bool with_apps,
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

static void items_write(struct jw *w, const struct pb_litem *items, size_t n, const char *snap,
                        const char *iface, bool all)
{
        jw_arr_open(w);
        for (size_t i = 0; i < n; i++) {
                const struct pb_litem *it = &items[i];
                if (!all && !it->n_conns)
                        continue;
                if (iface && strcmp(it->ep.interface, iface) != 0)
                        continue;
                if (!pb_litem_matches(it, snap))
                        continue;
                item_write(w, it, true, true, true);
        }
        jw_arr_close(w);
}

char *pb_model_connections_text(const struct pb_model *m, const char *snap, const char *iface,
                                const char *select, struct pb_perror *perr)
{
        bool all;
        if (pb_listing_query(m, &snap, &iface, select, &all, perr) < 0)
                return NULL;
        struct pb_listing l = {0};
        struct pb_conn **u = calloc(m->n_conns + 1, sizeof(*u));
        if (!u || pb_listing_build(m, &l) < 0) {
                free(u);
                pb_listing_free(&l);
                pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
                return NULL;
        }
        struct jw w;
        jw_init(&w);
        jw_obj_open(&w);
        JW_KEY(&w, "established");
        jw_arr_open(&w);
        for (size_t i = 0; i < l.n_active; i++)
                if (pb_conn_matches(l.active[i], snap, iface))
                        conn_write(&w, l.active[i], false);
        jw_arr_close(&w);
        /* Undesired entries (only with select=all), in reference order. */
        size_t nu = 0;
        for (size_t i = 0; all && i < m->n_conns; i++)
                if (m->conns[i].undesired && pb_conn_matches(&m->conns[i], snap, iface))
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
        pb_listing_free(&l);
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
        struct pb_listing l = {0};
        if (pb_listing_build(m, &l) < 0) {
                pb_listing_free(&l);
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
                                const struct pb_litem *items;
                                size_t n;
                                const char *key;
                        } sides[] = {{q->plugs, l.plugs, l.n_plugs, "plugs"},
                                     {q->slots, l.slots, l.n_slots, "slots"}};
                        for (size_t s = 0; s < 2; s++) {
                                if (!sides[s].want)
                                        continue;
                                bool opened = false;
                                for (size_t k = 0; k < sides[s].n; k++) {
                                        const struct pb_litem *it = &sides[s].items[k];
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
        pb_listing_free(&l);
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
