/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GET /v2/plugboard/denials[?snap=S], GET /v2/system-info */
#include "api-util.h"
#include "jsonutil.h"
#include "pb-config.h"

#include <string.h>

/* Enforcement points name the plug (or slot) that would grant the access;
 * say which interface that is ("interface", and "plug" when the names
 * differ). Done here, at read time, because the audit ring is a leaf lock that
 * must not take the state lock. */
static void name_interface(struct pb_broker *b, json_object *d)
{
        const char *snap = pb_json_str(d, "snap"), *name = pb_json_str(d, "interface");
        if (!snap || !name || !*name)
                return;
        const struct pb_snap_info *info = pb_model_snap_info(b->model, snap);
        const struct pb_snap_endpoint *e = info ? pb_snap_info_plug(info, name) : NULL;
        if (!e && info)
                e = pb_snap_info_slot(info, name);
        if (!e || strcmp(e->interface, name) == 0)
                return;
        json_object_object_add(d, "plug", json_object_new_string(name));
        json_object_object_add(d, "interface", json_object_new_string(e->interface));
}

struct pb_response *pb_api_get_denials(struct pb_request *r)
{
        struct pb_broker *b = r->broker;
        json_object *arr = pb_audit_to_json(&b->audit, pb_request_query(r, "snap"));
        pthread_mutex_lock(&b->lock);
        for (size_t i = 0; i < json_object_array_length(arr); i++)
                name_interface(b, json_object_array_get_idx(arr, i));
        pthread_mutex_unlock(&b->lock);
        return pb_response_sync(arr);
}

struct pb_response *pb_api_get_system_info(struct pb_request *r)
{
        json_object *o = json_object_new_object();
        json_object_object_add(o, "series", json_object_new_string("16"));
        json_object_object_add(o, "version", json_object_new_string(PB_VERSION));
        json_object_object_add(o, "on-classic", json_object_new_boolean(1));
        json_object_object_add(o, "managed", json_object_new_boolean(0));
        json_object *os = json_object_new_object();
        json_object_object_add(os, "id", json_object_new_string("plugboard"));
        json_object_object_add(o, "os-release", os);
        json_object_object_add(o, "confinement", json_object_new_string("strict"));
        return pb_response_sync(o);
}
