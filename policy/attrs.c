/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Attribute checks against an interface's specifications (iface-priv.h). */
#include "iface-priv.h"
#include "jsonutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

bool pb_attrs_match(json_object *cond, json_object *attrs)
{
        if (!cond)
                return false;
        json_object_object_foreach(cond, key, want)
        {
                json_object *have = NULL;
                if (!attrs || !json_object_object_get_ex(attrs, key, &have))
                        return false;
                if (json_object_is_type(want, json_type_string) &&
                    strcmp(json_object_get_string(want), "*") == 0)
                        continue;
                if (!json_object_equal(want, have))
                        return false;
        }
        return true;
}

const char *pb_content_attr(json_object *attrs, const char *endpoint_name)
{
        json_object *v = NULL;
        if (attrs && json_object_object_get_ex(attrs, "content", &v) &&
            json_object_is_type(v, json_type_string))
                return json_object_get_string(v);
        return endpoint_name;
}

static bool is_clean(const char *p)
{
        size_t n = strlen(p);
        if (n == 0)
                return false;
        if (strstr(p, "//") || strstr(p, "/./") || strstr(p, "/../") || strncmp(p, "./", 2) == 0 ||
            strncmp(p, "../", 3) == 0)
                return false;
        if ((n >= 2 && strcmp(p + n - 2, "/.") == 0) || (n >= 3 && strcmp(p + n - 3, "/..") == 0))
                return false;
        return true;
}

const char *pb_check_attr_path(const char *v, enum pb_attr_path kind)
{
        if (kind == PB_PATH_NONE)
                return NULL;
        /* snapd refuses AppArmor regex characters in these paths; for us they
         * would be glob characters and grant more than the path named. */
        if (strpbrk(v, "?*[]{}^\"\\,"))
                return "contains a reserved character";
        if (strchr(v, '~'))
                return "contains '~'";
        size_t n = strlen(v);
        switch (kind) {
        case PB_PATH_HOME:
                if (strncmp(v, "$HOME/", 6) != 0)
                        return "must start with \"$HOME/\"";
                if (strstr(v + 1, "$HOME"))
                        return "uses \"$HOME\" more than once";
                if (strchr(v + 1, '$'))
                        return "uses a variable other than \"$HOME\"";
                if (v[n - 1] == '/')
                        return "must not end with \"/\"";
                if (!is_clean(v + 5))
                        return "must be clean";
                return NULL;
        case PB_PATH_ABSOLUTE:
                if (v[0] != '/')
                        return "must start with \"/\"";
                if (strchr(v, '$'))
                        return "must not use \"$HOME\" or other variables";
                if (n > 1 && v[n - 1] == '/')
                        return "must not end with \"/\"";
                if (n == 1)
                        return "must not be \"/\"";
                if (!is_clean(v))
                        return "must be clean";
                return NULL;
        case PB_PATH_SNAP:
                if (strstr(v, ".."))
                        return "must not contain \"..\"";
                if (v[0] == '$' && strncmp(v, "$SNAP", 5) != 0)
                        return "may only start with $SNAP, $SNAP_DATA or $SNAP_COMMON";
                return NULL;
        case PB_PATH_NONE:
                return NULL;
        }
        return NULL;
}

static int check_string(const struct pb_attr_spec *s, const char *what, const char *v,
                        struct pb_perror *perr)
{
        if (s->n_enum) {
                bool ok = false;
                for (size_t i = 0; i < s->n_enum; i++)
                        ok = ok || strcmp(s->enumv[i], v) == 0;
                if (!ok) {
                        char list[256] = "";
                        for (size_t i = 0; i < s->n_enum; i++) {
                                size_t l = strlen(list);
                                snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "",
                                         s->enumv[i]);
                        }
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: attribute \"%s\" must be one of: %s (not \"%s\")",
                                             what, s->name, list, v);
                }
        }
        if (s->pattern && regexec(&s->re, v, 0, NULL, 0) != 0)
                return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                     "%s: attribute \"%s\": \"%s\" does not match %s", what,
                                     s->name, v, s->pattern);
        const char *why = pb_check_attr_path(v, s->path);
        if (why)
                return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                     "%s: attribute \"%s\": \"%s\" %s", what, s->name, v, why);
        return 0;
}

static int check_one(const struct pb_attr_spec *s, const char *what, json_object *v,
                     struct pb_perror *perr)
{
        switch (s->type) {
        case PB_ATTR_ANY:
                if (json_object_is_type(v, json_type_string))
                        return check_string(s, what, json_object_get_string(v), perr);
                return 0;
        case PB_ATTR_STRING:
                if (!json_object_is_type(v, json_type_string))
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: attribute \"%s\" must be a string", what,
                                             s->name);
                return check_string(s, what, json_object_get_string(v), perr);
        case PB_ATTR_STRING_LIST:
                if (json_object_is_type(v, json_type_string))
                        return check_string(s, what, json_object_get_string(v), perr);
                if (!json_object_is_type(v, json_type_array))
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: attribute \"%s\" must be a list of strings", what,
                                             s->name);
                for (size_t i = 0; i < json_object_array_length(v); i++) {
                        json_object *e = json_object_array_get_idx(v, i);
                        if (!json_object_is_type(e, json_type_string))
                                return pb_perror_set(
                                    perr, EINVAL, 400, NULL, NULL,
                                    "%s: attribute \"%s\" must be a list of strings", what,
                                    s->name);
                        int ret = check_string(s, what, json_object_get_string(e), perr);
                        if (ret < 0)
                                return ret;
                }
                return 0;
        case PB_ATTR_BOOL:
                if (!json_object_is_type(v, json_type_boolean))
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: attribute \"%s\" must be true or false", what,
                                             s->name);
                return 0;
        case PB_ATTR_INT:
                if (!json_object_is_type(v, json_type_int))
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: attribute \"%s\" must be an integer", what,
                                             s->name);
                long long n = json_object_get_int64(v);
                if ((s->has_min && n < s->min) || (s->has_max && n > s->max))
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: attribute \"%s\" is out of range", what, s->name);
                return 0;
        }
        return 0;
}

int pb_interface_check_attrs(const struct pb_interface *iface, bool slot, const char *what,
                             json_object *attrs, struct pb_perror *perr)
{
        const struct pb_attr_spec *specs = slot ? iface->slot_attrs : iface->plug_attrs;
        size_t n = slot ? iface->n_slot_attrs : iface->n_plug_attrs;
        for (size_t i = 0; i < n; i++) {
                json_object *v = NULL;
                if (!attrs || !json_object_object_get_ex(attrs, specs[i].name, &v)) {
                        if (specs[i].required)
                                return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                                     "%s: attribute \"%s\" is required", what,
                                                     specs[i].name);
                        continue;
                }
                int ret = check_one(&specs[i], what, v, perr);
                if (ret < 0)
                        return ret;
        }
        if (!slot && iface->n_plug_one_of) {
                bool any = false;
                for (size_t i = 0; i < iface->n_plug_one_of; i++)
                        any = any || (attrs && json_object_object_get_ex(
                                                   attrs, iface->plug_one_of[i], NULL));
                if (!any) {
                        char list[256] = "";
                        for (size_t i = 0; i < iface->n_plug_one_of; i++) {
                                size_t l = strlen(list);
                                snprintf(list + l, sizeof(list) - l, "%s\"%s\"", i ? " or " : "",
                                         iface->plug_one_of[i]);
                        }
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: needs a valid %s attribute", what, list);
                }
        }
        return 0;
}
