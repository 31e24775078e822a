/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * plugboard connections [--all] [SNAP]  (snap's cmd_connections.go).
 * The broker makes the rows (GET /v2/plugboard/connections: which rows, their
 * cells and their order are policy's, pb_model_connections_table_text); the
 * CLI only lays them out. With 10,000 connections that answer is ~0.6 MB
 * and is read with the allocation-free scanner (jscan.h), its strings
 * decoded in place and handed to the tabwriter without copies.
 */
#include "cli.h"
#include "jscan.h"

#include <stdlib.h>
#include <string.h>

static int render(const struct pb_jdoc *d, char *text, size_t res)
{
        size_t rows = pb_jget(d, res, "rows");
        if (!rows || d->tok[rows].type != PB_J_ARRAY)
                return pb_fail("cannot communicate with server: malformed response");
        if (d->tok[rows].count == 0)
                return PB_EXIT_OK;
        struct pb_tw *tw = pb_tw_new(5, 2);
        pb_tw_printf(tw, "Interface\tPlug\tSlot\tNotes\n");
        for (size_t r = pb_jfirst(d, rows), k = 0; k < d->tok[rows].count;
             k++, r = pb_jnext(d, r)) {
                const char *cells[4];
                size_t c = d->tok[r].type == PB_J_ARRAY && d->tok[r].count == 4 ? r + 1 : 0;
                for (size_t j = 0; j < 4; j++, c = c ? pb_jnext(d, c) : 0)
                        if (!c || !(cells[j] = pb_jstr_inplace(d, text, c))) {
                                pb_tw_free(tw);
                                return pb_fail(
                                    "cannot communicate with server: malformed response");
                        }
                pb_tw_row_ref(tw, cells, 4);
        }
        pb_tw_flush(tw, stdout);
        return PB_EXIT_OK;
}

int pb_cmd_connections(int argc, char **argv)
{
        bool all = false;
        const struct pb_opt opts[] = {{"all", &all}, {NULL, NULL}};
        char **pos = NULL;
        int npos = 0;
        if (pb_parse_args(argc, argv, opts, &pos, &npos) < 0)
                return PB_EXIT_USAGE;
        if (npos > 1) {
                free(pos);
                return pb_fail("too many arguments for command");
        }
        const char *wanted = npos ? pos[0] : "";
        /* The query is snap's GET /v2/connections one; errors name that. */
        char query[512], path[600], shown[600];
        if (*wanted) {
                if (all) {
                        free(pos);
                        return pb_fail("cannot use --all with snap name");
                }
                /* naming a snap implies --all */
                char *q = pb_query_escape(wanted);
                snprintf(query, sizeof(query), "?select=all&snap=%s", q ? q : "");
                free(q);
        } else {
                snprintf(query, sizeof(query), "%s", all ? "?select=all" : "");
        }
        snprintf(path, sizeof(path), "/v2/plugboard/connections%s", query);
        snprintf(shown, sizeof(shown), "/v2/connections%s", query);
        int status = 0, rc;
        char *buf = NULL, *body = NULL;
        size_t len = 0;
        if (pb_request_text("GET", path, shown, &status, &buf, &body, &len) < 0) {
                free(pos);
                return PB_EXIT_ERR;
        }
        struct pb_jdoc d;
        if (pb_jparse(body, len, &d) < 0 || d.tok[0].type != PB_J_OBJECT) {
                rc = pb_fail("cannot communicate with server: malformed response");
        } else {
                char *type = pb_jstrdup(&d, pb_jget(&d, 0, "type"));
                if (type && strcmp(type, "sync") == 0) {
                        rc = render(&d, body, pb_jget(&d, 0, "result"));
                } else {
                        struct pb_reply r = {0};
                        rc = pb_reply_parse_body(body, &r) < 0 ? pb_fail("malformed error response")
                                                               : pb_reply_error(&r);
                        pb_reply_clear(&r);
                }
                free(type);
                pb_jfree(&d);
        }
        free(buf);
        free(pos);
        return rc;
}
