/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GET /v2/plugboard/denials[?snap=S], GET /v2/system-info */
#include "api-util.h"
#include "pb-config.h"

struct pb_response *pb_api_get_denials(struct pb_request *r)
{
        return pb_response_sync(pb_audit_to_json(&r->broker->audit, pb_request_query(r, "snap")));
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
