/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GET /v2/interfaces and POST /v2/interfaces (connect, disconnect). */
#include "api-util.h"
#include "jsonutil.h"
#include "journal.h"

#include <string.h>

static bool query_true(const struct pb_request *r, const char *key)
{
        const char *v = pb_request_query(r, key);
        return v && strcmp(v, "true") == 0;
}

static char *render_interfaces(const struct pb_model *m, const void *arg, struct pb_perror *perr)
{
        return pb_model_interfaces_text(m, arg, perr);
}

struct pb_response *pb_api_get_interfaces(struct pb_request *r)
{
        struct pb_interfaces_query q = {
            .select = pb_request_query(r, "select"),
            .names = pb_request_query(r, "names"),
            .doc = query_true(r, "doc"),
            .plugs = query_true(r, "plugs"),
            .slots = query_true(r, "slots"),
        };
        _cleanup_free_ char *key =
            pb_strdupf("interfaces\n%s\n%s\n%d%d%d", q.select ? q.select : "\x01",
                       q.names ? q.names : "\x01", q.doc, q.plugs, q.slots);
        if (!key)
                return pb_response_error(500, NULL, NULL, "out of memory");
        return pb_cached_listing(r->broker, key, render_interfaces, &q);
}

struct ref {
        const char *snap;
        const char *name;
};

/* One element of "plugs" or "slots": {"snap":…, "plug"|"slot":…}. */
static bool get_ref(json_object *arr, const char *namekey, struct ref *out, size_t *count)
{
        *count = 0;
        out->snap = "";
        out->name = "";
        if (!arr)
                return true;
        if (!json_object_is_type(arr, json_type_array))
                return false;
        *count = json_object_array_length(arr);
        if (*count == 0)
                return true;
        json_object *o = json_object_array_get_idx(arr, 0);
        if (!json_object_is_type(o, json_type_object))
                return false;
        const char *s = pb_json_str(o, "snap"), *n = pb_json_str(o, namekey);
        out->snap = s ? s : "";
        out->name = n ? n : "";
        return true;
}

/* snapd's checkInstalled: every named snap must be installed. */
static struct pb_response *check_installed(struct pb_broker *b, const char *snap)
{
        if (pb_is_system_snap_name(snap) || pb_model_snap_info(b->model, snap))
                return NULL;
        return pb_response_error(400, NULL, NULL, "snap \"%s\" is not installed", snap);
}

struct denial {
        char msg[512];
};

static int fail_denied(struct pb_broker *b, struct pb_change *c, struct pb_error *err)
{
        struct denial *d = c->data;
        return pb_error_set(err, EPERM, "%s", d->msg);
}

static struct pb_response *do_connect(struct pb_broker *b, const struct ref *plug,
                                      const struct ref *slot)
{
        struct pb_connref ref = {0};
        struct pb_affected aff = {0};
        struct pb_perror perr = {0};
        int r = pb_model_connect(b->model, plug->snap, plug->name, slot->snap, slot->name, &ref,
                                 &aff, &perr);
        char summary[400];
        snprintf(summary, sizeof(summary), "Connect %s:%s to %s:%s", ref.plug_snap, ref.plug,
                 ref.slot_snap, ref.slot);
        struct pb_response *resp;
        if (r == 0) {
                resp = pb_submit_affected(b, "connect-snap",
                                          aff.n_tasks ? aff.tasks[0].summary : summary, "connect",
                                          &aff,
                                          pb_journal_record(b, "connect", ref.plug_snap, ref.plug,
                                                            ref.slot_snap, ref.slot, false));
        } else if (r == PB_ALREADY_CONNECTED) {
                struct pb_change *c = pb_change_new(b, "connect-snap", summary);
                if (!c) {
                        resp = pb_response_error(500, NULL, NULL, "out of memory");
                } else {
                        pb_change_finish_now(c);
                        resp = pb_response_async(c->id);
                }
        } else if (r == -EPERM) {
                /* snapd reports a policy denial as the change's error. */
                struct pb_change *c = pb_change_new(b, "connect-snap", summary);
                struct denial *d = calloc(1, sizeof(*d));
                if (!c || !d || pb_change_add_task(c, "connect", summary) < 0) {
                        free(d);
                        if (c)
                                pb_change_finish_now(c);
                        resp = pb_response_error(500, NULL, NULL, "out of memory");
                } else {
                        snprintf(d->msg, sizeof(d->msg), "%s", perr.msg);
                        c->data = d;
                        c->free_data = free;
                        c->run = fail_denied;
                        pb_change_submit(b, c);
                        resp = pb_response_async(c->id);
                }
        } else {
                resp = pb_response_perror(&perr);
        }
        pb_affected_clear(&aff);
        return resp;
}

