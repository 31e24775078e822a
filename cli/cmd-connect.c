/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * plugboard connect SNAP:PLUG [SNAP[:SLOT]] [--no-wait]
 * plugboard disconnect SNAP:PLUG [SNAP:SLOT] [--forget] [--no-wait]
 * (snap's cmd_connect.go, cmd_disconnect.go, interfaces_common.go)
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

struct snap_name {
        char snap[256];
        char name[256];
};

/* SnapAndName: "snap:name", "snap" or ":name". */
static int parse_loose(const char *v, struct snap_name *out)
{
        memset(out, 0, sizeof(*out));
        const char *c1 = strchr(v, ':');
        if (!c1) {
                snprintf(out->snap, sizeof(out->snap), "%s", v);
        } else if (!strchr(c1 + 1, ':')) {
                snprintf(out->snap, sizeof(out->snap), "%.*s", (int)(c1 - v), v);
                snprintf(out->name, sizeof(out->name), "%s", c1 + 1);
                if (!out->name[0]) /* "snap:" must be spelled "snap" */
                        out->snap[0] = '\0';
        }
        if (!out->snap[0] && !out->name[0])
                return pb_fail("invalid value: \"%s\" (want snap:name or snap)", v);
        return 0;
}

/* SnapAndNameStrict: "snap:name" or ":name". */
static int parse_strict(const char *v, struct snap_name *out)
{
        memset(out, 0, sizeof(*out));
        const char *c1 = strchr(v, ':');
        if (!c1 || strchr(c1 + 1, ':') || !c1[1])
                return pb_fail("invalid value: \"%s\" (want snap:name or :name)", v);
        snprintf(out->snap, sizeof(out->snap), "%.*s", (int)(c1 - v), v);
        snprintf(out->name, sizeof(out->name), "%s", c1 + 1);
        return 0;
}

static char *action_body(const char *action, bool forget, const struct snap_name *plug,
                         const struct snap_name *slot)
{
        json_object *o = json_object_new_object();
        json_object_object_add(o, "action", json_object_new_string(action));
        if (forget)
                json_object_object_add(o, "forget", json_object_new_boolean(1));
        json_object *plugs = json_object_new_array(), *p = json_object_new_object();
        json_object_object_add(p, "snap", json_object_new_string(plug->snap));
        json_object_object_add(p, "plug", json_object_new_string(plug->name));
        json_object_array_add(plugs, p);
        json_object *slots = json_object_new_array(), *s = json_object_new_object();
        json_object_object_add(s, "snap", json_object_new_string(slot->snap));
        json_object_object_add(s, "slot", json_object_new_string(slot->name));
        json_object_array_add(slots, s);
        json_object_object_add(o, "plugs", plugs);
        json_object_object_add(o, "slots", slots);
        char *text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
        return text;
}

int pb_cmd_connect(int argc, char **argv)
{
        bool no_wait = false;
        const struct pb_opt opts[] = {{"no-wait", &no_wait}, {NULL, NULL}};
        char **pos = NULL;
        int npos = 0;
        if (pb_parse_args(argc, argv, opts, &pos, &npos) < 0)
                return PB_EXIT_USAGE;
        int rc;
        struct snap_name plug = {0}, slot = {0};
        if (npos < 1) {
                rc = pb_usage_error("the required argument `<snap>:<plug>` was not provided");
        } else if (npos > 2) {
                rc = pb_fail("too many arguments for command");
        } else if (parse_loose(pos[0], &plug) != 0 ||
                   (npos == 2 && parse_loose(pos[1], &slot) != 0)) {
                rc = PB_EXIT_ERR;
        } else {
                /* "connect foo" names the plug foo, of an unnamed snap. */
                if (plug.snap[0] && !plug.name[0]) {
                        memcpy(plug.name, plug.snap, sizeof(plug.name));
                        plug.snap[0] = '\0';
                }
                char *body = action_body("connect", false, &plug, &slot);
                rc = pb_async("POST", "/v2/interfaces", body, no_wait, NULL);
                free(body);
        }
        free(pos);
        return rc;
}

int pb_cmd_disconnect(int argc, char **argv)
{
        bool no_wait = false, forget = false;
        const struct pb_opt opts[] = {{"no-wait", &no_wait}, {"forget", &forget}, {NULL, NULL}};
        char **pos = NULL;
        int npos = 0;
        if (pb_parse_args(argc, argv, opts, &pos, &npos) < 0)
                return PB_EXIT_USAGE;
        int rc;
        struct snap_name offer = {0}, use = {0};
        if (npos < 1) {
                rc = pb_usage_error("the required argument `<snap>:<plug>` was not provided");
        } else if (npos > 2) {
                rc = pb_fail("too many arguments for command");
        } else if (parse_strict(pos[0], &offer) != 0 ||
                   (npos == 2 && parse_strict(pos[1], &use) != 0)) {
                rc = PB_EXIT_ERR;
        } else {
                /* One argument goes in the slot position, the plug left empty. */
                if (npos == 1) {
                        use = offer;
                        memset(&offer, 0, sizeof(offer));
                }
                char *body = action_body("disconnect", forget, &offer, &use);
                /* interfaces-unchanged: snap prints this and succeeds. */
                rc = pb_async_ex("POST", "/v2/interfaces", body, no_wait, NULL,
                                 "No connections to disconnect", NULL);
                free(body);
        }
        free(pos);
        return rc;
}
