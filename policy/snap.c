/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * meta/snap.yaml → struct pb_snap_info, with libyaml's document API (every
 * node keeps its position, so every error can say line:column). Messages
 * follow snapd's (snap/info_snap_yaml.go) where snapd has one.
 */
#include "jsonutil.h"
#include "putil.h"
#include "snap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct ctx {
        const char *origin;
        yaml_document_t *doc;
        struct pb_perror *perr;
        /* Attribute nodes converted so far. YAML aliases are references, so
         * without a budget "a: &a [x, x], b: &b [*a, *a], …" expands
         * exponentially (the billion-laughs attack). */
        size_t budget;
};

#define ATTR_NODE_BUDGET 20000

#define NODE_ERR(c, node, ...) node_err(c, node, __VA_ARGS__)

static int node_err(struct ctx *c, yaml_node_t *node, const char *fmt, ...) PB_PRINTF_P(3, 4);
static int node_err(struct ctx *c, yaml_node_t *node, const char *fmt, ...)
{
        if (c->perr) {
                char msg[400];
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(msg, sizeof(msg), fmt, ap);
                va_end(ap);
                pb_perror_set(c->perr, EINVAL, 400, NULL, NULL, "%s:%zu:%zu: %s", c->origin,
                              node ? node->start_mark.line + 1 : 1,
                              node ? node->start_mark.column + 1 : 1, msg);
        }
        return -EINVAL;
}

static const char *scalar(yaml_node_t *n)
{
        return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static bool is_null(yaml_node_t *n)
{
        if (!n)
                return true;
        if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
                return false;
        const char *s = scalar(n);
        return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
               strcmp(s, "NULL") == 0;
}

static yaml_node_t *node(struct ctx *c, int id)
{
        return yaml_document_get_node(c->doc, id);
}

/* ---- name rules (snapd: snap/validate.go, naming/) ---- */

bool pb_valid_plug_name(const char *s)
{
        if (!s || !(*s >= 'a' && *s <= 'z'))
                return false;
        for (const char *p = s + 1; *p; p++) {
                if (*p == '-') {
                        if (!p[1] || p[1] == '-')
                                return false;
                } else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))) {
                        return false;
                }
        }
        return strlen(s) <= 63;
}

bool pb_valid_snap_name(const char *s)
{
        size_t n = s ? strlen(s) : 0;
        if (n < 2 || n > 40 || s[0] == '-' || s[n - 1] == '-' || strstr(s, "--"))
                return false;
        bool letter = false;
        for (const char *p = s; *p; p++) {
                if (*p >= 'a' && *p <= 'z')
                        letter = true;
                else if (!((*p >= '0' && *p <= '9') || *p == '-'))
                        return false;
        }
        return letter;
}

bool pb_valid_app_name(const char *s)
{
        if (!s || !*s || *s == '-')
                return false;
        for (const char *p = s; *p; p++) {
                bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                             (*p >= '0' && *p <= '9');
                if (*p == '-') {
                        if (!p[1] || p[1] == '-')
                                return false;
                } else if (!alnum) {
                        return false;
                }
        }
        return strlen(s) <= 63;
}

/* ---- values → JSON (YAML 1.1 plain scalars, as go-yaml v2 reads them) ---- */

static json_object *plain_scalar_json(const char *s)
{
        static const char *const truths[] = {"true", "True", "TRUE", "yes", "Yes",
                                             "YES",  "on",   "On",   "ON"};
        static const char *const falses[] = {"false", "False", "FALSE", "no", "No",
                                             "NO",    "off",   "Off",   "OFF"};
        for (size_t i = 0; i < PB_ARRAY_SIZE_P(truths); i++) {
                if (strcmp(s, truths[i]) == 0)
                        return json_object_new_boolean(1);
                if (strcmp(s, falses[i]) == 0)
                        return json_object_new_boolean(0);
        }
        char *end = NULL;
        errno = 0;
        long long v = strtoll(s, &end, 0);
        if (*s && !*end && errno == 0 && !strchr(s, ' '))
                return json_object_new_int64(v);
        errno = 0;
        double d = strtod(s, &end);
        if (*s && !*end && errno == 0 && strpbrk(s, "0123456789") && !strpbrk(s, "xXpP ") &&
            !strstr(s, "inf") && !strstr(s, "nan"))
                return json_object_new_double(d);
        return json_object_new_string(s);
}

