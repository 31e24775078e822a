/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The connection model: snaps, conns, and install/refresh/remove with
 * auto-connect (SNAPD-COMPAT §1c). Connect/disconnect are in model-connect.c,
 * REST results in model-rest.c, the state form in model-state.c.
 */
#include "jsonutil.h"
#include "model-priv.h"
#include "putil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool pb_is_system_name(const char *s)
{
        return !s || !*s || strcmp(s, "system") == 0 || strcmp(s, "core") == 0 ||
               strcmp(s, PB_SYSTEM_SNAP) == 0;
}

const char *pb_map_system(const char *s)
{
        return pb_is_system_name(s) ? PB_SYSTEM_SNAP : s;
}

void pb_connref_set(struct pb_connref *r, const char *ps, const char *p, const char *ss,
                    const char *s)
{
        snprintf(r->plug_snap, sizeof(r->plug_snap), "%s", ps);
        snprintf(r->plug, sizeof(r->plug), "%s", p);
        snprintf(r->slot_snap, sizeof(r->slot_snap), "%s", ss);
        snprintf(r->slot, sizeof(r->slot), "%s", s);
}

void pb_connref_key(const struct pb_connref *r, char *buf, size_t size)
{
        snprintf(buf, size, "%s:%s %s:%s", r->plug_snap, r->plug, r->slot_snap, r->slot);
}

/* ---- affected ---- */

void pb_affected_clear(struct pb_affected *a)
{
        if (!a)
                return;
        for (size_t i = 0; i < a->n_snaps; i++)
                free(a->snaps[i]);
        free(a->snaps);
        free(a->tasks);
        memset(a, 0, sizeof(*a));
}

int pb_affected_add_snap(struct pb_affected *a, const char *snap)
{
        if (!a || pb_is_system_name(snap))
                return 0;
        size_t i = 0;
        while (i < a->n_snaps && strcmp(a->snaps[i], snap) < 0)
                i++;
        if (i < a->n_snaps && strcmp(a->snaps[i], snap) == 0)
                return 0;
        char **p = realloc(a->snaps, (a->n_snaps + 2) * sizeof(char *));
        if (!p)
                return -ENOMEM;
        a->snaps = p;
        char *d = strdup(snap);
        if (!d)
                return -ENOMEM;
        memmove(&a->snaps[i + 1], &a->snaps[i], (a->n_snaps - i) * sizeof(char *));
        a->snaps[i] = d;
        a->snaps[++a->n_snaps] = NULL;
        return 0;
}

int pb_affected_add_task(struct pb_affected *a, const struct pb_connref *ref, const char *verb)
{
        if (!a)
                return 0;
        void *p = realloc(a->tasks, (a->n_tasks + 1) * sizeof(*a->tasks));
        if (!p)
                return -ENOMEM;
        a->tasks = p;
        struct pb_affected_task *t = &a->tasks[a->n_tasks++];
        t->ref = *ref;
        const char *prep = strcmp(verb, "Connect") == 0 ? "to" : "from";
        snprintf(t->summary, sizeof(t->summary), "%s %s:%s %s %s:%s", verb, ref->plug_snap,
                 ref->plug, prep, ref->slot_snap, ref->slot);
        return 0;
}

/* ---- lifetime ---- */

struct pb_model *pb_model_new(const struct pb_catalogue *cat)
{
        struct pb_model *m = calloc(1, sizeof(*m));
        if (m)
                m->cat = cat;
        return m;
}

static void conn_clear(struct pb_conn *c)
{
        free(c->key);
        free(c->interface);
        if (c->plug_attrs)
                json_object_put(c->plug_attrs);
        if (c->slot_attrs)
                json_object_put(c->slot_attrs);
}

static void msnap_clear(struct pb_msnap *s)
{
        free(s->name);
        free(s->source);
        pb_snap_info_free(s->info);
        if (s->decl)
                json_object_put(s->decl);
}

