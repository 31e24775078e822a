/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GET /v2/connections */
#include "api-util.h"

struct pb_response *pb_api_get_connections(struct pb_request *r)
{
        struct pb_broker *b = r->broker;
        struct pb_perror perr = {0};
        pthread_mutex_lock(&b->lock);
        json_object *res = pb_model_connections_json(b->model, pb_request_query(r, "snap"),
                                                     pb_request_query(r, "interface"),
                                                     pb_request_query(r, "select"), &perr);
        pthread_mutex_unlock(&b->lock);
        if (!res)
                return pb_response_perror(&perr);
        return pb_response_sync(res);
}