static int to_json(struct ctx *c, yaml_node_t *n, json_object **out, int depth)
{
        *out = NULL;
        if (depth > 32)
                return NODE_ERR(c, n, "attributes nested too deeply");
        if (++c->budget > ATTR_NODE_BUDGET)
                return NODE_ERR(c, n, "attributes too large (more than %d values)",
                                ATTR_NODE_BUDGET);
        switch (n->type) {
        case YAML_SCALAR_NODE:
                if (is_null(n))
                        return 0;
                if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
                        *out = plain_scalar_json(scalar(n));
                else
                        *out = json_object_new_string_len(scalar(n), (int)n->data.scalar.length);
                return *out ? 0 : -ENOMEM;
        case YAML_SEQUENCE_NODE: {
                _pcleanup_json_ json_object *arr = json_object_new_array();
                if (!arr)
                        return -ENOMEM;
                for (yaml_node_item_t *it = n->data.sequence.items.start;
                     it < n->data.sequence.items.top; it++) {
                        json_object *e = NULL;
                        int ret = to_json(c, node(c, *it), &e, depth + 1);
                        if (ret < 0)
                                return ret;
                        json_object_array_add(arr, e);
                }
                *out = pstealp(&arr);
                return 0;
        }
        case YAML_MAPPING_NODE: {
                _pcleanup_json_ json_object *obj = json_object_new_object();
                if (!obj)
                        return -ENOMEM;
                for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
                     p < n->data.mapping.pairs.top; p++) {
                        yaml_node_t *k = node(c, p->key);
                        if (!scalar(k))
                                return NODE_ERR(c, k, "expected a string as attribute key");
                        if (json_object_object_get_ex(obj, scalar(k), NULL))
                                return NODE_ERR(c, k, "duplicate key \"%s\"", scalar(k));
                        json_object *e = NULL;
                        int ret = to_json(c, node(c, p->value), &e, depth + 1);
                        if (ret < 0)
                                return ret;
                        json_object_object_add(obj, scalar(k), e);
                }
                *out = pstealp(&obj);
                return 0;
        }
        default:
                return NODE_ERR(c, n, "unexpected YAML node");
        }
}

/* ---- plugs, slots, apps ---- */

static void endpoint_clear(struct pb_snap_endpoint *e)
{
        free(e->name);
        free(e->interface);
        free(e->label);
        if (e->attrs)
                json_object_put(e->attrs);
        for (size_t i = 0; i < e->n_apps; i++)
                free(e->apps[i]);
        free(e->apps);
}

void pb_snap_info_free(struct pb_snap_info *info)
{
        if (!info)
                return;
        free(info->name);
        free(info->version);
        free(info->summary);
        free(info->description);
        free(info->type);
        free(info->confinement);
        free(info->base);
        for (size_t i = 0; i < info->n_plugs; i++)
                endpoint_clear(&info->plugs[i]);
        for (size_t i = 0; i < info->n_slots; i++)
                endpoint_clear(&info->slots[i]);
        for (size_t i = 0; i < info->n_apps; i++) {
                free(info->apps[i].name);
                free(info->apps[i].command);
                free(info->apps[i].daemon);
        }
        free(info->plugs);
        free(info->slots);
        free(info->apps);
        free(info);
}

static struct pb_snap_endpoint *find_ep(struct pb_snap_endpoint *arr, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(arr[i].name, name) == 0)
                        return &arr[i];
        return NULL;
}

