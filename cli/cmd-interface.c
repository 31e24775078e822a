/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * plugboard interface [NAME] [--all] [--attrs]  (snap's cmd_interface.go).
 * Beyond snap: with NAME and --attrs, after snap's lines, what the interface
 * grants in technical terms (the "grants" member the broker adds).
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void show_attrs(struct pb_tw *tw, json_object *attrs, const char *indent)
{
        size_t n = (size_t)json_object_object_length(attrs), k = 0;
        const char **names = calloc(n + 1, sizeof(*names));
        json_object_object_foreach(attrs, key, val)
        {
                (void)val;
                names[k++] = key;
        }
        qsort(names, k, sizeof(*names), cmp_str);
        for (size_t i = 0; i < k; i++) {
                json_object *v = json_object_object_get(attrs, names[i]);
                switch (json_object_get_type(v)) {
                case json_type_string:
                        pb_tw_printf(tw, "%s  %s:\t%s\n", indent, names[i],
                                     json_object_get_string(v));
                        break;
                case json_type_boolean:
                        pb_tw_printf(tw, "%s  %s:\t%s\n", indent, names[i],
                                     json_object_get_boolean(v) ? "true" : "false");
                        break;
                case json_type_int:
                case json_type_double:
                        pb_tw_printf(tw, "%s  %s:\t%s\n", indent, names[i],
                                     json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
                        break;
                default: /* nested maps and lists are skipped, as snap does */
                        break;
                }
        }
        free(names);
}

static void show_endpoints(struct pb_tw *tw, json_object *arr, const char *key, const char *iface,
                           bool attrs)
{
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
                json_object *e = json_object_array_get_idx(arr, i), *a = NULL;
                const char *snap = pb_jstr(e, "snap"), *name = pb_jstr(e, key),
                           *label = pb_jstr(e, "label");
                char lp[512] = "";
                if (label && *label)
                        snprintf(lp, sizeof(lp), " (%s)", label);
                if (name && strcmp(name, iface) == 0)
                        pb_tw_printf(tw, "  - %s%s", snap ? snap : "", lp);
                else
                        pb_tw_printf(tw, "  - %s:%s%s", snap ? snap : "", name ? name : "", lp);
                json_object_object_get_ex(e, "attrs", &a);
                if (attrs && a && json_object_is_type(a, json_type_object) &&
                    json_object_object_length(a) > 0) {
                        pb_tw_printf(tw, ":\n");
                        show_attrs(tw, a, "    ");
                } else {
                        pb_tw_printf(tw, "\n");
                }
        }
}

static int show_one(const char *name, bool attrs)
{
        char *q = pb_query_escape(name);
        char path[512];
        snprintf(path, sizeof(path),
                 "/v2/interfaces?doc=true&names=%s&plugs=true&select=all&slots=true", q ? q : "");
        free(q);
        struct pb_reply r;
        int rc = pb_sync("GET", path, NULL, &r);
        if (rc < 0)
                return -rc;
        if (pb_result_len(&r) == 0) {
                pb_reply_clear(&r);
                return pb_fail("no such interface");
        }
        json_object *iface = json_object_array_get_idx(r.result, 0), *v = NULL;
        const char *iname = pb_jstr(iface, "name") ? pb_jstr(iface, "name") : "";
        struct pb_tw *tw = pb_tw_new(2, 1);
        pb_tw_printf(tw, "name:\t%s\n", iname);
        const char *s = pb_jstr(iface, "summary");
        if (s && *s)
                pb_tw_printf(tw, "summary:\t%s\n", s);
        s = pb_jstr(iface, "doc-url");
        if (s && *s)
                pb_tw_printf(tw, "documentation:\t%s\n", s);
        if (json_object_object_get_ex(iface, "plugs", &v) &&
            json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0) {
                pb_tw_printf(tw, "plugs:\n");
                show_endpoints(tw, v, "plug", iname, attrs);
        }
        if (json_object_object_get_ex(iface, "slots", &v) &&
            json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0) {
                pb_tw_printf(tw, "slots:\n");
                show_endpoints(tw, v, "slot", iname, attrs);
        }
        pb_tw_flush(tw, stdout);
        /* Beyond snap: what a connection of this interface grants. */
        if (attrs && json_object_object_get_ex(iface, "grants", &v) &&
            json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0) {
                printf("grants:\n");
                for (size_t i = 0; i < json_object_array_length(v); i++)
                        printf("  - %s\n", json_object_get_string(json_object_array_get_idx(v, i)));
        }
        pb_reply_clear(&r);
        return PB_EXIT_OK;
}

static int show_many(bool all)
{
        struct pb_reply r;
        int rc = pb_sync(
            "GET", all ? "/v2/interfaces?select=all" : "/v2/interfaces?select=connected", NULL, &r);
        if (rc < 0)
                return -rc;
        size_t n = pb_result_len(&r);
        if (n == 0) {
                pb_reply_clear(&r);
                return pb_fail(all ? "no interfaces found" : "no interfaces currently connected");
        }
        struct pb_tw *tw = pb_tw_new(5, 2);
        pb_tw_printf(tw, "Name\tSummary\n");
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(r.result, i);
                const char *nm = pb_jstr(e, "name"), *sm = pb_jstr(e, "summary");
                pb_tw_printf(tw, "%s\t%s\n", nm ? nm : "", sm ? sm : "");
        }
        pb_tw_flush(tw, stdout);
        pb_reply_clear(&r);
        return PB_EXIT_OK;
}

int pb_cmd_interface(int argc, char **argv)
{
        bool all = false, attrs = false;
        const struct pb_opt opts[] = {{"all", &all}, {"attrs", &attrs}, {NULL, NULL}};
        char **pos = NULL;
        int npos = 0;
        if (pb_parse_args(argc, argv, opts, &pos, &npos) < 0)
                return PB_EXIT_USAGE;
        int rc;
        if (npos > 1)
                rc = pb_fail("too many arguments for command");
        else if (npos == 1)
                rc = show_one(pos[0], attrs);
        else
                rc = show_many(all);
        free(pos);
        return rc;
}