void pb_model_free(struct pb_model *m)
{
        if (!m)
                return;
        for (size_t i = 0; i < m->n_conns; i++)
                conn_clear(&m->conns[i]);
        for (size_t i = 0; i < m->n_snaps; i++)
                msnap_clear(&m->snaps[i]);
        free(m->conns);
        free(m->snaps);
        free(m);
}

const struct pb_catalogue *pb_model_catalogue(const struct pb_model *m)
{
        return m->cat;
}

/* ---- lookups ---- */

static int cmp_snap_name(const void *element, const void *key)
{
        return strcmp(((const struct pb_msnap *)element)->name, key);
}

static size_t snap_index(const struct pb_model *m, const char *name, bool *found)
{
        return pbp_sorted_index(m->snaps, m->n_snaps, sizeof(*m->snaps), name, cmp_snap_name,
                                found);
}

struct pb_msnap *pb_model_find(const struct pb_model *m, const char *name)
{
        bool found;
        if (!name)
                return NULL;
        size_t i = snap_index(m, name, &found);
        return found ? &m->snaps[i] : NULL;
}

void pb_ep_from_info(const char *snap, const struct pb_snap_endpoint *e, struct pb_ep *out)
{
        out->snap = snap;
        out->name = e->name;
        out->interface = e->interface;
        out->label = e->label;
        out->attrs = e->attrs;
        out->apps = e->apps;
        out->n_apps = e->n_apps;
        out->system = false;
}

bool pb_model_plug(const struct pb_model *m, const char *snap, const char *name, struct pb_ep *out)
{
        struct pb_msnap *s = pb_model_find(m, snap);
        const struct pb_snap_endpoint *e = s ? pb_snap_info_plug(s->info, name) : NULL;
        if (!e)
                return false;
        pb_ep_from_info(s->name, e, out);
        return true;
}

bool pb_model_slot(const struct pb_model *m, const char *snap, const char *name, struct pb_ep *out)
{
        if (strcmp(snap, PB_SYSTEM_SNAP) == 0) {
                const struct pb_interface *f = pb_catalogue_lookup(m->cat, name);
                if (!f || !f->implicit_slot)
                        return false;
                memset(out, 0, sizeof(*out));
                out->snap = PB_SYSTEM_SNAP;
                out->name = f->name;
                out->interface = f->name;
                out->system = true;
                return true;
        }
        struct pb_msnap *s = pb_model_find(m, snap);
        const struct pb_snap_endpoint *e = s ? pb_snap_info_slot(s->info, name) : NULL;
        if (!e)
                return false;
        pb_ep_from_info(s->name, e, out);
        return true;
}

int pb_connref_cmp(const struct pb_connref *a, const struct pb_connref *b)
{
        int c = strcmp(a->plug_snap, b->plug_snap);
        if (!c)
                c = strcmp(a->plug, b->plug);
        if (!c)
                c = strcmp(a->slot_snap, b->slot_snap);
        if (!c)
                c = strcmp(a->slot, b->slot);
        return c;
}

static int parse_side(const char *s, size_t len, char *snap, size_t snap_size, char *name,
                      size_t name_size)
{
        const char *colon = memchr(s, ':', len);
        if (!colon)
                return -EINVAL;
        size_t sl = (size_t)(colon - s), nl = len - sl - 1;
        if (sl >= snap_size || nl >= name_size)
                return -EINVAL;
        memcpy(snap, s, sl);
        snap[sl] = '\0';
        memcpy(name, colon + 1, nl);
        name[nl] = '\0';
        if (!pb_valid_snap_name(snap) || !pb_valid_plug_name(name))
                return -EINVAL;
        return 0;
}

