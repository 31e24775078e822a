/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The interface catalogue: parsing and validating interface files. The file
 * format is documented in docs/INTERFACES.md. Validation is strict (unknown
 * keys are errors) because a typo in a grant file would otherwise silently
 * grant less, or more, than its author meant.
 */
#include "catalogue.h"
#include "grants.h"
#include "iface-priv.h"
#include "jsonutil.h"
#include "putil.h"
#include "snap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pb_catalogue {
        struct pb_interface **ifaces; /* sorted by name */
        size_t n, cap;
};

static void rule_clear(struct pb_grant_rule *r)
{
        free(r->pattern);
        free(r->for_each);
        free(r->note);
        for (size_t i = 0; i < r->n_conds; i++) {
                free(r->conds[i].attr);
                if (r->conds[i].value)
                        json_object_put(r->conds[i].value);
        }
        free(r->conds);
}

static void specs_free(struct pb_attr_spec *s, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(s[i].name);
                for (size_t j = 0; j < s[i].n_enum; j++)
                        free(s[i].enumv[j]);
                free(s[i].enumv);
                if (s[i].pattern) {
                        regfree(&s[i].re);
                        free(s[i].pattern);
                }
        }
        free(s);
}

static void iface_free(struct pb_interface *f)
{
        if (!f)
                return;
        free(f->name);
        free(f->summary);
        free(f->doc_url);
        free(f->origin);
        free(f->description);
        if (f->deny_auto_plug_attrs)
                json_object_put(f->deny_auto_plug_attrs);
        if (f->deny_conn_plug_attrs)
                json_object_put(f->deny_conn_plug_attrs);
        specs_free(f->plug_attrs, f->n_plug_attrs);
        specs_free(f->slot_attrs, f->n_slot_attrs);
        for (size_t i = 0; i < f->n_plug_one_of; i++)
                free(f->plug_one_of[i]);
        free(f->plug_one_of);
        for (size_t i = 0; i < f->n_rules; i++)
                rule_clear(&f->rules[i]);
        free(f->rules);
        free(f);
}

struct pb_catalogue *pb_catalogue_new(void)
{
        return calloc(1, sizeof(struct pb_catalogue));
}

void pb_catalogue_free(struct pb_catalogue *cat)
{
        if (!cat)
                return;
        for (size_t i = 0; i < cat->n; i++)
                iface_free(cat->ifaces[i]);
        free(cat->ifaces);
        free(cat);
}

#define EINVAL_AT(perr, origin, ...)                                                               \
        (pb_perror_set(perr, EINVAL, 400, NULL, NULL, __VA_ARGS__),                                \
         pb_perror_prefix(perr, "%s", origin), -EINVAL)

static int parse_access(const char *s, unsigned *out)
{
        if (strcmp(s, "r") == 0)
                *out = PB_ACCESS_READ;
        else if (strcmp(s, "rw") == 0)
                *out = PB_ACCESS_READ | PB_ACCESS_WRITE;
        else if (strcmp(s, "none") == 0)
                *out = PB_ACCESS_NONE;
        else
                return -EINVAL;
        return 0;
}

static int parse_conds(json_object *obj, bool negate, bool slot_side, struct pb_grant_rule *r,
                       const char *where, struct pb_perror *perr)
{
        if (!json_object_is_type(obj, json_type_object))
                return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                     "%s: expected an object of attribute conditions", where);
        json_object_object_foreach(obj, key, val)
        {
                if (val && (json_object_is_type(val, json_type_object) ||
                            json_object_is_type(val, json_type_array)))
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: condition on \"%s\" must be a scalar", where,
                                             key);
                void *p = realloc(r->conds, (r->n_conds + 1) * sizeof(*r->conds));
                if (!p)
                        return -ENOMEM;
                r->conds = p;
                struct pb_cond *c = &r->conds[r->n_conds];
                memset(c, 0, sizeof(*c));
                c->attr = strdup(key);
                if (!c->attr)
                        return -ENOMEM;
                r->n_conds++;
                c->negate = negate;
                c->slot_side = slot_side;
                bool star = val && json_object_is_type(val, json_type_string) &&
                            strcmp(json_object_get_string(val), "*") == 0;
                c->value = star ? NULL : json_object_get(val);
                if (!star && !val)
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: condition on \"%s\" must not be null", where,
                                             key);
        }
        return 0;
}