static struct pb_snap_endpoint *add_ep(struct pb_snap_endpoint **arr, size_t *n, const char *name,
                                       const char *iface)
{
        void *p = realloc(*arr, (*n + 1) * sizeof(**arr));
        if (!p)
                return NULL;
        *arr = p;
        struct pb_snap_endpoint *e = &(*arr)[*n];
        memset(e, 0, sizeof(*e));
        e->name = strdup(name);
        e->interface = strdup(iface);
        e->attrs = json_object_new_object();
        e->apps = calloc(1, sizeof(char *));
        if (!e->name || !e->interface || !e->attrs || !e->apps) {
                endpoint_clear(e);
                return NULL;
        }
        (*n)++;
        return e;
}

static int ep_add_app(struct pb_snap_endpoint *e, const char *app)
{
        for (size_t i = 0; i < e->n_apps; i++)
                if (strcmp(e->apps[i], app) == 0)
                        return 0;
        char **p = realloc(e->apps, (e->n_apps + 2) * sizeof(char *));
        if (!p)
                return -ENOMEM;
        e->apps = p;
        if (!(e->apps[e->n_apps] = strdup(app)))
                return -ENOMEM;
        e->apps[++e->n_apps] = NULL;
        return 0;
}

/* One plug or slot definition: `name: null`, `name: iface`, `name: {…}`. */
static int parse_ep_def(struct ctx *c, const char *kind, yaml_node_t *kn, yaml_node_t *vn,
                        struct pb_snap_endpoint **arr, size_t *n)
{
        const char *name = scalar(kn);
        if (!name)
                return NODE_ERR(c, kn, "expected a %s name", kind);
        if (!pb_valid_plug_name(name))
                return NODE_ERR(c, kn, "invalid %s name: \"%s\"", kind, name);
        if (find_ep(*arr, *n, name))
                return NODE_ERR(c, kn, "duplicate %s \"%s\"", kind, name);
        const char *iface = name;
        if (vn && !is_null(vn)) {
                if (vn->type == YAML_SCALAR_NODE) {
                        iface = scalar(vn);
                } else if (vn->type == YAML_MAPPING_NODE) {
                        for (yaml_node_pair_t *p = vn->data.mapping.pairs.start;
                             p < vn->data.mapping.pairs.top; p++)
                                if (scalar(node(c, p->key)) &&
                                    strcmp(scalar(node(c, p->key)), "interface") == 0) {
                                        iface = scalar(node(c, p->value));
                                        if (!iface)
                                                return NODE_ERR(
                                                    c, node(c, p->value),
                                                    "interface name on %s \"%s\" is not "
                                                    "a string",
                                                    kind, name);
                                }
                } else {
                        return NODE_ERR(c, vn,
                                        "%s \"%s\" has malformed definition (expected null, an "
                                        "interface name or a map of attributes)",
                                        kind, name);
                }
        }
        if (!pb_valid_plug_name(iface))
                return NODE_ERR(c, vn ? vn : kn, "invalid interface name: \"%s\"", iface);
        struct pb_snap_endpoint *e = add_ep(arr, n, name, iface);
        if (!e)
                return -ENOMEM;
        if (!vn || vn->type != YAML_MAPPING_NODE)
                return 0;
        for (yaml_node_pair_t *p = vn->data.mapping.pairs.start; p < vn->data.mapping.pairs.top;
             p++) {
                yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
                const char *key = scalar(k);
                if (!key)
                        return NODE_ERR(c, k, "%s \"%s\" has attribute key that is not a string",
                                        kind, name);
                if (!*key)
                        return NODE_ERR(c, k, "%s \"%s\" has an empty attribute key", kind, name);
                if (key[0] == '$')
                        return NODE_ERR(c, k, "%s \"%s\" uses reserved attribute \"%s\"", kind,
                                        name, key);
                if (strcmp(key, "interface") == 0)
                        continue;
                if (strcmp(key, "label") == 0) {
                        if (!scalar(v))
                                return NODE_ERR(c, v, "label of %s \"%s\" is not a string", kind,
                                                name);
                        free(e->label);
                        if (!(e->label = strdup(scalar(v))))
                                return -ENOMEM;
                        continue;
                }
                if (json_object_object_get_ex(e->attrs, key, NULL))
                        return NODE_ERR(c, k, "duplicate key \"%s\"", key);
                json_object *val = NULL;
                int ret = to_json(c, v, &val, 0);
                if (ret < 0)
                        return ret;
                json_object_object_add(e->attrs, key, val);
        }
        return 0;
}