int pb_connref_parse(const char *key, struct pb_connref *r)
{
        const char *sp = strchr(key, ' ');
        if (!sp || strchr(sp + 1, ' '))
                return -EINVAL;
        if (parse_side(key, (size_t)(sp - key), r->plug_snap, sizeof(r->plug_snap), r->plug,
                       sizeof(r->plug)) < 0 ||
            parse_side(sp + 1, strlen(sp + 1), r->slot_snap, sizeof(r->slot_snap), r->slot,
                       sizeof(r->slot)) < 0)
                return -EINVAL;
        return 0;
}

/* conns are kept in reference order (plug snap, plug, slot snap, slot), which
 * is the order snapd's API lists them in, so listings need no sort. */
static int cmp_conn_ref(const void *element, const void *key)
{
        return pb_connref_cmp(&((const struct pb_conn *)element)->ref, key);
}

static size_t conn_index(const struct pb_model *m, const struct pb_connref *ref, bool *found)
{
        return pbp_sorted_index(m->conns, m->n_conns, sizeof(*m->conns), ref, cmp_conn_ref, found);
}

struct pb_conn *pb_model_conn(const struct pb_model *m, const char *key)
{
        struct pb_connref ref;
        bool found;
        if (pb_connref_parse(key, &ref) < 0)
                return NULL;
        size_t i = conn_index(m, &ref, &found);
        return found ? &m->conns[i] : NULL;
}

bool pb_conn_active(const struct pb_model *m, const struct pb_conn *c)
{
        struct pb_ep p, s;
        if (c->undesired)
                return false;
        if (!pb_model_plug(m, c->ref.plug_snap, c->ref.plug, &p) ||
            !pb_model_slot(m, c->ref.slot_snap, c->ref.slot, &s))
                return false;
        return strcmp(p.interface, c->interface) == 0 && strcmp(s.interface, c->interface) == 0;
}

static json_object *attrs_copy(json_object *a)
{
        return a ? pbj_copy(a) : json_object_new_object();
}

int pb_model_conn_put(struct pb_model *m, const struct pb_connref *ref, const char *iface,
                      bool auto_, json_object *plug_attrs, json_object *slot_attrs,
                      struct pb_conn **out)
{
        char key[256];
        pb_connref_key(ref, key, sizeof(key));
        bool found;
        size_t i = conn_index(m, ref, &found);
        json_object *pa = attrs_copy(plug_attrs), *sa = attrs_copy(slot_attrs);
        char *ifc = strdup(iface);
        char *k = found ? NULL : strdup(key);
        if (!pa || !sa || !ifc || (!found && !k))
                goto oom;
        if (!found) {
                if (m->n_conns == m->cap_conns) {
                        size_t ncap = m->cap_conns ? m->cap_conns * 2 : 64;
                        void *p = realloc(m->conns, ncap * sizeof(*m->conns));
                        if (!p)
                                goto oom;
                        m->conns = p;
                        m->cap_conns = ncap;
                }
                memmove(&m->conns[i + 1], &m->conns[i], (m->n_conns - i) * sizeof(*m->conns));
                memset(&m->conns[i], 0, sizeof(m->conns[i]));
                m->conns[i].key = k;
                m->n_conns++;
        } else {
                free(m->conns[i].interface);
                json_object_put(m->conns[i].plug_attrs);
                json_object_put(m->conns[i].slot_attrs);
        }
        struct pb_conn *c = &m->conns[i];
        c->ref = *ref;
        c->interface = ifc;
        c->auto_ = auto_;
        c->by_gadget = false;
        c->undesired = false;
        c->plug_attrs = pa;
        c->slot_attrs = sa;
        if (out)
                *out = c;
        return 0;
oom:
        if (pa)
                json_object_put(pa);
        if (sa)
                json_object_put(sa);
        free(ifc);
        free(k);
        return -ENOMEM;
}

void pb_model_conn_del(struct pb_model *m, struct pb_conn *c)
{
        size_t i = (size_t)(c - m->conns);
        conn_clear(c);
        memmove(&m->conns[i], &m->conns[i + 1], (m->n_conns - i - 1) * sizeof(*m->conns));
        m->n_conns--;
}

