/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Local snap declarations (declarations.h). Stored normalised: booleans, not
 * the "true"/"false" strings an assertion's YAML would carry. */
#include "declarations.h"
#include "jsonutil.h"
#include "putil.h"
#include "snap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pb_declarations {
        json_object *by_snap; /* snap name → normalised declaration */
};

struct pb_declarations *pb_declarations_new(void)
{
        struct pb_declarations *d = calloc(1, sizeof(*d));
        if (d && !(d->by_snap = json_object_new_object())) {
                free(d);
                return NULL;
        }
        return d;
}

void pb_declarations_free(struct pb_declarations *d)
{
        if (!d)
                return;
        json_object_put(d->by_snap);
        free(d);
}

static int normalise_side(json_object *in, const char *side, json_object *out,
                          struct pb_perror *perr)
{
        static const char *const keys[] = {"allow-auto-connection", "allow-connection",
                                           "allow-installation", NULL};
        if (!json_object_is_type(in, json_type_object))
                return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                     "\"%s\" must map interface names to rules", side);
        json_object_object_foreach(in, iface, rule)
        {
                char where[128];
                snprintf(where, sizeof(where), "%s.%s", side, iface);
                if (!pb_valid_plug_name(iface))
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: invalid interface name", where);
                if (!json_object_is_type(rule, json_type_object))
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: expected an object", where);
                int ret = pbj_check_keys(rule, keys, where, perr);
                if (ret < 0)
                        return ret;
                json_object *nr = json_object_new_object();
                if (!nr)
                        return -ENOMEM;
                json_object_object_add(out, iface, nr);
                json_object_object_foreach(rule, k, v)
                {
                        bool b;
                        if (json_object_is_type(v, json_type_boolean))
                                b = json_object_get_boolean(v);
                        else if (json_object_is_type(v, json_type_string) &&
                                 (strcmp(json_object_get_string(v), "true") == 0 ||
                                  strcmp(json_object_get_string(v), "false") == 0))
                                b = json_object_get_string(v)[0] == 't';
                        else
                                return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                                     "%s.%s: expected true or false", where, k);
                        json_object_object_add(nr, k, json_object_new_boolean(b));
                }
        }
        return 0;
}

static int normalise(json_object *root, json_object **out, struct pb_perror *perr)
{
        static const char *const keys[] = {"snap-name", "plugs", "slots", NULL};
        if (!json_object_is_type(root, json_type_object))
                return pb_perror_set(perr, EINVAL, 400, NULL, NULL, "expected a JSON object");
        int ret = pbj_check_keys(root, keys, "declaration", perr);
        if (ret < 0)
                return ret;
        json_object *v = NULL;
        if (!json_object_object_get_ex(root, "snap-name", &v) ||
            !json_object_is_type(v, json_type_string))
                return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                     "\"snap-name\" must be given as a string");
        if (!pb_valid_snap_name(json_object_get_string(v)))
                return pb_perror_set(perr, EINVAL, 400, NULL, NULL, "invalid snap name: \"%s\"",
                                     json_object_get_string(v));
        _pcleanup_json_ json_object *n = json_object_new_object();
        if (!n)
                return -ENOMEM;
        json_object_object_add(n, "snap-name", json_object_new_string(json_object_get_string(v)));
        static const char *const sides[] = {"plugs", "slots"};
        for (int i = 0; i < 2; i++) {
                json_object *side = json_object_new_object();
                if (!side)
                        return -ENOMEM;
                json_object_object_add(n, sides[i], side);
                if (json_object_object_get_ex(root, sides[i], &v) &&
                    (ret = normalise_side(v, sides[i], side, perr)) < 0)
                        return ret;
        }
        *out = pstealp(&n);
        return 0;
}

int pb_declarations_add_json(struct pb_declarations *d, const char *origin, const char *text,
                             size_t len, struct pb_perror *perr)
{
        _pcleanup_json_ json_object *root = NULL;
        json_object *n = NULL;
        int ret = pbj_parse(text, len, &root, perr);
        if (ret == 0)
                ret = normalise(root, &n, perr);
        if (ret == -ENOMEM)
                return pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
        if (ret < 0) {
                pb_perror_prefix(perr, "%s", origin);
                return ret;
        }
        json_object *name = NULL;
        json_object_object_get_ex(n, "snap-name", &name);
        json_object_object_add(d->by_snap, json_object_get_string(name), n);
        return 0;
}

json_object *pb_declarations_get(const struct pb_declarations *d, const char *snap)
{
        json_object *v = NULL;
        if (!d || !snap || !json_object_object_get_ex(d->by_snap, snap, &v))
                return NULL;
        return v;
}