static struct pb_response *do_disconnect(struct pb_broker *b, const struct ref *plug,
                                         const struct ref *slot, bool forget)
{
        struct pb_affected aff = {0};
        struct pb_perror perr = {0};
        int r = pb_model_disconnect(b->model, plug->snap, plug->name, slot->snap, slot->name,
                                    forget, &aff, &perr);
        struct pb_response *resp;
        if (r < 0) {
                resp = pb_response_perror(&perr);
        } else {
                char summary[400];
                if (aff.n_tasks == 1)
                        snprintf(summary, sizeof(summary), "%s", aff.tasks[0].summary);
                else if (*plug->name)
                        snprintf(summary, sizeof(summary), "Disconnect %s:%s from %s:%s",
                                 plug->snap, plug->name, *slot->snap ? slot->snap : PB_SYSTEM_SNAP,
                                 slot->name);
                else
                        snprintf(summary, sizeof(summary), "Disconnect %s:%s",
                                 *slot->snap ? slot->snap : PB_SYSTEM_SNAP, slot->name);
                resp = pb_submit_affected(b, "disconnect-snap", summary, "disconnect", &aff,
                                          pb_journal_record(b, "disconnect", plug->snap, plug->name,
                                                            slot->snap, slot->name, forget));
        }
        pb_affected_clear(&aff);
        return resp;
}

struct pb_response *pb_api_post_interfaces(struct pb_request *r)
{
        struct pb_broker *b = r->broker;
        struct pb_response *resp = NULL;
        _cleanup_json_ json_object *body = pb_request_json(r, "an interface action", &resp);
        if (!body)
                return resp;
        const char *action = pb_json_str(body, "action");
        if (!action || !*action)
                return pb_response_error(400, NULL, NULL, "interface action not specified");
        json_object *plugs = NULL, *slots = NULL, *fo = NULL;
        json_object_object_get_ex(body, "plugs", &plugs);
        json_object_object_get_ex(body, "slots", &slots);
        bool forget = json_object_object_get_ex(body, "forget", &fo) &&
                      json_object_is_type(fo, json_type_boolean) && json_object_get_boolean(fo);
        struct ref plug, slot;
        size_t np = 0, ns = 0;
        if (!get_ref(plugs, "plug", &plug, &np) || !get_ref(slots, "slot", &slot, &ns))
                return pb_response_error(400, NULL, NULL,
                                         "cannot decode request body into an interface action: "
                                         "malformed plugs or slots");
        if (np > 1 || ns > 1)
                return pb_response_error(501, NULL, NULL,
                                         "many-to-many operations are not implemented");
        bool is_connect = strcmp(action, "connect") == 0;
        if (!is_connect && strcmp(action, "disconnect") != 0)
                return pb_response_error(400, NULL, NULL, "unsupported interface action: \"%s\"",
                                         action);
        if (np == 0 || ns == 0)
                return pb_response_error(400, NULL, NULL, "at least one plug and slot is required");

        pthread_mutex_lock(&b->lock);
        resp = check_installed(b, plug.snap);
        if (!resp)
                resp = check_installed(b, slot.snap);
        if (!resp)
                resp = is_connect ? do_connect(b, &plug, &slot)
                                  : do_disconnect(b, &plug, &slot, forget);
        pthread_mutex_unlock(&b->lock);
        return resp;
}
