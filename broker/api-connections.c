/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GET /v2/connections */
#include "api-util.h"

#include <stdio.h>
#include <string.h>

struct pb_response *pb_api_get_connections(struct pb_request *r)
{
        struct pb_broker *b = r->broker;
        const char *snap = pb_request_query(r, "snap"), *iface = pb_request_query(r, "interface"),
                   *select = pb_request_query(r, "select");
        _cleanup_free_ char *key = pb_strdupf("connections\n%s\n%s\n%s", snap ? snap : "\x01",
                                              iface ? iface : "\x01", select ? select : "\x01");
        if (!key)
                return pb_response_error(500, NULL, NULL, "out of memory");
        struct pb_perror perr = {0};
        struct pb_response *resp;
        size_t len = 0;
        pthread_mutex_lock(&b->lock);
        const char *cached = pb_cache_get(&b->listings, key, b->model_seq, &len);
        if (cached) {
                resp = pb_response_sync_text(cached, len);
        } else {
                _cleanup_free_ char *text =
                    pb_model_connections_text(b->model, snap, iface, select, &perr);
                if (text) {
                        len = strlen(text);
                        pb_cache_put(&b->listings, key, b->model_seq, text, len);
                        resp = pb_response_sync_text(text, len);
                } else {
                        resp = pb_response_perror(&perr);
                }
        }
        pthread_mutex_unlock(&b->lock);
        return resp;
}