int pb_conn_replace_attrs(struct pb_conn *c, json_object *pa, json_object *sa)
{
        if (!pa || !sa) {
                if (pa)
                        json_object_put(pa);
                if (sa)
                        json_object_put(sa);
                return -ENOMEM;
        }
        json_object_put(c->plug_attrs);
        json_object_put(c->slot_attrs);
        c->plug_attrs = pa;
        c->slot_attrs = sa;
        return 0;
}

/* ---- snaps ---- */

size_t pb_model_snap_count(const struct pb_model *m)
{
        return m->n_snaps;
}

const char *pb_model_snap_name_at(const struct pb_model *m, size_t i)
{
        return i < m->n_snaps ? m->snaps[i].name : NULL;
}

const struct pb_snap_info *pb_model_snap_info(const struct pb_model *m, const char *name)
{
        struct pb_msnap *s = pb_model_find(m, name);
        return s ? s->info : NULL;
}

int pb_model_snap_revision(const struct pb_model *m, const char *name)
{
        struct pb_msnap *s = pb_model_find(m, name);
        return s ? s->revision : -ENOENT;
}

const char *pb_model_snap_source(const struct pb_model *m, const char *name)
{
        struct pb_msnap *s = pb_model_find(m, name);
        return s ? s->source : NULL;
}

json_object *pb_model_snap_declaration(const struct pb_model *m, const char *name)
{
        struct pb_msnap *s = pb_model_find(m, name);
        return s ? s->decl : NULL;
}

int pb_model_next_revision(const struct pb_model *m, const char *name)
{
        struct pb_msnap *s = pb_model_find(m, name);
        return s ? s->revision + 1 : 1;
}

/* ---- policy (base declaration + snap declarations) ---- */

/* The snap declaration's value for kind on (side, iface): 1 allow, 0 deny,
 * -1 no rule. */
static int decl_rule(json_object *decl, const char *side, const char *iface, const char *kind)
{
        json_object *s = NULL, *r = NULL, *v = NULL;
        if (!decl || !json_object_object_get_ex(decl, side, &s) ||
            !json_object_object_get_ex(s, iface, &r) || !json_object_object_get_ex(r, kind, &v))
                return -1;
        return json_object_get_boolean(v) ? 1 : 0;
}

static json_object *snap_decl(const struct pb_model *m, const char *snap)
{
        struct pb_msnap *s = pb_model_find(m, snap);
        return s ? s->decl : NULL;
}

/* May plug p auto-connect to slot s? A snap declaration's rule for the
 * interface decides alone (plug side first, as snapd's policy checker); else
 * the base declaration from the interface file. */
static bool auto_allowed(const struct pb_model *m, const struct pb_interface *f,
                         const struct pb_ep *p, const struct pb_ep *s)
{
        int r = decl_rule(snap_decl(m, p->snap), "plugs", f->name, "allow-auto-connection");
        if (r < 0 && !s->system)
                r = decl_rule(snap_decl(m, s->snap), "slots", f->name, "allow-auto-connection");
        if (r >= 0)
                return r == 1;
        if (!f->auto_connect)
                return false;
        if (f->deny_auto_plug_attrs && pb_attrs_match(f->deny_auto_plug_attrs, p->attrs))
                return false;
        switch (f->auto_slot) {
        case PB_AUTO_ANY:
                return true;
        case PB_AUTO_SYSTEM:
                return s->system;
        case PB_AUTO_SAME_CONTENT:
                return strcmp(pb_content_attr(p->attrs, p->name),
                              pb_content_attr(s->attrs, s->name)) == 0;
        }
        return false;
}

int pb_model_check_connect_policy(const struct pb_model *m, const struct pb_ep *p,
                                  const struct pb_ep *s, struct pb_perror *perr);