/* Substitution variables a template may use. */
static bool template_ok(const char *t, bool allow_attr)
{
        static const char *const vars[] = {"$HOME", "$UID", "$SNAP_NAME", "$SNAP_REVISION",
                                           "$ATTR"};
        for (const char *p = strchr(t, '$'); p; p = strchr(p + 1, '$')) {
                bool ok = false;
                for (size_t i = 0; i < PB_ARRAY_SIZE_P(vars); i++) {
                        size_t n = strlen(vars[i]);
                        if (strncmp(p, vars[i], n) == 0 &&
                            !((p[n] >= 'A' && p[n] <= 'Z') || p[n] == '_')) {
                                ok = allow_attr || i != 4;
                                break;
                        }
                }
                if (!ok)
                        return false;
        }
        return true;
}

static int parse_rule(json_object *o, struct pb_grant_rule *r, const char *where,
                      struct pb_perror *perr)
{
        static const char *const keys[] = {"path",
                                           "device",
                                           "service",
                                           "access",
                                           "recursive",
                                           "side",
                                           "for-each",
                                           "if-plug-attr",
                                           "if-slot-attr",
                                           "unless-plug-attr",
                                           "unless-slot-attr",
                                           "note",
                                           NULL};
        int ret = pbj_check_keys(o, keys, where, perr);
        if (ret < 0)
                return ret;
        json_object *path = NULL, *device = NULL, *service = NULL, *v = NULL;
        json_object_object_get_ex(o, "path", &path);
        json_object_object_get_ex(o, "device", &device);
        json_object_object_get_ex(o, "service", &service);
        if (!!path + !!device + !!service != 1)
                return pb_perror_set(
                    perr, EINVAL, 400, NULL, NULL,
                    "%s: expected exactly one of \"path\", \"device\", \"service\"", where);
        if (json_object_object_get_ex(o, "for-each", &v)) {
                const char *fe = json_object_get_string(v);
                if (!json_object_is_type(v, json_type_string) ||
                    (strncmp(fe, "plug-attr:", 10) != 0 && strncmp(fe, "slot-attr:", 10) != 0) ||
                    !fe[10])
                        return pb_perror_set(
                            perr, EINVAL, 400, NULL, NULL,
                            "%s: \"for-each\" must be \"plug-attr:NAME\" or \"slot-attr:NAME\"",
                            where);
                r->for_each_slot = fe[0] == 's';
                if (!(r->for_each = strdup(fe + 10)))
                        return -ENOMEM;
        }
        if (service) {
                int s = json_object_is_type(service, json_type_string)
                            ? pb_service_from_name(json_object_get_string(service))
                            : -1;
                if (s < 0)
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: unknown service %s (known: audio-playback, "
                                             "audio-record, x11, wayland, network, network-bind)",
                                             where, json_object_to_json_string(service));
                r->kind = PB_RULE_SERVICE;
                r->service = s;
                if (json_object_object_get_ex(o, "access", &v) ||
                    json_object_object_get_ex(o, "recursive", &v) || r->for_each)
                        return pb_perror_set(
                            perr, EINVAL, 400, NULL, NULL,
                            "%s: a service rule takes no access, recursive or for-each", where);
        } else {
                json_object *pat = path ? path : device;
                r->kind = path ? PB_RULE_PATH : PB_RULE_DEVICE;
                if (!json_object_is_type(pat, json_type_string) || !*json_object_get_string(pat))
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: \"%s\" must be a non-empty string", where,
                                             path ? "path" : "device");
                const char *p = json_object_get_string(pat);
                if (!template_ok(p, r->for_each != NULL))
                        return pb_perror_set(
                            perr, EINVAL, 400, NULL, NULL,
                            "%s: \"%s\" uses an unknown variable (known: $HOME, $UID, $SNAP_NAME, "
                            "$SNAP_REVISION, and $ATTR with for-each)",
                            where, p);
                if (path && p[0] != '/' && strncmp(p, "$HOME", 5) != 0 &&
                    strncmp(p, "$ATTR", 5) != 0)
                        return pb_perror_set(
                            perr, EINVAL, 400, NULL, NULL,
                            "%s: path \"%s\" must be absolute (or start with $HOME "
                            "or $ATTR)",
                            where, p);
                if (device && p[0] == '/' && strncmp(p, "/dev/", 5) != 0)
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: device \"%s\" must be under /dev", where, p);
                if (strstr(p, "/../") || strstr(p, "//") || strstr(p, "/./") ||
                    (strlen(p) > 1 && p[strlen(p) - 1] == '/'))
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: \"%s\" must be a clean path", where, p);
                /* Device patterns are relative to the device root. */
                if (!(r->pattern = strdup(device && strncmp(p, "/dev/", 5) == 0 ? p + 5 : p)))
                        return -ENOMEM;
                if (!json_object_object_get_ex(o, "access", &v) ||
                    !json_object_is_type(v, json_type_string) ||
                    parse_access(json_object_get_string(v), &r->access) < 0)
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: \"access\" must be \"r\", \"rw\" or \"none\"",
                                             where);
                if (json_object_object_get_ex(o, "recursive", &v)) {
                        if (!json_object_is_type(v, json_type_boolean) || device)
                                return pb_perror_set(
                                    perr, EINVAL, 400, NULL, NULL,
                                    "%s: \"recursive\" must be a boolean, on a path rule", where);
                        r->recursive = json_object_get_boolean(v);
                }
        }
        if (json_object_object_get_ex(o, "side", &v)) {
                const char *s = json_object_get_string(v);
                if (!json_object_is_type(v, json_type_string) ||
                    (strcmp(s, "plug") != 0 && strcmp(s, "slot") != 0))
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: \"side\" must be \"plug\" or \"slot\"", where);
                r->slot_side = s[1] == 'l' && s[2] == 'o';
        }
        if (json_object_object_get_ex(o, "note", &v)) {
                if (!json_object_is_type(v, json_type_string))
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: \"note\" must be a string", where);
                if (!(r->note = strdup(json_object_get_string(v))))
                        return -ENOMEM;
        }
        static const struct {
                const char *key;
                bool negate, slot;
        } condkeys[] = {{"if-plug-attr", false, false},
                        {"if-slot-attr", false, true},
                        {"unless-plug-attr", true, false},
                        {"unless-slot-attr", true, true}};
        for (size_t i = 0; i < PB_ARRAY_SIZE_P(condkeys); i++)
                if (json_object_object_get_ex(o, condkeys[i].key, &v) &&
                    (ret = parse_conds(v, condkeys[i].negate, condkeys[i].slot, r, where, perr)) <
                        0)
                        return ret;
        return 0;
}

