/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * POST   /v2/plugboard/views {"snap": S, "user": UID}
 * DELETE /v2/plugboard/views?snap=S&user=UID
 *
 * A snap's FUSE views for a user without running it (issue 3: views are
 * created when a snap is first run "or a test asks the broker"). POST makes
 * the same view set a first `plugboard run` makes (sandbox-views.c), held by
 * the API until DELETE; the views follow every connect and disconnect like a
 * run's. DELETE drops the API's hold: the set is unmounted at once unless a
 * sandbox still uses it (then when its last sandbox exits, as usual). Root
 * only (routes.c): mounting views for any user is a privileged act.
 */
#include "api-util.h"
#include "jsonutil.h"
#include "policy/snap.h"
#include "sandbox-views.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The uid in `s` (decimal, all of it), or -1. */
static long long parse_uid(const char *s)
{
        if (!s || !*s || strlen(s) > 10)
                return -1;
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        return errno || *end || v < 0 || v >= (long long)UINT32_MAX ? -1 : v;
}

static struct pb_response *bad_snap_or_user(void)
{
        return pb_response_error(400, NULL, NULL,
                                 "need \"snap\" (a snap name) and \"user\" (a uid)");
}

static struct pb_response *pin_error(int r, const struct pb_error *err)
{
        if (r == -ENOENT)
                return pb_response_error(404, "snap-not-found", NULL, "%s", err->msg);
        if (r == -ESRCH || r == -EINVAL)
                return pb_response_error(400, NULL, NULL, "%s", err->msg);
        return pb_response_error(500, NULL, NULL, "cannot create the views: %s", err->msg);
}

struct pb_response *pb_api_post_views(struct pb_request *r)
{
        struct pb_response *resp = NULL;
        _cleanup_json_ json_object *body = pb_request_json(r, "a views request", &resp);
        if (!body)
                return resp;
        const char *snap = pb_json_str(body, "snap");
        json_object *u = NULL;
        if (!snap || !pb_valid_snap_name(snap) || !json_object_object_get_ex(body, "user", &u) ||
            !json_object_is_type(u, json_type_int) || json_object_get_int64(u) < 0 ||
            json_object_get_int64(u) >= (int64_t)UINT32_MAX)
                return bad_snap_or_user();
        uid_t uid = (uid_t)json_object_get_int64(u);
        struct pb_view_sets *vs = pb_broker_views_get(r->broker);
        if (!vs)
                return pb_response_error(503, NULL, NULL, "this daemon serves no FUSE views");
        char *paths[PB_VSLOT__COUNT] = {0};
        struct pb_error err = {0};
        int rc = pb_view_set_pin(vs, snap, uid, paths, &err);
        pb_broker_views_put(r->broker);
        if (rc < 0)
                return pin_error(rc, &err);
        json_object *views = json_object_new_object();
        for (int i = 0; i < PB_VSLOT__COUNT; i++) {
                if (paths[i])
                        json_object_object_add(views, pb_view_slot_name(i),
                                               json_object_new_string(paths[i]));
                free(paths[i]);
        }
        json_object *o = json_object_new_object();
        json_object_object_add(o, "snap", json_object_new_string(snap));
        json_object_object_add(o, "user", json_object_new_int64(uid));
        json_object_object_add(o, "views", views);
        return pb_response_sync(o);
}

struct pb_response *pb_api_delete_views(struct pb_request *r)
{
        const char *snap = pb_request_query(r, "snap");
        long long uid = parse_uid(pb_request_query(r, "user"));
        if (!snap || !pb_valid_snap_name(snap) || uid < 0)
                return bad_snap_or_user();
        struct pb_view_sets *vs = pb_broker_views_get(r->broker);
        if (!vs)
                return pb_response_error(503, NULL, NULL, "this daemon serves no FUSE views");
        int rc = pb_view_set_unpin(vs, snap, (uid_t)uid);
        pb_broker_views_put(r->broker);
        if (rc < 0)
                return pb_response_error(404, NULL, NULL,
                                         "no views of snap \"%s\" for uid %lld were asked for",
                                         snap, uid);
        return pb_response_sync(NULL);
}