int pb_model_check_connect_policy(const struct pb_model *m, const struct pb_ep *p,
                                  const struct pb_ep *s, struct pb_perror *perr)
{
        json_object *pd = snap_decl(m, p->snap), *sd = s->system ? NULL : snap_decl(m, s->snap);
        /* snapd skips the check when either side lacks a snap-declaration
         * (side-loaded snaps); the system snap always has one. */
        if (!pd || (!s->system && !sd))
                return 0;
        const struct pb_interface *f = pb_catalogue_lookup(m->cat, p->interface);
        int r = decl_rule(pd, "plugs", p->interface, "allow-connection");
        const char *side = "plug";
        if (r < 0) {
                r = decl_rule(sd, "slots", p->interface, "allow-connection");
                side = "slot";
        }
        if (r < 0)
                r = !(f && f->deny_conn_plug_attrs &&
                      pb_attrs_match(f->deny_conn_plug_attrs, p->attrs));
        if (r == 0)
                return pb_perror_set(perr, EPERM, 400, NULL, NULL,
                                     "connection not allowed by %s rule of interface \"%s\"", side,
                                     p->interface);
        return 0;
}

/* ---- install / refresh ---- */

static int check_installation(const struct pb_model *m, const struct pb_snap_info *info,
                              json_object *decl, struct pb_perror *perr)
{
        for (size_t i = 0; i < info->n_plugs; i++) {
                const struct pb_snap_endpoint *e = &info->plugs[i];
                const struct pb_interface *f = pb_catalogue_lookup(m->cat, e->interface);
                int r = decl_rule(decl, "plugs", e->interface, "allow-installation");
                if (r < 0)
                        r = !decl || !f || f->plug_allow_installation;
                if (!r)
                        return pb_perror_set(
                            perr, EPERM, 400, NULL, NULL,
                            "cannot install snap \"%s\": installation not allowed by "
                            "\"%s\" plug rule of interface \"%s\"",
                            info->name, e->name, e->interface);
        }
        for (size_t i = 0; i < info->n_slots; i++) {
                const struct pb_snap_endpoint *e = &info->slots[i];
                if (decl_rule(decl, "slots", e->interface, "allow-installation") == 0)
                        return pb_perror_set(
                            perr, EPERM, 400, NULL, NULL,
                            "cannot install snap \"%s\": installation not allowed by "
                            "\"%s\" slot rule of interface \"%s\"",
                            info->name, e->name, e->interface);
        }
        return 0;
}

/* Drop plugs and slots of unknown interfaces (snapd sanitizes them away with
 * a warning, so real-world snap.yamls with interfaces we do not ship still
 * install); refuse bad attributes of known ones. */
static int sanitize(const struct pb_model *m, struct pb_snap_info *info, char *warn,
                    size_t warn_size, struct pb_perror *perr)
{
        struct {
                struct pb_snap_endpoint *arr;
                size_t *n;
                bool slot;
        } sides[] = {{info->plugs, &info->n_plugs, false}, {info->slots, &info->n_slots, true}};
        warn[0] = '\0';
        for (size_t k = 0; k < 2; k++) {
                size_t j = 0;
                for (size_t i = 0; i < *sides[k].n; i++) {
                        struct pb_snap_endpoint *e = &sides[k].arr[i];
                        const struct pb_interface *f = pb_catalogue_lookup(m->cat, e->interface);
                        if (!f) {
                                size_t l = strlen(warn);
                                snprintf(warn + l, warn_size - l, "%s%s (unknown interface \"%s\")",
                                         l ? ", " : "", e->name, e->interface);
                                free(e->name);
                                free(e->interface);
                                free(e->label);
                                json_object_put(e->attrs);
                                for (size_t a = 0; a < e->n_apps; a++)
                                        free(e->apps[a]);
                                free(e->apps);
                                continue;
                        }
                        char what[160];
                        snprintf(what, sizeof(what), "cannot install snap \"%s\": %s \"%s\"",
                                 info->name, sides[k].slot ? "slot" : "plug", e->name);
                        int ret = pb_interface_check_attrs(f, sides[k].slot, what, e->attrs, perr);
                        if (ret < 0)
                                return ret;
                        sides[k].arr[j++] = *e;
                }
                *sides[k].n = j;
        }
        if (warn[0]) {
                char tmp[400];
                snprintf(tmp, sizeof(tmp), "%s", warn);
                snprintf(warn, warn_size, "snap \"%.40s\" has bad plugs or slots: %.400s",
                         info->name, tmp);
        }
        return 0;
}

