/* SPDX-License-Identifier: GPL-3.0-or-later */
/* struct pb_snap_info ⇄ JSON, for the state file. Loading is strict. */
#include "jsonutil.h"
#include "jwriter.h"
#include "putil.h"
#include "snap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_object *str_or_null(const char *s)
{
        return s ? json_object_new_string(s) : NULL;
}

static json_object *ep_json(const struct pb_snap_endpoint *e)
{
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        json_object_object_add(o, "interface", json_object_new_string(e->interface));
        pbj_add(o, "label", str_or_null(e->label));
        json_object_object_add(o, "attrs", pbj_copy(e->attrs));
        json_object *apps = json_object_new_array();
        for (size_t i = 0; i < e->n_apps; i++)
                json_object_array_add(apps, json_object_new_string(e->apps[i]));
        json_object_object_add(o, "apps", apps);
        return o;
}

json_object *pb_snap_info_to_json(const struct pb_snap_info *info)
{
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        json_object_object_add(o, "name", json_object_new_string(info->name));
        json_object_object_add(o, "version", json_object_new_string(info->version));
        json_object_object_add(o, "summary", json_object_new_string(info->summary));
        json_object_object_add(o, "description", json_object_new_string(info->description));
        json_object_object_add(o, "type", json_object_new_string(info->type));
        json_object_object_add(o, "confinement", json_object_new_string(info->confinement));
        pbj_add(o, "base", str_or_null(info->base));
        json_object *plugs = json_object_new_object(), *slots = json_object_new_object();
        for (size_t i = 0; i < info->n_plugs; i++)
                json_object_object_add(plugs, info->plugs[i].name, ep_json(&info->plugs[i]));
        for (size_t i = 0; i < info->n_slots; i++)
                json_object_object_add(slots, info->slots[i].name, ep_json(&info->slots[i]));
        json_object_object_add(o, "plugs", plugs);
        json_object_object_add(o, "slots", slots);
        json_object *apps = json_object_new_object();
        for (size_t i = 0; i < info->n_apps; i++) {
                json_object *a = json_object_new_object();
                pbj_add(a, "command", str_or_null(info->apps[i].command));
                pbj_add(a, "daemon", str_or_null(info->apps[i].daemon));
                json_object_object_add(apps, info->apps[i].name, a);
        }
        json_object_object_add(o, "apps", apps);
        return o;
}

static void ep_write(struct jw *w, const struct pb_snap_endpoint *e)
{
        jw_key(w, e->name);
        jw_obj_open(w);
        jw_kstr(w, "interface", e->interface);
        if (e->label)
                jw_kstr(w, "label", e->label);
        jw_kjson(w, "attrs", e->attrs);
        jw_key(w, "apps");
        jw_arr_open(w);
        for (size_t i = 0; i < e->n_apps; i++)
                jw_str(w, e->apps[i]);
        jw_arr_close(w);
        jw_obj_close(w);
}

/* The same document as pb_snap_info_to_json(), written as text (for the
 * state file, where json-c objects were the cost). */
void pb_snap_info_write(struct jw *w, const struct pb_snap_info *info);
void pb_snap_info_write(struct jw *w, const struct pb_snap_info *info)
{
        jw_obj_open(w);
        jw_kstr(w, "name", info->name);
        jw_kstr(w, "version", info->version);
        jw_kstr(w, "summary", info->summary);
        jw_kstr(w, "description", info->description);
        jw_kstr(w, "type", info->type);
        jw_kstr(w, "confinement", info->confinement);
        if (info->base)
                jw_kstr(w, "base", info->base);
        jw_key(w, "plugs");
        jw_obj_open(w);
        for (size_t i = 0; i < info->n_plugs; i++)
                ep_write(w, &info->plugs[i]);
        jw_obj_close(w);
        jw_key(w, "slots");
        jw_obj_open(w);
        for (size_t i = 0; i < info->n_slots; i++)
                ep_write(w, &info->slots[i]);
        jw_obj_close(w);
        jw_key(w, "apps");
        jw_obj_open(w);
        for (size_t i = 0; i < info->n_apps; i++) {
                jw_key(w, info->apps[i].name);
                jw_obj_open(w);
                if (info->apps[i].command)
                        jw_kstr(w, "command", info->apps[i].command);
                if (info->apps[i].daemon)
                        jw_kstr(w, "daemon", info->apps[i].daemon);
                jw_obj_close(w);
        }
        jw_obj_close(w);
        jw_obj_close(w);
}

#define BAD(perr, ...) pb_perror_set(perr, EINVAL, 400, NULL, NULL, __VA_ARGS__)

static int get_str(json_object *o, const char *key, bool optional, char **out, const char *where,
                   struct pb_perror *perr)
{
        json_object *v = NULL;
        if (!json_object_object_get_ex(o, key, &v)) {
                if (optional)
                        return 0;
                return BAD(perr, "%s.%s: missing", where, key);
        }
        if (!json_object_is_type(v, json_type_string))
                return BAD(perr, "%s.%s: expected a string", where, key);
        return (*out = strdup(json_object_get_string(v))) ? 0 : -ENOMEM;
}