/*
 * glibc's regcomp needs memory exponential in stacked quantifiers ("a+++"
 * took 2 GiB for the fuzzer): an attribute pattern is short and never
 * repeats a repetition. Bracket expressions and escapes are skipped over.
 */
#define PATTERN_MAX 256

static bool pattern_is_tame(const char *re)
{
        if (strlen(re) > PATTERN_MAX)
                return false;
        bool after_quantifier = false;
        for (const char *c = re; *c; c++) {
                if (*c == '\\' && c[1]) {
                        c++;
                        after_quantifier = false;
                } else if (*c == '[') {
                        c++;
                        if (*c == '^')
                                c++;
                        if (*c == ']')
                                c++;
                        while (*c && *c != ']')
                                c++;
                        if (!*c)
                                return true; /* unclosed: regcomp refuses it */
                        after_quantifier = false;
                } else if (strchr("*+?{", *c)) {
                        if (after_quantifier)
                                return false;
                        if (*c == '{') {
                                const char *end = strchr(c, '}');
                                if (!end)
                                        return true; /* unbalanced: regcomp refuses it */
                                c = end;
                        }
                        after_quantifier = true;
                } else {
                        after_quantifier = false;
                }
        }
        return true;
}

static int parse_spec(const char *name, json_object *o, struct pb_attr_spec *s, const char *where,
                      struct pb_perror *perr)
{
        static const char *const keys[] = {"type",     "enum", "pattern", "path",
                                           "required", "min",  "max",     NULL};
        int ret = pbj_check_keys(o, keys, where, perr);
        if (ret < 0)
                return ret;
        if (!(s->name = strdup(name)))
                return -ENOMEM;
        json_object *v = NULL;
        s->type = PB_ATTR_ANY;
        if (json_object_object_get_ex(o, "type", &v)) {
                static const char *const types[] = {"any", "string", "string-list", "bool", "int"};
                const char *t = json_object_get_string(v);
                size_t i;
                for (i = 0; i < PB_ARRAY_SIZE_P(types); i++)
                        if (json_object_is_type(v, json_type_string) && strcmp(t, types[i]) == 0)
                                break;
                if (i == PB_ARRAY_SIZE_P(types))
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: \"type\" must be one of any, string, "
                                             "string-list, bool, int",
                                             where);
                s->type = (enum pb_attr_type)i;
        }
        if (json_object_object_get_ex(o, "enum", &v)) {
                size_t n =
                    json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
                if (!n)
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: \"enum\" must be a non-empty list of strings",
                                             where);
                if (!(s->enumv = calloc(n, sizeof(char *))))
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++) {
                        json_object *e = json_object_array_get_idx(v, i);
                        if (!json_object_is_type(e, json_type_string))
                                return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                                     "%s: \"enum\" must be a list of strings",
                                                     where);
                        if (!(s->enumv[i] = strdup(json_object_get_string(e))))
                                return -ENOMEM;
                        s->n_enum++;
                }
        }
        if (json_object_object_get_ex(o, "pattern", &v)) {
                if (!json_object_is_type(v, json_type_string))
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: \"pattern\" must be a string", where);
                if (!pattern_is_tame(json_object_get_string(v)))
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: \"pattern\" is longer than %d characters or "
                                             "repeats a repetition (\"a++\", \"a*{2}\")",
                                             where, PATTERN_MAX);
                if (regcomp(&s->re, json_object_get_string(v), REG_EXTENDED | REG_NOSUB) != 0)
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: \"pattern\" is not a valid extended regular "
                                             "expression",
                                             where);
                if (!(s->pattern = strdup(json_object_get_string(v)))) {
                        regfree(&s->re);
                        return -ENOMEM;
                }
        }
        if (json_object_object_get_ex(o, "path", &v)) {
                const char *p = json_object_get_string(v);
                if (!json_object_is_type(v, json_type_string))
                        p = "";
                if (strcmp(p, "home") == 0)
                        s->path = PB_PATH_HOME;
                else if (strcmp(p, "absolute") == 0)
                        s->path = PB_PATH_ABSOLUTE;
                else if (strcmp(p, "snap") == 0)
                        s->path = PB_PATH_SNAP;
                else
                        return pb_perror_set(
                            perr, EINVAL, 400, NULL, NULL,
                            "%s: \"path\" must be \"home\", \"absolute\" or \"snap\"", where);
        }
        if (json_object_object_get_ex(o, "required", &v)) {
                if (!json_object_is_type(v, json_type_boolean))
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: \"required\" must be a boolean", where);
                s->required = json_object_get_boolean(v);
        }
        if (json_object_object_get_ex(o, "min", &v)) {
                if (!json_object_is_type(v, json_type_int))
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: \"min\" must be an integer", where);
                s->has_min = true;
                s->min = json_object_get_int64(v);
        }
        if (json_object_object_get_ex(o, "max", &v)) {
                if (!json_object_is_type(v, json_type_int))
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: \"max\" must be an integer", where);
                s->has_max = true;
                s->max = json_object_get_int64(v);
        }
        return 0;
}

