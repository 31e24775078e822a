/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GET /v2/changes[?select=all|in-progress|ready], GET and POST /v2/changes/ID */
#include "api-util.h"
#include "jsonutil.h"

#include <string.h>

static bool parse_id(const char *s, uint64_t *id)
{
        if (!s || !*s)
                return false;
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || *end || s[0] == '-' || s[0] == '+')
                return false;
        *id = v;
        return true;
}

struct pb_response *pb_api_get_changes(struct pb_request *r)
{
        struct pb_broker *b = r->broker;
        const char *select = pb_request_query(r, "select");
        /* snapd's default is in-progress; `snap changes` asks for all. */
        if (!select)
                select = "in-progress";
        bool all = strcmp(select, "all") == 0, ready = strcmp(select, "ready") == 0;
        if (!all && !ready && strcmp(select, "in-progress") != 0)
                return pb_response_error(400, NULL, NULL,
                                         "select should be one of: all,in-progress,ready");
        json_object *arr = json_object_new_array();
        pthread_mutex_lock(&b->lock);
        for (struct pb_change *c = b->changes.head; c; c = c->next) {
                if (!all && pb_change_ready(c) != ready)
                        continue;
                json_object_array_add(arr, pb_change_to_json(c));
        }
        pthread_mutex_unlock(&b->lock);
        return pb_response_sync(arr);
}

struct pb_response *pb_api_get_change(struct pb_request *r)
{
        struct pb_broker *b = r->broker;
        uint64_t id = 0;
        struct pb_response *resp;
        pthread_mutex_lock(&b->lock);
        struct pb_change *c = parse_id(r->arg, &id) ? pb_change_find(b, id) : NULL;
        if (c)
                resp = pb_response_sync(pb_change_to_json(c));
        else
                resp =
                    pb_response_error(404, NULL, NULL, "cannot find change with id \"%s\"", r->arg);
        pthread_mutex_unlock(&b->lock);
        return resp;
}

struct pb_response *pb_api_post_change(struct pb_request *r)
{
        struct pb_broker *b = r->broker;
        struct pb_response *resp = NULL;
        _cleanup_json_ json_object *body = pb_request_json(r, "a change action", &resp);
        if (!body)
                return resp;
        const char *action = pb_json_str(body, "action");
        if (!action || strcmp(action, "abort") != 0)
                return pb_response_error(400, NULL, NULL, "change action \"%s\" is unsupported",
                                         action ? action : "");
        uint64_t id = 0;
        pthread_mutex_lock(&b->lock);
        struct pb_change *c = parse_id(r->arg, &id) ? pb_change_find(b, id) : NULL;
        if (!c)
                resp =
                    pb_response_error(404, NULL, NULL, "cannot find change with id \"%s\"", r->arg);
        else if (pb_change_ready(c))
                resp = pb_response_error(400, NULL, NULL,
                                         "cannot abort change %s with nothing pending", r->arg);
        else {
                /* A change whose effect is already made in the model (an
                 * interface action) cannot be undone: it runs to the end and
                 * the answer shows it as it is; a queued one becomes Hold. */
                (void)pb_change_abort(b, c);
                resp = pb_response_sync(pb_change_to_json(c));
        }
        pthread_mutex_unlock(&b->lock);
        return resp;
}
