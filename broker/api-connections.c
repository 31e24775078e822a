/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GET /v2/connections */
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

struct pb_response *pb_api_get_connections(struct pb_request *r)
{
        struct connections_query q = {
            .snap = pb_request_query(r, "snap"),
            .iface = pb_request_query(r, "interface"),
            .select = pb_request_query(r, "select"),
        };
        _cleanup_free_ char *key =
            pb_strdupf("connections\n%s\n%s\n%s", q.snap ? q.snap : "\x01",
                       q.iface ? q.iface : "\x01", q.select ? q.select : "\x01");
        if (!key)
                return pb_response_error(500, NULL, NULL, "out of memory");
        return pb_cached_listing(r->broker, key, render_connections, &q);
}
