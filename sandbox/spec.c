/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The launch spec: JSON <-> struct, with validation. Pure (no syscalls), so it
 * is unit tested on its own and shared by the broker, which writes specs. */
#include "spec.h"

#include <json-c/json.h>
#include <limits.h>
#include <string.h>

bool pb_spec_path_ok(const char *p)
{
        if (!p || p[0] != '/' || strlen(p) >= PATH_MAX)
                return false;
        if (p[1] == '\0')
                return true;
        for (const char *c = p + 1;;) {
                const char *e = strchr(c, '/');
                size_t n = e ? (size_t)(e - c) : strlen(c);
                if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                if (!e)
                        return true;
                c = e + 1;
        }
}

bool pb_spec_name_ok(const char *n, size_t max)
{
        size_t len = n ? strlen(n) : 0;
        if (len == 0 || len > max || n[0] == '-' || n[0] == '.')
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = n[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.'))
                        return false;
        }
        return true;
}

void pb_spec_free(struct pb_spec *s)
{
        if (!s)
                return;
        free(s->snap);
        free(s->revision);
        free(s->app);
        free(s->instance);
        free(s->groups);
        free(s->home);
        free(s->cwd);
        pb_strv_free(s->argv);
        pb_strv_free(s->env);
        free(s->snap_source);
        free(s->dev_view);
        for (size_t i = 0; i < s->n_mounts; i++) {
                free(s->mounts[i].source);
                free(s->mounts[i].target);
        }
        free(s->mounts);
        free(s);
}

static const char *kind_names[] = {"ro", "rw", "dev", "symlink"};

static int get_str(json_object *o, const char *key, bool required, char **out, struct pb_error *err)
{
        json_object *v = NULL;
        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
                if (required)
                        return pb_error_set(err, EINVAL, "spec: missing \"%s\"", key);
                return 0;
        }
        if (!json_object_is_type(v, json_type_string))
                return pb_error_set(err, EINVAL, "spec: \"%s\" is not a string", key);
        const char *s = json_object_get_string(v);
        if ((size_t)json_object_get_string_len(v) != strlen(s))
                return pb_error_set(err, EINVAL, "spec: \"%s\" contains NUL", key);
        *out = strdup(s);
        return *out ? 0 : pb_error_set(err, ENOMEM, "out of memory");
}

static int get_id(json_object *o, const char *key, unsigned *out, struct pb_error *err)
{
        json_object *v = NULL;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return pb_error_set(err, EINVAL, "spec: missing integer \"%s\"", key);
        int64_t n = json_object_get_int64(v);
        /* (uid_t)-1 means "unchanged" to setresuid: never accept it. */
        if (n < 0 || n >= (int64_t)UINT32_MAX)
                return pb_error_set(err, EINVAL, "spec: \"%s\" out of range", key);
        *out = (unsigned)n;
        return 0;
}

static int get_strv(json_object *o, const char *key, bool required, char ***out,
                    struct pb_error *err)
{
        json_object *a = NULL;
        if (!json_object_object_get_ex(o, key, &a)) {
                if (required)
                        return pb_error_set(err, EINVAL, "spec: missing \"%s\"", key);
                *out = calloc(1, sizeof(char *));
                return *out ? 0 : -ENOMEM;
        }
        if (!json_object_is_type(a, json_type_array))
                return pb_error_set(err, EINVAL, "spec: \"%s\" is not an array", key);
        size_t n = json_object_array_length(a);
        if (n > PB_SPEC_MAX_ITEMS)
                return pb_error_set(err, E2BIG, "spec: \"%s\" too long", key);
        _cleanup_strv_ char **v = calloc(n + 1, sizeof(char *));
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(a, i);
                if (!json_object_is_type(e, json_type_string))
                        return pb_error_set(err, EINVAL, "spec: \"%s\"[%zu] is not a string", key,
                                            i);
                const char *s = json_object_get_string(e);
                if ((size_t)json_object_get_string_len(e) != strlen(s))
                        return pb_error_set(err, EINVAL, "spec: \"%s\"[%zu] contains NUL", key, i);
                if (!(v[i] = strdup(s)))
                        return -ENOMEM;
        }
        *out = steal_pointer(&v);
        return 0;
}

static int check_path(const char *what, const char *p, struct pb_error *err)
{
        if (p && !pb_spec_path_ok(p))
                return pb_error_set(err, EINVAL, "spec: %s \"%s\" is not a clean absolute path",
                                    what, p);
        return 0;
}