/* Validate everything first, so a refused snap changes nothing. */
static int precheck(const struct pb_model *m, const struct pb_snap_info *info, json_object *decl,
                    struct pb_perror *perr)
{
        for (size_t i = 0; i < info->n_plugs; i++) {
                const struct pb_interface *f =
                    pb_catalogue_lookup(m->cat, info->plugs[i].interface);
                char what[160];
                snprintf(what, sizeof(what), "cannot install snap \"%s\": plug \"%s\"", info->name,
                         info->plugs[i].name);
                if (f && pb_interface_check_attrs(f, false, what, info->plugs[i].attrs, perr) < 0)
                        return -EINVAL;
        }
        for (size_t i = 0; i < info->n_slots; i++) {
                const struct pb_interface *f =
                    pb_catalogue_lookup(m->cat, info->slots[i].interface);
                char what[160];
                snprintf(what, sizeof(what), "cannot install snap \"%s\": slot \"%s\"", info->name,
                         info->slots[i].name);
                if (f && pb_interface_check_attrs(f, true, what, info->slots[i].attrs, perr) < 0)
                        return -EINVAL;
        }
        return check_installation(m, info, decl, perr);
}

/* Candidate slots for plug p, after the policy check. */
static size_t plug_candidates(const struct pb_model *m, const struct pb_ep *p, struct pb_ep *out,
                              size_t max)
{
        size_t n = 0;
        const struct pb_interface *f = pb_catalogue_lookup(m->cat, p->interface);
        if (!f)
                return 0;
        struct pb_ep s;
        if (pb_model_slot(m, PB_SYSTEM_SNAP, p->interface, &s) && auto_allowed(m, f, p, &s) &&
            n < max)
                out[n++] = s;
        for (size_t i = 0; i < m->n_snaps; i++) {
                const struct pb_snap_info *info = m->snaps[i].info;
                for (size_t j = 0; j < info->n_slots; j++) {
                        if (strcmp(info->slots[j].interface, p->interface) != 0)
                                continue;
                        pb_ep_from_info(m->snaps[i].name, &info->slots[j], &s);
                        if (auto_allowed(m, f, p, &s) && n < max)
                                out[n++] = s;
                }
        }
        return n;
}

#define MAX_CAND 16

static int add_auto(struct pb_model *m, const struct pb_ep *p, const struct pb_ep *s,
                    struct pb_affected *aff)
{
        struct pb_connref ref;
        char key[256];
        pb_connref_set(&ref, p->snap, p->name, s->snap, s->name);
        pb_connref_key(&ref, key, sizeof(key));
        /* Never clobber an existing entry, connected or undesired. */
        if (pb_model_conn(m, key))
                return 0;
        int ret = pb_model_conn_put(m, &ref, p->interface, true, p->attrs, s->attrs, NULL);
        if (ret == 0)
                ret = pb_affected_add_task(aff, &ref, "Connect");
        if (ret == 0)
                ret = pb_affected_add_snap(aff, p->snap);
        if (ret == 0)
                ret = pb_affected_add_snap(aff, s->snap);
        return ret;
}