static int parse_specs(json_object *o, struct pb_attr_spec **out, size_t *n, const char *key,
                       struct pb_perror *perr)
{
        if (!json_object_is_type(o, json_type_object))
                return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                     "\"%s\" must be an object of attribute specifications", key);
        size_t cnt = (size_t)json_object_object_length(o);
        if (!cnt)
                return 0;
        if (!(*out = calloc(cnt, sizeof(**out))))
                return -ENOMEM;
        json_object_object_foreach(o, name, spec)
        {
                char where[160];
                snprintf(where, sizeof(where), "%s.%s", key, name);
                if (!json_object_is_type(spec, json_type_object))
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: expected an object", where);
                (*n)++;
                int ret = parse_spec(name, spec, &(*out)[*n - 1], where, perr);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

static int get_string(json_object *root, const char *key, bool required, char **out,
                      struct pb_perror *perr)
{
        json_object *v = NULL;
        if (!json_object_object_get_ex(root, key, &v)) {
                if (required)
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL, "missing \"%s\"", key);
                return (*out = strdup("")) ? 0 : -ENOMEM;
        }
        if (!json_object_is_type(v, json_type_string))
                return pb_perror_set(perr, EINVAL, 400, NULL, NULL, "\"%s\" must be a string", key);
        return (*out = strdup(json_object_get_string(v))) ? 0 : -ENOMEM;
}