static int parse_mounts(json_object *root, struct pb_spec *s, struct pb_error *err)
{
        json_object *a = NULL;
        if (!json_object_object_get_ex(root, "mounts", &a))
                return 0;
        if (!json_object_is_type(a, json_type_array))
                return pb_error_set(err, EINVAL, "spec: \"mounts\" is not an array");
        size_t n = json_object_array_length(a);
        if (n > PB_SPEC_MAX_ITEMS)
                return pb_error_set(err, E2BIG, "spec: too many mounts");
        s->mounts = calloc(n ? n : 1, sizeof(*s->mounts));
        if (!s->mounts)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *m = json_object_array_get_idx(a, i), *v = NULL;
                struct pb_mount *pm = &s->mounts[i];
                s->n_mounts = i + 1;
                if (!json_object_is_type(m, json_type_object))
                        return pb_error_set(err, EINVAL, "spec: mounts[%zu] is not an object", i);
                int r = get_str(m, "source", true, &pm->source, err);
                if (r < 0 || (r = get_str(m, "target", true, &pm->target, err)) < 0)
                        return r;
                if ((r = check_path("mount source", pm->source, err)) < 0 ||
                    (r = check_path("mount target", pm->target, err)) < 0)
                        return r;
                if (strcmp(pm->target, "/") == 0)
                        return pb_error_set(err, EINVAL, "spec: cannot mount over /");
                pm->kind = PB_MOUNT_BIND_RO;
                if (json_object_object_get_ex(m, "kind", &v)) {
                        const char *k = json_object_get_string(v);
                        size_t j = 0;
                        while (j < PB_ARRAY_SIZE(kind_names) && strcmp(kind_names[j], k) != 0)
                                j++;
                        if (j == PB_ARRAY_SIZE(kind_names))
                                return pb_error_set(err, EINVAL, "spec: unknown mount kind \"%s\"",
                                                    k);
                        pm->kind = (enum pb_mount_kind)j;
                }
                pm->file = json_object_object_get_ex(m, "file", &v) && json_object_get_boolean(v);
                pm->optional =
                    json_object_object_get_ex(m, "optional", &v) && json_object_get_boolean(v);
                pm->user = json_object_object_get_ex(m, "user", &v) && json_object_get_boolean(v);
        }
        return 0;
}

static int parse_obj(json_object *root, struct pb_spec *s, struct pb_error *err)
{
        int r;
        unsigned id = 0;
        json_object *v = NULL;
        if (!json_object_is_type(root, json_type_object))
                return pb_error_set(err, EINVAL, "spec: not a JSON object");
        if ((r = get_str(root, "snap", true, &s->snap, err)) < 0 ||
            (r = get_str(root, "revision", true, &s->revision, err)) < 0 ||
            (r = get_str(root, "app", true, &s->app, err)) < 0 ||
            (r = get_str(root, "instance", false, &s->instance, err)) < 0 ||
            (r = get_str(root, "home", true, &s->home, err)) < 0 ||
            (r = get_str(root, "cwd", false, &s->cwd, err)) < 0 ||
            (r = get_str(root, "snap-source", true, &s->snap_source, err)) < 0 ||
            (r = get_str(root, "dev-view", false, &s->dev_view, err)) < 0)
                return r;
        if (!pb_spec_name_ok(s->snap, 40) || !pb_spec_name_ok(s->revision, 40) ||
            !pb_spec_name_ok(s->app, 64) || (s->instance && !pb_spec_name_ok(s->instance, 64)))
                return pb_error_set(err, EINVAL, "spec: bad snap, app, revision or instance name");
        if ((r = check_path("home", s->home, err)) < 0 ||
            (r = check_path("cwd", s->cwd, err)) < 0 ||
            (r = check_path("snap-source", s->snap_source, err)) < 0 ||
            (r = check_path("dev-view", s->dev_view, err)) < 0)
                return r;
        if (strcmp(s->home, "/") == 0)
                return pb_error_set(err, EINVAL, "spec: home cannot be /");
        if ((r = get_id(root, "uid", &id, err)) < 0)
                return r;
        s->uid = id;
        if ((r = get_id(root, "gid", &id, err)) < 0)
                return r;
        s->gid = id;
        if (json_object_object_get_ex(root, "groups", &v)) {
                if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) > 65536)
                        return pb_error_set(err, EINVAL, "spec: bad \"groups\"");
                size_t n = json_object_array_length(v);
                s->groups = calloc(n ? n : 1, sizeof(gid_t));
                if (!s->groups)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++) {
                        json_object *g = json_object_array_get_idx(v, i);
                        int64_t x = json_object_get_int64(g);
                        if (!json_object_is_type(g, json_type_int) || x < 0 || x >= UINT32_MAX)
                                return pb_error_set(err, EINVAL, "spec: bad group");
                        s->groups[i] = (gid_t)x;
                }
                s->n_groups = n;
        }
        if ((r = get_strv(root, "argv", true, &s->argv, err)) < 0 ||
            (r = get_strv(root, "env", false, &s->env, err)) < 0)
                return r;
        if (!s->argv[0] || !pb_spec_path_ok(s->argv[0]))
                return pb_error_set(err, EINVAL, "spec: argv[0] must be an absolute path");
        s->network = json_object_object_get_ex(root, "network", &v) && json_object_get_boolean(v);
        s->make_user_dirs =
            json_object_object_get_ex(root, "make-user-dirs", &v) && json_object_get_boolean(v);
        s->notify_connect =
            json_object_object_get_ex(root, "notify-connect", &v) && json_object_get_boolean(v);
        if (json_object_object_get_ex(root, "nofile", &v)) {
                int64_t n = json_object_get_int64(v);
                if (!json_object_is_type(v, json_type_int) || n < 0)
                        return pb_error_set(err, EINVAL, "spec: bad \"nofile\"");
                s->nofile = (uint64_t)n;
        }
        return parse_mounts(root, s, err);
}