static int auto_connect(struct pb_model *m, const char *name, struct pb_affected *aff)
{
        struct pb_msnap *me = pb_model_find(m, name);
        struct pb_ep cand[MAX_CAND];
        int ret;
        for (size_t i = 0; i < me->info->n_plugs; i++) {
                struct pb_ep p;
                pb_ep_from_info(me->name, &me->info->plugs[i], &p);
                size_t n = plug_candidates(m, &p, cand, MAX_CAND);
                if (n != 1)
                        continue; /* none, or ambiguous: snapd logs and leaves it */
                if ((ret = add_auto(m, &p, &cand[0], aff)) < 0)
                        return ret;
        }
        for (size_t i = 0; i < me->info->n_slots; i++) {
                const struct pb_snap_endpoint *se = &me->info->slots[i];
                for (size_t k = 0; k < m->n_snaps; k++) {
                        const struct pb_snap_info *pi = m->snaps[k].info;
                        for (size_t j = 0; j < pi->n_plugs; j++) {
                                if (strcmp(pi->plugs[j].interface, se->interface) != 0)
                                        continue;
                                struct pb_ep p;
                                pb_ep_from_info(m->snaps[k].name, &pi->plugs[j], &p);
                                /* This slot must be the plug's only candidate. */
                                size_t n = plug_candidates(m, &p, cand, MAX_CAND);
                                if (n != 1 || strcmp(cand[0].snap, me->name) != 0 ||
                                    strcmp(cand[0].name, se->name) != 0)
                                        continue;
                                if ((ret = add_auto(m, &p, &cand[0], aff)) < 0)
                                        return ret;
                        }
                }
        }
        return 0;
}

/* After a refresh: drop auto-connections whose plug or slot the new revision
 * lacks (manual ones stay, hidden; undesired ones stay until --forget), and
 * refresh the static attributes of the others. */
static int refresh_conns(struct pb_model *m, const char *name, struct pb_affected *aff)
{
        for (size_t i = 0; i < m->n_conns;) {
                struct pb_conn *c = &m->conns[i];
                bool mine_p = strcmp(c->ref.plug_snap, name) == 0;
                bool mine_s = strcmp(c->ref.slot_snap, name) == 0;
                if (!mine_p && !mine_s) {
                        i++;
                        continue;
                }
                struct pb_ep p, s;
                bool hp = pb_model_plug(m, c->ref.plug_snap, c->ref.plug, &p) &&
                          strcmp(p.interface, c->interface) == 0;
                bool hs = pb_model_slot(m, c->ref.slot_snap, c->ref.slot, &s) &&
                          strcmp(s.interface, c->interface) == 0;
                if ((!hp || !hs) && c->auto_ && !c->by_gadget && !c->undesired) {
                        int ret = pb_affected_add_snap(aff, c->ref.plug_snap);
                        if (ret == 0)
                                ret = pb_affected_add_snap(aff, c->ref.slot_snap);
                        if (ret < 0)
                                return ret;
                        pb_model_conn_del(m, c);
                        continue;
                }
                if (hp && hs && !c->undesired) {
                        int ret =
                            pb_conn_replace_attrs(c, attrs_copy(p.attrs), attrs_copy(s.attrs));
                        if (ret < 0)
                                return ret;
                        if (pb_affected_add_snap(aff, c->ref.plug_snap) < 0 ||
                            pb_affected_add_snap(aff, c->ref.slot_snap) < 0)
                                return -ENOMEM;
                }
                i++;
        }
        return 0;
}