static int get_bool(json_object *root, const char *key, bool def, bool *out, struct pb_perror *perr)
{
        json_object *v = NULL;
        *out = def;
        if (!json_object_object_get_ex(root, key, &v))
                return 0;
        if (!json_object_is_type(v, json_type_boolean))
                return pb_perror_set(perr, EINVAL, 400, NULL, NULL, "\"%s\" must be true or false",
                                     key);
        *out = json_object_get_boolean(v);
        return 0;
}

static int parse_iface(json_object *root, const char *origin, struct pb_interface *f,
                       struct pb_perror *perr)
{
        static const char *const keys[] = {"name",
                                           "summary",
                                           "doc-url",
                                           "description",
                                           "implicit-slot",
                                           "auto-connect",
                                           "auto-connect-slot",
                                           "deny-auto-connection-plug-attrs",
                                           "deny-connection-plug-attrs",
                                           "plug-allow-installation",
                                           "plug-attrs",
                                           "slot-attrs",
                                           "plug-attrs-one-of",
                                           "grants",
                                           NULL};
        int ret;
        if (!json_object_is_type(root, json_type_object))
                return pb_perror_set(perr, EINVAL, 400, NULL, NULL, "expected a JSON object");
        if ((ret = pbj_check_keys(root, keys, "interface", perr)) < 0)
                return ret;
        if ((ret = get_string(root, "name", true, &f->name, perr)) < 0 ||
            (ret = get_string(root, "summary", true, &f->summary, perr)) < 0 ||
            (ret = get_string(root, "doc-url", false, &f->doc_url, perr)) < 0 ||
            (ret = get_string(root, "description", false, &f->description, perr)) < 0)
                return ret;
        /* snapd: ^[a-z](?:-?[a-z0-9])*$, the rule of plug and slot names */
        if (!pb_valid_plug_name(f->name))
                return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                     "invalid interface name: \"%s\"", f->name);
        if (!*f->summary)
                return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                     "\"summary\" must not be empty");
        if ((ret = get_bool(root, "implicit-slot", false, &f->implicit_slot, perr)) < 0 ||
            (ret = get_bool(root, "auto-connect", false, &f->auto_connect, perr)) < 0 ||
            (ret = get_bool(root, "plug-allow-installation", true, &f->plug_allow_installation,
                            perr)) < 0)
                return ret;
        json_object *v = NULL;
        f->auto_slot = PB_AUTO_ANY;
        if (json_object_object_get_ex(root, "auto-connect-slot", &v)) {
                const char *s =
                    json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
                if (strcmp(s, "any") == 0)
                        f->auto_slot = PB_AUTO_ANY;
                else if (strcmp(s, "system") == 0)
                        f->auto_slot = PB_AUTO_SYSTEM;
                else if (strcmp(s, "same-content") == 0)
                        f->auto_slot = PB_AUTO_SAME_CONTENT;
                else
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "\"auto-connect-slot\" must be \"any\", \"system\" or "
                                             "\"same-content\"");
        }
        static const char *const condkeys[] = {"deny-auto-connection-plug-attrs",
                                               "deny-connection-plug-attrs"};
        for (int i = 0; i < 2; i++) {
                if (!json_object_object_get_ex(root, condkeys[i], &v))
                        continue;
                if (!json_object_is_type(v, json_type_object))
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "\"%s\" must be an object", condkeys[i]);
                *(i ? &f->deny_conn_plug_attrs : &f->deny_auto_plug_attrs) = json_object_get(v);
        }
        if (json_object_object_get_ex(root, "plug-attrs", &v) &&
            (ret = parse_specs(v, &f->plug_attrs, &f->n_plug_attrs, "plug-attrs", perr)) < 0)
                return ret;
        if (json_object_object_get_ex(root, "slot-attrs", &v) &&
            (ret = parse_specs(v, &f->slot_attrs, &f->n_slot_attrs, "slot-attrs", perr)) < 0)
                return ret;
        if (json_object_object_get_ex(root, "plug-attrs-one-of", &v)) {
                size_t n =
                    json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
                if (!n)
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "\"plug-attrs-one-of\" must be a non-empty list");
                if (!(f->plug_one_of = calloc(n, sizeof(char *))))
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++) {
                        json_object *e = json_object_array_get_idx(v, i);
                        if (!json_object_is_type(e, json_type_string))
                                return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                                     "\"plug-attrs-one-of\" must list strings");
                        if (!(f->plug_one_of[i] = strdup(json_object_get_string(e))))
                                return -ENOMEM;
                        f->n_plug_one_of++;
                }
        }
        if (json_object_object_get_ex(root, "grants", &v)) {
                if (!json_object_is_type(v, json_type_array))
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "\"grants\" must be a list of rules");
                size_t n = json_object_array_length(v);
                if (n && !(f->rules = calloc(n, sizeof(*f->rules))))
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++) {
                        char where[64];
                        snprintf(where, sizeof(where), "grants[%zu]", i);
                        json_object *r = json_object_array_get_idx(v, i);
                        if (!json_object_is_type(r, json_type_object))
                                return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                                     "%s: expected an object", where);
                        f->n_rules++;
                        if ((ret = parse_rule(r, &f->rules[i], where, perr)) < 0)
                                return ret;
                }
        }
        return (f->origin = strdup(origin)) ? 0 : -ENOMEM;
}