static int ep_from_json(const char *name, json_object *o, struct pb_snap_endpoint *e,
                        const char *where, struct pb_perror *perr)
{
        static const char *const keys[] = {"interface", "label", "attrs", "apps", NULL};
        char w[256];
        snprintf(w, sizeof(w), "%s.%s", where, name);
        if (!json_object_is_type(o, json_type_object))
                return BAD(perr, "%s: expected an object", w);
        int ret = pbj_check_keys(o, keys, w, perr);
        if (ret < 0)
                return ret;
        if (!pb_valid_plug_name(name))
                return BAD(perr, "%s: invalid name", w);
        if (!(e->name = strdup(name)))
                return -ENOMEM;
        if ((ret = get_str(o, "interface", false, &e->interface, w, perr)) < 0 ||
            (ret = get_str(o, "label", true, &e->label, w, perr)) < 0)
                return ret;
        if (!pb_valid_plug_name(e->interface))
                return BAD(perr, "%s.interface: invalid interface name", w);
        json_object *v = NULL;
        if (!json_object_object_get_ex(o, "attrs", &v) || !json_object_is_type(v, json_type_object))
                return BAD(perr, "%s.attrs: expected an object", w);
        if (!(e->attrs = pbj_copy(v)))
                return -ENOMEM;
        if (!json_object_object_get_ex(o, "apps", &v) || !json_object_is_type(v, json_type_array))
                return BAD(perr, "%s.apps: expected a list", w);
        size_t n = json_object_array_length(v);
        if (!(e->apps = calloc(n + 1, sizeof(char *))))
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *a = json_object_array_get_idx(v, i);
                if (!json_object_is_type(a, json_type_string))
                        return BAD(perr, "%s.apps: expected strings", w);
                if (!(e->apps[i] = strdup(json_object_get_string(a))))
                        return -ENOMEM;
                e->n_apps++;
        }
        return 0;
}

static int eps_from_json(json_object *o, const char *key, struct pb_snap_endpoint **arr, size_t *n,
                         const char *where, struct pb_perror *perr)
{
        json_object *v = NULL;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_object))
                return BAD(perr, "%s.%s: expected an object", where, key);
        size_t cnt = (size_t)json_object_object_length(v);
        if (!(*arr = calloc(cnt ? cnt : 1, sizeof(**arr))))
                return -ENOMEM;
        char w[200];
        snprintf(w, sizeof(w), "%s.%s", where, key);
        json_object_object_foreach(v, name, ep)
        {
                (*n)++;
                int ret = ep_from_json(name, ep, &(*arr)[*n - 1], w, perr);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

static int info_from_json(json_object *o, struct pb_snap_info *info, const char *where,
                          struct pb_perror *perr)
{
        static const char *const keys[] = {"name",  "version",     "summary", "description",
                                           "type",  "confinement", "base",    "plugs",
                                           "slots", "apps",        NULL};
        if (!json_object_is_type(o, json_type_object))
                return BAD(perr, "%s: expected an object", where);
        int ret = pbj_check_keys(o, keys, where, perr);
        if (ret < 0)
                return ret;
        if ((ret = get_str(o, "name", false, &info->name, where, perr)) < 0 ||
            (ret = get_str(o, "version", false, &info->version, where, perr)) < 0 ||
            (ret = get_str(o, "summary", false, &info->summary, where, perr)) < 0 ||
            (ret = get_str(o, "description", false, &info->description, where, perr)) < 0 ||
            (ret = get_str(o, "type", false, &info->type, where, perr)) < 0 ||
            (ret = get_str(o, "confinement", false, &info->confinement, where, perr)) < 0 ||
            (ret = get_str(o, "base", true, &info->base, where, perr)) < 0)
                return ret;
        if (!pb_valid_snap_name(info->name))
                return BAD(perr, "%s.name: invalid snap name", where);
        if ((ret = eps_from_json(o, "plugs", &info->plugs, &info->n_plugs, where, perr)) < 0 ||
            (ret = eps_from_json(o, "slots", &info->slots, &info->n_slots, where, perr)) < 0)
                return ret;
        json_object *apps = NULL;
        if (!json_object_object_get_ex(o, "apps", &apps) ||
            !json_object_is_type(apps, json_type_object))
                return BAD(perr, "%s.apps: expected an object", where);
        size_t cnt = (size_t)json_object_object_length(apps);
        if (!(info->apps = calloc(cnt ? cnt : 1, sizeof(*info->apps))))
                return -ENOMEM;
        json_object_object_foreach(apps, an, a)
        {
                char w[200];
                snprintf(w, sizeof(w), "%s.apps.%s", where, an);
                static const char *const akeys[] = {"command", "daemon", NULL};
                if (!json_object_is_type(a, json_type_object))
                        return BAD(perr, "%s: expected an object", w);
                if ((ret = pbj_check_keys(a, akeys, w, perr)) < 0)
                        return ret;
                struct pb_snap_app *app = &info->apps[info->n_apps++];
                if (!pb_valid_app_name(an))
                        return BAD(perr, "%s: invalid app name", w);
                if (!(app->name = strdup(an)))
                        return -ENOMEM;
                if ((ret = get_str(a, "command", true, &app->command, w, perr)) < 0 ||
                    (ret = get_str(a, "daemon", true, &app->daemon, w, perr)) < 0)
                        return ret;
        }
        pb_snap_info_sort_by_name(info);
        return 0;
}

struct pb_snap_info *pb_snap_info_from_json(json_object *o, struct pb_perror *perr)
{
        struct pb_snap_info *info = calloc(1, sizeof(*info));
        if (!info) {
                pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
                return NULL;
        }
        int ret = info_from_json(o, info, "info", perr);
        if (ret < 0) {
                if (ret == -ENOMEM)
                        pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
                pb_snap_info_free(info);
                return NULL;
        }
        return info;
}

struct pb_snap_info *pb_snap_info_dup(const struct pb_snap_info *info)
{
        _pcleanup_json_ json_object *o = pb_snap_info_to_json(info);
        return o ? pb_snap_info_from_json(o, NULL) : NULL;
}