int pb_model_install(struct pb_model *m, struct pb_install *in, int *revision,
                     struct pb_affected *aff, struct pb_perror *perr)
{
        struct pb_snap_info *info = in->info;
        in->warning[0] = '\0';
        if (!info || !pb_valid_snap_name(info->name))
                return pb_perror_set(perr, EINVAL, 400, NULL, NULL, "invalid snap name: \"%s\"",
                                     info && info->name ? info->name : "");
        if (strcmp(info->name, PB_SYSTEM_SNAP) == 0 || strcmp(info->name, "core") == 0 ||
            strcmp(info->name, "system") == 0)
                return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                     "cannot install snap \"%s\": the name is reserved for the "
                                     "system snap",
                                     info->name);
        json_object *decl = pb_declarations_get(in->decls, info->name);
        int ret = precheck(m, info, decl, perr);
        if (ret < 0)
                return ret;
        _pcleanup_json_ json_object *decl_copy = decl ? pbj_copy(decl) : NULL;
        char *source = in->source ? strdup(in->source) : NULL;
        if ((decl && !decl_copy) || (in->source && !source)) {
                free(source);
                return pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
        }
        /* Nothing can fail for policy reasons from here on; only ENOMEM. */
        ret = sanitize(m, info, in->warning, sizeof(in->warning), perr);
        if (ret < 0) {
                free(source);
                return ret;
        }
        bool found;
        size_t i = snap_index(m, info->name, &found);
        if (found) {
                struct pb_msnap *s = &m->snaps[i];
                pb_snap_info_free(s->info);
                s->info = info;
                s->revision++;
                if (s->decl)
                        json_object_put(s->decl);
                s->decl = pstealp(&decl_copy);
                free(s->source);
                s->source = source;
                s->install_time = in->install_time;
        } else {
                char *name = strdup(info->name);
                if (name && m->n_snaps == m->cap_snaps) {
                        size_t ncap = m->cap_snaps ? m->cap_snaps * 2 : 16;
                        void *p = realloc(m->snaps, ncap * sizeof(*m->snaps));
                        if (p) {
                                m->snaps = p;
                                m->cap_snaps = ncap;
                        } else {
                                free(name);
                                name = NULL;
                        }
                }
                if (!name) {
                        free(source);
                        return pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
                }
                memmove(&m->snaps[i + 1], &m->snaps[i], (m->n_snaps - i) * sizeof(*m->snaps));
                m->snaps[i] = (struct pb_msnap){.name = name,
                                                .revision = 1,
                                                .info = info,
                                                .decl = pstealp(&decl_copy),
                                                .source = source,
                                                .install_time = in->install_time};
                m->n_snaps++;
        }
        in->info = NULL;
        *revision = pb_model_find(m, info->name)->revision;
        if ((ret = pb_affected_add_snap(aff, info->name)) < 0 ||
            (ret = refresh_conns(m, info->name, aff)) < 0 ||
            (ret = auto_connect(m, info->name, aff)) < 0)
                return pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
        return 0;
}

int pb_model_remove(struct pb_model *m, const char *name, bool purge, struct pb_affected *aff,
                    struct pb_perror *perr)
{
        bool found;
        size_t i = snap_index(m, name ? name : "", &found);
        if (!found)
                return pb_perror_set(perr, ENOENT, 400, "snap-not-installed", name,
                                     "snap \"%s\" is not installed", name ? name : "");
        int ret = pb_affected_add_snap(aff, name);
        /* Active (and hidden manual) connections go; undesired markers stay, even
         * with purge: the seed says the disconnected state survives removal. */
        for (size_t k = 0; ret == 0 && k < m->n_conns;) {
                struct pb_conn *c = &m->conns[k];
                if (!c->undesired &&
                    (strcmp(c->ref.plug_snap, name) == 0 || strcmp(c->ref.slot_snap, name) == 0)) {
                        if (pb_conn_active(m, c))
                                ret = pb_affected_add_task(aff, &c->ref, "Disconnect");
                        if (ret == 0)
                                ret = pb_affected_add_snap(aff, c->ref.plug_snap);
                        if (ret == 0)
                                ret = pb_affected_add_snap(aff, c->ref.slot_snap);
                        pb_model_conn_del(m, c);
                        continue;
                }
                k++;
        }
        if (ret < 0)
                return pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
        (void)purge;
        msnap_clear(&m->snaps[i]);
        memmove(&m->snaps[i], &m->snaps[i + 1], (m->n_snaps - i - 1) * sizeof(*m->snaps));
        m->n_snaps--;
        return 0;
}