static int cmp_iface_name(const void *element, const void *key)
{
        return strcmp((*(struct pb_interface *const *)element)->name, key);
}

static size_t find_index(const struct pb_catalogue *cat, const char *name, bool *found)
{
        return pbp_sorted_index(cat->ifaces, cat->n, sizeof(*cat->ifaces), name, cmp_iface_name,
                                found);
}

int pb_catalogue_add_json(struct pb_catalogue *cat, const char *origin, const char *text,
                          size_t len, struct pb_perror *perr)
{
        _pcleanup_json_ json_object *root = NULL;
        int ret = pbj_parse(text, len, &root, perr);
        if (ret < 0) {
                pb_perror_prefix(perr, "%s", origin);
                return ret;
        }
        struct pb_interface *f = calloc(1, sizeof(*f));
        if (!f)
                return pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
        ret = parse_iface(root, origin, f, perr);
        if (ret < 0) {
                iface_free(f);
                if (ret == -ENOMEM)
                        return pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
                pb_perror_prefix(perr, "%s", origin);
                return ret;
        }
        bool found;
        size_t i = find_index(cat, f->name, &found);
        if (found) {
                iface_free(cat->ifaces[i]);
                cat->ifaces[i] = f;
                return 0;
        }
        if (cat->n == cat->cap) {
                size_t ncap = cat->cap ? cat->cap * 2 : 32;
                void *p = realloc(cat->ifaces, ncap * sizeof(*cat->ifaces));
                if (!p) {
                        iface_free(f);
                        return pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
                }
                cat->ifaces = p;
                cat->cap = ncap;
        }
        memmove(&cat->ifaces[i + 1], &cat->ifaces[i], (cat->n - i) * sizeof(*cat->ifaces));
        cat->ifaces[i] = f;
        cat->n++;
        return 0;
}

const struct pb_interface *pb_catalogue_lookup(const struct pb_catalogue *cat, const char *name)
{
        bool found;
        if (!cat || !name)
                return NULL;
        size_t i = find_index(cat, name, &found);
        return found ? cat->ifaces[i] : NULL;
}

size_t pb_catalogue_count(const struct pb_catalogue *cat)
{
        return cat ? cat->n : 0;
}

const struct pb_interface *pb_catalogue_at(const struct pb_catalogue *cat, size_t i)
{
        return cat && i < cat->n ? cat->ifaces[i] : NULL;
}

const char *pb_interface_name(const struct pb_interface *iface)
{
        return iface->name;
}
const char *pb_interface_summary(const struct pb_interface *iface)
{
        return iface->summary;
}
const char *pb_interface_doc_url(const struct pb_interface *iface)
{
        return iface->doc_url;
}
const char *pb_interface_origin(const struct pb_interface *iface)
{
        return iface->origin;
}
bool pb_interface_implicit_slot(const struct pb_interface *iface)
{
        return iface->implicit_slot;
}
bool pb_interface_auto_connect(const struct pb_interface *iface)
{
        return iface->auto_connect;
}
