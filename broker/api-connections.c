/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * GET /v2/connections (snapd's format, for Debian's `snap`) and
 * GET /v2/plugboard/connections (the rows `plugboard connections` prints,
 * made by policy/ so the CLI only lays them out). Both cached.
 */
#include "api-util.h"

#include <stdio.h>
#include <string.h>

struct connections_query {
        const char *snap, *iface, *select;
};

static char *render_connections(const struct pb_model *m, const void *arg, struct pb_perror *perr)
{
        const struct connections_query *q = arg;
        return pb_model_connections_text(m, q->snap, q->iface, q->select, perr);
}

static char *render_table(const struct pb_model *m, const void *arg, struct pb_perror *perr)
{
        const struct connections_query *q = arg;
        return pb_model_connections_table_text(m, q->snap, q->select, perr);
}

static struct pb_response *get(struct pb_request *r, const char *kind, pb_listing_fn render)
{
        struct connections_query q = {
            .snap = pb_request_query(r, "snap"),
            .iface = pb_request_query(r, "interface"),
            .select = pb_request_query(r, "select"),
        };
        _cleanup_free_ char *key =
            pb_strdupf("%s\n%s\n%s\n%s", kind, q.snap ? q.snap : "\x01", q.iface ? q.iface : "\x01",
                       q.select ? q.select : "\x01");
        if (!key)
                return pb_response_error(500, NULL, NULL, "out of memory");
        return pb_cached_listing(r->broker, key, render, &q);
}

struct pb_response *pb_api_get_connections(struct pb_request *r)
{
        return get(r, "connections", render_connections);
}

struct pb_response *pb_api_get_connections_table(struct pb_request *r)
{
        if (pb_request_query(r, "interface"))
                return pb_response_error(400, NULL, NULL,
                                         "unsupported query parameter \"interface\"");
        return get(r, "connections-table", render_table);
}