int pb_spec_parse(const char *json, size_t len, struct pb_spec **out, struct pb_error *err)
{
        if (len > PB_SPEC_MAX_BYTES)
                return pb_error_set(err, E2BIG, "spec: too large");
        json_tokener *tok = json_tokener_new_ex(32);
        if (!tok)
                return pb_error_set(err, ENOMEM, "out of memory");
        json_object *root = json_tokener_parse_ex(tok, json, (int)len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        size_t used = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        if (!root || jerr != json_tokener_success || used != len) {
                json_object_put(root);
                return pb_error_set(err, EINVAL, "spec: invalid JSON");
        }
        struct pb_spec *s = calloc(1, sizeof(*s));
        if (!s) {
                json_object_put(root);
                return pb_error_set(err, ENOMEM, "out of memory");
        }
        int r = parse_obj(root, s, err);
        json_object_put(root);
        if (r < 0) {
                pb_spec_free(s);
                return r == -ENOMEM ? pb_error_set(err, ENOMEM, "out of memory") : r;
        }
        *out = s;
        return 0;
}

static json_object *strv_json(char **v)
{
        json_object *a = json_object_new_array();
        for (char **p = v; a && p && *p; p++)
                json_object_array_add(a, json_object_new_string(*p));
        return a;
}

static void add_str(json_object *o, const char *k, const char *v)
{
        if (v)
                json_object_object_add(o, k, json_object_new_string(v));
}

char *pb_spec_to_json(const struct pb_spec *s)
{
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        add_str(o, "snap", s->snap);
        add_str(o, "revision", s->revision);
        add_str(o, "app", s->app);
        add_str(o, "instance", s->instance);
        add_str(o, "home", s->home);
        add_str(o, "cwd", s->cwd);
        add_str(o, "snap-source", s->snap_source);
        add_str(o, "dev-view", s->dev_view);
        json_object_object_add(o, "uid", json_object_new_int64(s->uid));
        json_object_object_add(o, "gid", json_object_new_int64(s->gid));
        json_object *g = json_object_new_array();
        for (size_t i = 0; g && i < s->n_groups; i++)
                json_object_array_add(g, json_object_new_int64(s->groups[i]));
        json_object_object_add(o, "groups", g);
        json_object_object_add(o, "argv", strv_json(s->argv));
        json_object_object_add(o, "env", strv_json(s->env));
        json_object_object_add(o, "network", json_object_new_boolean(s->network));
        json_object_object_add(o, "make-user-dirs", json_object_new_boolean(s->make_user_dirs));
        json_object_object_add(o, "notify-connect", json_object_new_boolean(s->notify_connect));
        if (s->nofile)
                json_object_object_add(o, "nofile", json_object_new_int64((int64_t)s->nofile));
        json_object *ms = json_object_new_array();
        for (size_t i = 0; ms && i < s->n_mounts; i++) {
                json_object *m = json_object_new_object();
                if (!m)
                        break;
                add_str(m, "source", s->mounts[i].source);
                add_str(m, "target", s->mounts[i].target);
                add_str(m, "kind", kind_names[s->mounts[i].kind]);
                json_object_object_add(m, "file", json_object_new_boolean(s->mounts[i].file));
                json_object_object_add(m, "optional",
                                       json_object_new_boolean(s->mounts[i].optional));
                json_object_object_add(m, "user", json_object_new_boolean(s->mounts[i].user));
                json_object_array_add(ms, m);
        }
        json_object_object_add(o, "mounts", ms);
        const char *str = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        char *r = str ? strdup(str) : NULL;
        json_object_put(o);
        return r;
}
