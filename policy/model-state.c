/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The model's state form (schema 1). Loading is strict: every field is
 * checked and a bad one is named; a model is returned whole or not at all,
 * so a damaged state file can never be half-loaded and then saved back.
 */
#include "jsonutil.h"
#include "jwriter.h"
#include "model-priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pb_snap_info_write(struct jw *w, const struct pb_snap_info *info);

char *pb_model_state_text(const struct pb_model *m, size_t *len)
{
        struct jw w;
        jw_init(&w);
        jw_obj_open(&w);
        jw_kint(&w, "schema", PB_MODEL_SCHEMA);
        jw_key(&w, "snaps");
        jw_obj_open(&w);
        for (size_t i = 0; i < m->n_snaps; i++) {
                const struct pb_msnap *s = &m->snaps[i];
                jw_key(&w, s->name);
                jw_obj_open(&w);
                jw_kint(&w, "revision", s->revision);
                jw_key(&w, "info");
                pb_snap_info_write(&w, s->info);
                if (s->decl)
                        jw_kjson(&w, "declaration", s->decl);
                if (s->source)
                        jw_kstr(&w, "source", s->source);
                jw_kint(&w, "install-time", s->install_time);
                jw_obj_close(&w);
        }
        jw_obj_close(&w);
        jw_key(&w, "conns");
        jw_obj_open(&w);
        for (size_t i = 0; i < m->n_conns; i++) {
                const struct pb_conn *c = &m->conns[i];
                jw_key(&w, c->key);
                jw_obj_open(&w);
                jw_kstr(&w, "interface", c->interface);
                jw_kbool(&w, "auto", c->auto_);
                jw_kbool(&w, "by-gadget", c->by_gadget);
                jw_kbool(&w, "undesired", c->undesired);
                jw_kjson(&w, "plug-attrs", c->plug_attrs);
                jw_kjson(&w, "slot-attrs", c->slot_attrs);
                jw_obj_close(&w);
        }
        jw_obj_close(&w);
        jw_obj_close(&w);
        return jw_steal(&w, len);
}

json_object *pb_model_to_json(const struct pb_model *m)
{
        return jw_raw_object(pb_model_state_text(m, NULL));
}

#define BAD(perr, ...) pb_perror_set(perr, EINVAL, 400, NULL, NULL, __VA_ARGS__)

static int get_bool(json_object *o, const char *k, bool *out, const char *where,
                    struct pb_perror *perr)
{
        json_object *v = NULL;
        if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_boolean))
                return BAD(perr, "%s.%s: expected true or false", where, k);
        *out = json_object_get_boolean(v);
        return 0;
}

static int load_conn(struct pb_model *m, const char *key, json_object *co, struct pb_perror *perr)
{
        static const char *const keys[] = {"interface",  "auto",       "by-gadget", "undesired",
                                           "plug-attrs", "slot-attrs", NULL};
        char where[300];
        snprintf(where, sizeof(where), "conns[\"%.250s\"]", key);
        struct pb_connref ref;
        if (pb_connref_parse(key, &ref) < 0)
                return BAD(perr, "%s: expected a key \"plugsnap:plug slotsnap:slot\"", where);
        char canon[256];
        pb_connref_key(&ref, canon, sizeof(canon));
        if (!json_object_is_type(co, json_type_object))
                return BAD(perr, "%s: expected an object", where);
        int ret = pbj_check_keys(co, keys, where, perr);
        if (ret < 0)
                return ret;
        json_object *iface = NULL, *pa = NULL, *sa = NULL;
        if (!json_object_object_get_ex(co, "interface", &iface) ||
            !json_object_is_type(iface, json_type_string) ||
            !pb_valid_plug_name(json_object_get_string(iface)))
                return BAD(perr, "%s.interface: expected an interface name", where);
        bool auto_ = false, gadget = false, undesired = false;
        if ((ret = get_bool(co, "auto", &auto_, where, perr)) < 0 ||
            (ret = get_bool(co, "by-gadget", &gadget, where, perr)) < 0 ||
            (ret = get_bool(co, "undesired", &undesired, where, perr)) < 0)
                return ret;
        if (!json_object_object_get_ex(co, "plug-attrs", &pa) ||
            !json_object_is_type(pa, json_type_object))
                return BAD(perr, "%s.plug-attrs: expected an object", where);
        if (!json_object_object_get_ex(co, "slot-attrs", &sa) ||
            !json_object_is_type(sa, json_type_object))
                return BAD(perr, "%s.slot-attrs: expected an object", where);
        if (pb_model_conn(m, canon))
                return BAD(perr, "%s: duplicate connection", where);
        struct pb_conn *c = NULL;
        if (pb_model_conn_put(m, &ref, json_object_get_string(iface), auto_, pa, sa, &c) < 0)
                return -ENOMEM;
        c->by_gadget = gadget;
        c->undesired = undesired;
        return 0;
}

