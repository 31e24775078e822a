/* SPDX-License-Identifier: GPL-3.0-or-later */
/* plugboard install PATH [--dangerous] [--no-wait], remove NAME [--purge]
 * [--no-wait], list (snap's cmd_snap_op.go, cmd_list.go) */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char *changed_snap(json_object *chg)
{
        json_object *d = NULL, *names = NULL;
        if (!chg || !json_object_object_get_ex(chg, "data", &d) ||
            !json_object_object_get_ex(d, "snap-names", &names) ||
            !json_object_is_type(names, json_type_array) || json_object_array_length(names) < 1)
                return NULL;
        return json_object_get_string(json_object_array_get_idx(names, 0));
}

int pb_cmd_install(int argc, char **argv)
{
        bool no_wait = false, dangerous = false;
        const struct pb_opt opts[] = {
            {"no-wait", &no_wait}, {"dangerous", &dangerous}, {NULL, NULL}};
        char **pos = NULL;
        int npos = 0;
        if (pb_parse_args(argc, argv, opts, &pos, &npos) < 0)
                return PB_EXIT_USAGE;
        if (npos != 1) {
                free(pos);
                if (npos == 0)
                        return pb_usage_error("the required argument `<snap>` was not provided");
                return pb_fail("only one snap file or directory can be installed at a time");
        }
        /* The broker reads the path itself: make it absolute here. */
        char abs[PATH_MAX];
        if (!realpath(pos[0], abs)) {
                int rc = pb_fail("cannot install \"%s\": %s", pos[0], strerror(errno));
                free(pos);
                return rc;
        }
        free(pos);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "action", json_object_new_string("install"));
        json_object_object_add(o, "path", json_object_new_string(abs));
        json_object_object_add(o, "dangerous", json_object_new_boolean(dangerous));
        char *body = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
        json_object *chg = NULL;
        int rc = pb_async("POST", "/v2/snaps", body, no_wait, &chg);
        free(body);
        const char *name = changed_snap(chg);
        if (rc == PB_EXIT_OK && !no_wait && name) {
                char path[512];
                snprintf(path, sizeof(path), "/v2/snaps/%s", name);
                struct pb_reply r;
                if (pb_sync("GET", path, NULL, &r) == 0) {
                        const char *kind = pb_jstr(chg, "kind");
                        const char *ver = pb_jstr(r.result, "version");
                        printf("%s %s %s\n", name, ver && *ver ? ver : "-",
                               kind && strcmp(kind, "refresh-snap") == 0 ? "refreshed"
                                                                         : "installed");
                        pb_reply_clear(&r);
                }
        }
        if (chg)
                json_object_put(chg);
        return rc;
}

int pb_cmd_remove(int argc, char **argv)
{
        bool no_wait = false, purge = false;
        const struct pb_opt opts[] = {{"no-wait", &no_wait}, {"purge", &purge}, {NULL, NULL}};
        char **pos = NULL;
        int npos = 0;
        if (pb_parse_args(argc, argv, opts, &pos, &npos) < 0)
                return PB_EXIT_USAGE;
        int rc = PB_EXIT_OK;
        if (npos == 0)
                rc = pb_usage_error("the required argument `<snap>` was not provided");
        for (int i = 0; i < npos && rc == PB_EXIT_OK; i++) {
                char *q = pb_query_escape(pos[i]);
                char path[512];
                snprintf(path, sizeof(path), "/v2/snaps/%s", q ? q : "");
                free(q);
                json_object *chg = NULL;
                /* Removing what is not installed is only a note, as in snap. */
                rc = pb_async_ex("POST", path,
                                 purge ? "{\"action\":\"remove\",\"purge\":true}"
                                       : "{\"action\":\"remove\"}",
                                 no_wait, &chg, NULL, "snap-not-installed");
                if (rc == PB_EXIT_OK && !no_wait && chg)
                        printf("%s removed\n", pos[i]);
                if (chg)
                        json_object_put(chg);
        }
        free(pos);
        return rc;
}

int pb_cmd_list(int argc, char **argv)
{
        int rc = pb_parse_no_args(argc, argv);
        if (rc != PB_EXIT_OK)
                return rc;
        struct pb_reply r;
        rc = pb_sync("GET", "/v2/snaps", NULL, &r);
        if (rc < 0)
                return -rc;
        size_t n = pb_result_len(&r);
        if (n == 0) {
                fprintf(stderr, "No snaps are installed yet. Try 'plugboard install PATH'.\n");
                pb_reply_clear(&r);
                return PB_EXIT_OK;
        }
        struct pb_tw *tw = pb_tw_new(5, 2);
        pb_tw_printf(tw, "Name\tVersion\tRev\tTracking\tPublisher\tNotes\n");
        for (size_t i = 0; i < n; i++) {
                json_object *s = json_object_array_get_idx(r.result, i), *rv = NULL;
                const char *name = pb_jstr(s, "name"), *ver = pb_jstr(s, "version"),
                           *type = pb_jstr(s, "type");
                char rev[32] = "-";
                if (json_object_object_get_ex(s, "revision", &rv))
                        snprintf(rev, sizeof(rev), "%s", json_object_get_string(rv));
                const char *notes = type && *type && strcmp(type, "app") != 0 ? type : "-";
                pb_tw_printf(tw, "%s\t%s\t%s\t-\t-\t%s\n", name ? name : "",
                             ver && *ver ? ver : "-", rev, notes);
        }
        pb_tw_flush(tw, stdout);
        pb_reply_clear(&r);
        return PB_EXIT_OK;
}
