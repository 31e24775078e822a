/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "jsonutil.h"

#include <errno.h>
#include <string.h>

int pbj_parse(const char *text, size_t len, json_object **out, struct pb_perror *perr)
{
        *out = NULL;
        if (len > (size_t)INT32_MAX)
                return pb_perror_set(perr, EINVAL, 400, NULL, NULL, "document too large");
        json_tokener *tok = json_tokener_new();
        if (!tok)
                return pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
        json_object *o = json_tokener_parse_ex(tok, text, (int)len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        size_t off = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        if (!o || jerr != json_tokener_success) {
                if (o)
                        json_object_put(o);
                if (jerr == json_tokener_continue)
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "invalid JSON: unexpected end of input");
                return pb_perror_set(perr, EINVAL, 400, NULL, NULL, "invalid JSON at byte %zu: %s",
                                     off, json_tokener_error_desc(jerr));
        }
        for (size_t i = off; i < len; i++) {
                if (!strchr(" \t\r\n", text[i])) {
                        json_object_put(o);
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "invalid JSON at byte %zu: trailing data", i);
                }
        }
        *out = o;
        return 0;
}

int pbj_check_keys(json_object *o, const char *const *keys, const char *where,
                   struct pb_perror *perr)
{
        json_object_object_foreach(o, key, val)
        {
                (void)val;
                bool ok = false;
                for (const char *const *k = keys; *k; k++)
                        if (strcmp(*k, key) == 0)
                                ok = true;
                if (!ok)
                        return pb_perror_set(perr, EINVAL, 400, NULL, NULL,
                                             "%s: unknown key \"%s\"", where, key);
        }
        return 0;
}

void pbj_add(json_object *o, const char *key, json_object *val)
{
        if (val)
                json_object_object_add(o, key, val);
}

json_object *pbj_copy(json_object *o)
{
        json_object *c = NULL;
        if (!o)
                return NULL;
        if (json_object_deep_copy(o, &c, NULL) < 0)
                return NULL;
        return c;
}

bool pbj_empty(json_object *o)
{
        return !o ||
               (json_object_is_type(o, json_type_object) && json_object_object_length(o) == 0);
}