static int load_snap(struct pb_model *m, const char *name, json_object *so, struct pb_perror *perr)
{
        static const char *const keys[] = {"revision", "info",         "declaration",
                                           "source",   "install-time", NULL};
        char where[128];
        snprintf(where, sizeof(where), "snaps.%.100s", name);
        if (!pb_valid_snap_name(name))
                return BAD(perr, "%s: invalid snap name", where);
        if (!json_object_is_type(so, json_type_object))
                return BAD(perr, "%s: expected an object", where);
        int ret = pbj_check_keys(so, keys, where, perr);
        if (ret < 0)
                return ret;
        json_object *v = NULL;
        if (!json_object_object_get_ex(so, "revision", &v) ||
            !json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 1 ||
            json_object_get_int64(v) > 1000000000)
                return BAD(perr, "%s.revision: expected a positive integer", where);
        int revision = (int)json_object_get_int64(v);
        if (!json_object_object_get_ex(so, "info", &v))
                return BAD(perr, "%s.info: missing", where);
        struct pb_perror sub = {0};
        struct pb_snap_info *info = pb_snap_info_from_json(v, &sub);
        if (!info) {
                if (sub.status == 500)
                        return -ENOMEM;
                return BAD(perr, "%s.%s", where, sub.msg);
        }
        if (strcmp(info->name, name) != 0) {
                pb_snap_info_free(info);
                return BAD(perr, "%s.info.name: does not match the key", where);
        }
        struct pb_msnap s = {.revision = revision, .info = info};
        if (json_object_object_get_ex(so, "declaration", &v)) {
                if (!json_object_is_type(v, json_type_object)) {
                        pb_snap_info_free(info);
                        return BAD(perr, "%s.declaration: expected an object", where);
                }
                s.decl = pbj_copy(v);
        }
        if (json_object_object_get_ex(so, "source", &v)) {
                if (!json_object_is_type(v, json_type_string)) {
                        pb_snap_info_free(info);
                        if (s.decl)
                                json_object_put(s.decl);
                        return BAD(perr, "%s.source: expected a string", where);
                }
                s.source = strdup(json_object_get_string(v));
        }
        if (json_object_object_get_ex(so, "install-time", &v)) {
                if (!json_object_is_type(v, json_type_int)) {
                        pb_snap_info_free(info);
                        if (s.decl)
                                json_object_put(s.decl);
                        free(s.source);
                        return BAD(perr, "%s.install-time: expected an integer", where);
                }
                s.install_time = json_object_get_int64(v);
        }
        s.name = strdup(name);
        if (m->n_snaps == m->cap_snaps) {
                size_t ncap = m->cap_snaps ? m->cap_snaps * 2 : 16;
                void *p = realloc(m->snaps, ncap * sizeof(*m->snaps));
                if (p) {
                        m->snaps = p;
                        m->cap_snaps = ncap;
                }
        }
        if (!s.name || m->n_snaps == m->cap_snaps) {
                free(s.name);
                free(s.source);
                if (s.decl)
                        json_object_put(s.decl);
                pb_snap_info_free(info);
                return -ENOMEM;
        }
        /* json-c keeps insertion order; keep the array sorted regardless. */
        size_t i = m->n_snaps;
        while (i > 0 && strcmp(m->snaps[i - 1].name, name) > 0)
                i--;
        memmove(&m->snaps[i + 1], &m->snaps[i], (m->n_snaps - i) * sizeof(*m->snaps));
        m->snaps[i] = s;
        m->n_snaps++;
        return 0;
}

static int load(struct pb_model *m, json_object *o, struct pb_perror *perr)
{
        static const char *const keys[] = {"schema", "snaps", "conns", NULL};
        if (!json_object_is_type(o, json_type_object))
                return BAD(perr, "expected a JSON object");
        int ret = pbj_check_keys(o, keys, "state", perr);
        if (ret < 0)
                return ret;
        json_object *v = NULL;
        if (!json_object_object_get_ex(o, "schema", &v) || !json_object_is_type(v, json_type_int))
                return BAD(perr, "schema: missing or not an integer");
        if (json_object_get_int64(v) != PB_MODEL_SCHEMA)
                return BAD(perr, "schema: version %lld is not supported (this is schema %d)",
                           (long long)json_object_get_int64(v), PB_MODEL_SCHEMA);
        if (!json_object_object_get_ex(o, "snaps", &v) || !json_object_is_type(v, json_type_object))
                return BAD(perr, "snaps: expected an object");
        json_object_object_foreach(v, name, so)
        {
                if (pb_model_find(m, name))
                        return BAD(perr, "snaps.%s: duplicate snap", name);
                if ((ret = load_snap(m, name, so, perr)) < 0)
                        return ret;
        }
        if (!json_object_object_get_ex(o, "conns", &v) || !json_object_is_type(v, json_type_object))
                return BAD(perr, "conns: expected an object");
        json_object_object_foreach(v, key, co)
        {
                if ((ret = load_conn(m, key, co, perr)) < 0)
                        return ret;
        }
        return 0;
}

struct pb_model *pb_model_from_json(const struct pb_catalogue *cat, json_object *o,
                                    struct pb_perror *perr)
{
        struct pb_model *m = pb_model_new(cat);
        if (!m) {
                pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
                return NULL;
        }
        int ret = load(m, o, perr);
        if (ret < 0) {
                if (ret == -ENOMEM)
                        pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
                pb_model_free(m);
                return NULL;
        }
        return m;
}