static int parse_ep_section(struct ctx *c, const char *kind, yaml_node_t *sec,
                            struct pb_snap_endpoint **arr, size_t *n)
{
        if (is_null(sec))
                return 0;
        if (sec->type == YAML_SEQUENCE_NODE) {
                for (yaml_node_item_t *it = sec->data.sequence.items.start;
                     it < sec->data.sequence.items.top; it++) {
                        int ret = parse_ep_def(c, kind, node(c, *it), NULL, arr, n);
                        if (ret < 0)
                                return ret;
                }
                return 0;
        }
        if (sec->type != YAML_MAPPING_NODE)
                return NODE_ERR(c, sec, "expected a map or a list of %ss", kind);
        for (yaml_node_pair_t *p = sec->data.mapping.pairs.start; p < sec->data.mapping.pairs.top;
             p++) {
                int ret = parse_ep_def(c, kind, node(c, p->key), node(c, p->value), arr, n);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

/* The plugs/slots list of an app or a hook (`what`, e.g. `app "x"`): names;
 * undeclared ones are declared at snap level with the interface of the same
 * name (snapd does the same). app is NULL for a hook: hooks are not apps. */
static int parse_app_refs(struct ctx *c, const char *kind, const char *what, const char *app,
                          yaml_node_t *list, struct pb_snap_endpoint **arr, size_t *n)
{
        if (is_null(list))
                return 0;
        if (list->type != YAML_SEQUENCE_NODE)
                return NODE_ERR(c, list, "expected a list of %s names for %s", kind, what);
        for (yaml_node_item_t *it = list->data.sequence.items.start;
             it < list->data.sequence.items.top; it++) {
                yaml_node_t *en = node(c, *it);
                const char *name = scalar(en);
                if (!name || !pb_valid_plug_name(name))
                        return NODE_ERR(c, en, "invalid %s name: \"%s\"", kind, name ? name : "");
                struct pb_snap_endpoint *e = find_ep(*arr, *n, name);
                if (!e && !(e = add_ep(arr, n, name, name)))
                        return -ENOMEM;
                if (app && ep_add_app(e, app) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* hooks: {NAME: {plugs: [...], slots: [...]}} */
static int parse_hooks(struct ctx *c, yaml_node_t *hooks, struct pb_snap_info *info)
{
        if (is_null(hooks))
                return 0;
        if (hooks->type != YAML_MAPPING_NODE)
                return NODE_ERR(c, hooks, "expected a map of hooks");
        for (yaml_node_pair_t *p = hooks->data.mapping.pairs.start;
             p < hooks->data.mapping.pairs.top; p++) {
                yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
                const char *hn = scalar(k);
                if (!hn || !pb_valid_plug_name(hn))
                        return NODE_ERR(c, k, "invalid hook name: \"%s\"", hn ? hn : "");
                if (is_null(v))
                        continue;
                if (v->type != YAML_MAPPING_NODE)
                        return NODE_ERR(c, v, "expected a map for hook \"%s\"", hn);
                char what[96];
                snprintf(what, sizeof(what), "hook \"%s\"", hn);
                for (yaml_node_pair_t *q = v->data.mapping.pairs.start;
                     q < v->data.mapping.pairs.top; q++) {
                        const char *hk = scalar(node(c, q->key));
                        int ret = 0;
                        if (hk && strcmp(hk, "plugs") == 0)
                                ret = parse_app_refs(c, "plug", what, NULL, node(c, q->value),
                                                     &info->plugs, &info->n_plugs);
                        else if (hk && strcmp(hk, "slots") == 0)
                                ret = parse_app_refs(c, "slot", what, NULL, node(c, q->value),
                                                     &info->slots, &info->n_slots);
                        if (ret < 0)
                                return ret;
                }
        }
        return 0;
}

static int cmp_ep(const void *a, const void *b)
{
        return strcmp(((const struct pb_snap_endpoint *)a)->name,
                      ((const struct pb_snap_endpoint *)b)->name);
}
static int cmp_app(const void *a, const void *b)
{
        return strcmp(((const struct pb_snap_app *)a)->name, ((const struct pb_snap_app *)b)->name);
}
static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int dup_field(struct ctx *c, yaml_node_t *v, const char *key, char **out)
{
        if (!scalar(v) || is_null(v))
                return NODE_ERR(c, v, "expected a string for \"%s\"", key);
        free(*out);
        return (*out = strdup(scalar(v))) ? 0 : -ENOMEM;
}

static int parse_root(struct ctx *c, yaml_node_t *root, struct pb_snap_info *info)
{
        if (!root || root->type != YAML_MAPPING_NODE)
                return NODE_ERR(c, root, "expected a map at the top of snap.yaml");
        yaml_node_t *plugs = NULL, *slots = NULL, *apps = NULL, *hooks = NULL, *name = NULL;
        for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
             p++) {
                yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
                const char *key = scalar(k);
                int ret = 0;
                if (!key)
                        return NODE_ERR(c, k, "expected a string key");
                for (yaml_node_pair_t *q = root->data.mapping.pairs.start; q < p; q++)
                        if (scalar(node(c, q->key)) && strcmp(scalar(node(c, q->key)), key) == 0)
                                return NODE_ERR(c, k, "duplicate key \"%s\"", key);
                if (strcmp(key, "name") == 0) {
                        name = v;
                        ret = dup_field(c, v, key, &info->name);
                } else if (strcmp(key, "version") == 0) {
                        ret = dup_field(c, v, key, &info->version);
                } else if (strcmp(key, "summary") == 0) {
                        ret = dup_field(c, v, key, &info->summary);
                } else if (strcmp(key, "description") == 0) {
                        ret = dup_field(c, v, key, &info->description);
                } else if (strcmp(key, "type") == 0) {
                        ret = dup_field(c, v, key, &info->type);
                } else if (strcmp(key, "confinement") == 0) {
                        ret = dup_field(c, v, key, &info->confinement);
                        if (ret == 0 && strcmp(info->confinement, "strict") != 0 &&
                            strcmp(info->confinement, "devmode") != 0 &&
                            strcmp(info->confinement, "classic") != 0)
                                return NODE_ERR(
                                    c, v,
                                    "confinement must be strict, devmode or classic, not "
                                    "\"%s\"",
                                    info->confinement);
                } else if (strcmp(key, "base") == 0) {
                        ret = dup_field(c, v, key, &info->base);
                } else if (strcmp(key, "plugs") == 0) {
                        plugs = v;
                } else if (strcmp(key, "slots") == 0) {
                        slots = v;
                } else if (strcmp(key, "apps") == 0) {
                        apps = v;
                } else if (strcmp(key, "hooks") == 0) {
                        hooks = v;
                }
                if (ret < 0)
                        return ret;
        }
        if (!info->name || !*info->name)
                return NODE_ERR(c, name ? name : root,
                                "expected a \"name\" field with the snap name");
        if (!pb_valid_snap_name(info->name))
                return NODE_ERR(c, name, "invalid snap name: \"%s\"", info->name);
        int ret;
        if (plugs && (ret = parse_ep_section(c, "plug", plugs, &info->plugs, &info->n_plugs)) < 0)
                return ret;
        if (slots && (ret = parse_ep_section(c, "slot", slots, &info->slots, &info->n_slots)) < 0)
                return ret;
        size_t top_plugs = info->n_plugs, top_slots = info->n_slots;
        if (apps && !is_null(apps)) {
                if (apps->type != YAML_MAPPING_NODE)
                        return NODE_ERR(c, apps, "expected a map of apps");
                size_t napps =
                    (size_t)(apps->data.mapping.pairs.top - apps->data.mapping.pairs.start);
                if (!(info->apps = calloc(napps ? napps : 1, sizeof(*info->apps))))
                        return -ENOMEM;
                for (yaml_node_pair_t *p = apps->data.mapping.pairs.start;
                     p < apps->data.mapping.pairs.top; p++) {
                        yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
                        const char *an = scalar(k);
                        if (!an || !pb_valid_app_name(an))
                                return NODE_ERR(c, k,
                                                "cannot have \"%s\" as app name - use letters, "
                                                "digits, and dash as separator",
                                                an ? an : "");
                        for (size_t i = 0; i < info->n_apps; i++)
                                if (strcmp(info->apps[i].name, an) == 0)
                                        return NODE_ERR(c, k, "duplicate app \"%s\"", an);
                        struct pb_snap_app *app = &info->apps[info->n_apps++];
                        if (!(app->name = strdup(an)))
                                return -ENOMEM;
                        if (is_null(v))
                                continue;
                        if (v->type != YAML_MAPPING_NODE)
                                return NODE_ERR(c, v, "expected a map for app \"%s\"", an);
                        char what[96];
                        snprintf(what, sizeof(what), "app \"%s\"", an);
                        for (yaml_node_pair_t *q = v->data.mapping.pairs.start;
                             q < v->data.mapping.pairs.top; q++) {
                                const char *ak = scalar(node(c, q->key));
                                yaml_node_t *av = node(c, q->value);
                                ret = 0;
                                if (!ak)
                                        ret = NODE_ERR(c, node(c, q->key), "expected a string key");
                                else if (strcmp(ak, "command") == 0)
                                        ret = dup_field(c, av, ak, &app->command);
                                else if (strcmp(ak, "daemon") == 0)
                                        ret = dup_field(c, av, ak, &app->daemon);
                                else if (strcmp(ak, "plugs") == 0)
                                        ret = parse_app_refs(c, "plug", what, an, av, &info->plugs,
                                                             &info->n_plugs);
                                else if (strcmp(ak, "slots") == 0)
                                        ret = parse_app_refs(c, "slot", what, an, av, &info->slots,
                                                             &info->n_slots);
                                if (ret < 0)
                                        return ret;
                        }
                }
        }
        if (hooks && (ret = parse_hooks(c, hooks, info)) < 0)
                return ret;
        /* snapd binds snap-level plugs and slots to every app. */
        for (size_t a = 0; a < info->n_apps; a++) {
                for (size_t i = 0; i < top_plugs; i++)
                        if (ep_add_app(&info->plugs[i], info->apps[a].name) < 0)
                                return -ENOMEM;
                for (size_t i = 0; i < top_slots; i++)
                        if (ep_add_app(&info->slots[i], info->apps[a].name) < 0)
                                return -ENOMEM;
        }
        return 0;
}

static int fill_defaults(struct pb_snap_info *info)
{
        char **fields[] = {&info->version, &info->summary, &info->description};
        for (size_t i = 0; i < PB_ARRAY_SIZE_P(fields); i++)
                if (!*fields[i] && !(*fields[i] = strdup("")))
                        return -ENOMEM;
        if (!info->type && !(info->type = strdup("app")))
                return -ENOMEM;
        if (!info->confinement && !(info->confinement = strdup("strict")))
                return -ENOMEM;
        return 0;
}

void pb_snap_info_sort_by_name(struct pb_snap_info *info)
{
        if (info->n_plugs)
                qsort(info->plugs, info->n_plugs, sizeof(*info->plugs), cmp_ep);
        if (info->n_slots)
                qsort(info->slots, info->n_slots, sizeof(*info->slots), cmp_ep);
        if (info->n_apps)
                qsort(info->apps, info->n_apps, sizeof(*info->apps), cmp_app);
}

static void sort_info(struct pb_snap_info *info)
{
        pb_snap_info_sort_by_name(info);
        for (size_t i = 0; i < info->n_plugs; i++)
                if (info->plugs[i].n_apps)
                        qsort(info->plugs[i].apps, info->plugs[i].n_apps, sizeof(char *), cmp_str);
        for (size_t i = 0; i < info->n_slots; i++)
                if (info->slots[i].n_apps)
                        qsort(info->slots[i].apps, info->slots[i].n_apps, sizeof(char *), cmp_str);
}

struct pb_snap_info *pb_snap_info_parse(const char *origin, const char *yaml, size_t len,
                                        struct pb_perror *perr)
{
        yaml_parser_t parser;
        yaml_document_t doc;
        if (!yaml_parser_initialize(&parser)) {
                pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
                return NULL;
        }
        yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
        if (!yaml_parser_load(&parser, &doc)) {
                yaml_mark_t m = parser.problem ? parser.problem_mark : parser.context_mark;
                pb_perror_set(perr, EINVAL, 400, NULL, NULL, "%s:%zu:%zu: %s%s%s", origin,
                              m.line + 1, m.column + 1,
                              parser.problem ? parser.problem : "invalid YAML",
                              parser.context ? " " : "", parser.context ? parser.context : "");
                yaml_parser_delete(&parser);
                return NULL;
        }
        yaml_parser_delete(&parser);
        struct ctx c = {.origin = origin, .doc = &doc, .perr = perr};
        struct pb_snap_info *info = calloc(1, sizeof(*info));
        int ret = info ? 0 : -ENOMEM;
        if (ret == 0) {
                yaml_node_t *root = yaml_document_get_root_node(&doc);
                if (!root)
                        ret = pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                            "%s:1:1: empty snap.yaml (expected a map with at least "
                                            "\"name\")",
                                            origin);
                else
                        ret = parse_root(&c, root, info);
        }
        if (ret == 0)
                ret = fill_defaults(info);
        yaml_document_delete(&doc);
        if (ret < 0) {
                if (ret == -ENOMEM)
                        pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
                pb_snap_info_free(info);
                return NULL;
        }
        sort_info(info);
        return info;
}

static int cmp_ep_name(const void *element, const void *key)
{
        return strcmp(((const struct pb_snap_endpoint *)element)->name, key);
}

static const struct pb_snap_endpoint *bsearch_ep(const struct pb_snap_endpoint *arr, size_t n,
                                                 const char *name)
{
        bool found;
        size_t i = pbp_sorted_index(arr, n, sizeof(*arr), name, cmp_ep_name, &found);
        return found ? &arr[i] : NULL;
}

const struct pb_snap_endpoint *pb_snap_info_plug(const struct pb_snap_info *info, const char *name)
{
        return info && name ? bsearch_ep(info->plugs, info->n_plugs, name) : NULL;
}

const struct pb_snap_endpoint *pb_snap_info_slot(const struct pb_snap_info *info, const char *name)
{
        return info && name ? bsearch_ep(info->slots, info->n_slots, name) : NULL;
}

const struct pb_snap_app *pb_snap_info_app(const struct pb_snap_info *info, const char *name)
{
        for (size_t i = 0; info && name && i < info->n_apps; i++)
                if (strcmp(info->apps[i].name, name) == 0)
                        return &info->apps[i];
        return NULL;
}
