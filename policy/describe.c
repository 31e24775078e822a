/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What an interface grants, in technical terms, as lines of text: the seed
 * thread's question ("what precisely does plugging into X enable?") answered
 * from the same data the grant compiler uses, so it cannot drift.
 */
#include "grants.h"
#include "iface-priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *service_text(int s)
{
        switch (s) {
        case PB_SERVICE_AUDIO_PLAYBACK:
                return "PulseAudio socket through the proxy: playback streams";
        case PB_SERVICE_AUDIO_RECORD:
                return "PulseAudio socket through the proxy: record streams";
        case PB_SERVICE_X11:
                return "X11 display socket through the proxy (untrusted client)";
        case PB_SERVICE_WAYLAND:
                return "the Wayland compositor socket in $XDG_RUNTIME_DIR";
        case PB_SERVICE_NETWORK:
                return "the host network namespace (outgoing connections, name resolution)";
        case PB_SERVICE_NETWORK_BIND:
                return "the host network namespace (bind, listen, accept)";
        default:
                return "";
        }
}

static void cond_text(const struct pb_grant_rule *r, char *buf, size_t size)
{
        buf[0] = '\0';
        for (size_t i = 0; i < r->n_conds; i++) {
                const struct pb_cond *c = &r->conds[i];
                size_t l = strlen(buf);
                const char *side = c->slot_side ? "slot" : "plug";
                if (!c->value)
                        snprintf(buf + l, size - l, " [%s %s attribute \"%s\" is %s]",
                                 i ? "and" : "when", side, c->attr, c->negate ? "absent" : "set");
                else
                        snprintf(buf + l, size - l, " [%s %s attribute %s %s %s]",
                                 i ? "and" : "when", side, c->attr, c->negate ? "is not" : "is",
                                 json_object_to_json_string(c->value));
        }
}

static int rule_line(const struct pb_grant_rule *r, char *buf, size_t size)
{
        char conds[512];
        cond_text(r, conds, sizeof(conds));
        const char *acc = r->access == (PB_ACCESS_READ | PB_ACCESS_WRITE) ? "read-write"
                          : r->access == PB_ACCESS_READ                   ? "read-only"
                                                                          : "denied";
        const char *side = r->slot_side ? " (to the slot's snap)" : "";
        char what[512];
        if (r->for_each)
                snprintf(what, sizeof(what), "each value of %s attribute \"%s\"%s%s",
                         r->for_each_slot ? "slot" : "plug", r->for_each,
                         strcmp(r->pattern, "$ATTR") == 0 ? "" : " in ",
                         strcmp(r->pattern, "$ATTR") == 0 ? "" : r->pattern);
        else if (r->pattern)
                snprintf(what, sizeof(what), "%s", r->pattern);
        switch (r->kind) {
        case PB_RULE_PATH:
                return snprintf(buf, size, "path     %-10s  %s%s%s%s%s%s", acc, what,
                                r->recursive ? " (and everything below)" : "", side, conds,
                                r->note ? " - " : "", r->note ? r->note : "");
        case PB_RULE_DEVICE:
                return snprintf(buf, size, "device   %-10s  %s%s%s%s%s%s", acc,
                                r->for_each ? "" : "/dev/", what, side, conds, r->note ? " - " : "",
                                r->note ? r->note : "");
        case PB_RULE_SERVICE:
                return snprintf(buf, size, "service  %-10s  %s: %s%s%s%s%s", "",
                                pb_service_name(r->service), service_text(r->service), side, conds,
                                r->note ? " - " : "", r->note ? r->note : "");
        }
        return 0;
}

json_object *pb_interface_grant_lines(const struct pb_interface *iface)
{
        json_object *arr = json_object_new_array();
        if (!arr)
                return NULL;
        for (size_t i = 0; i < iface->n_rules; i++) {
                char line[1400];
                rule_line(&iface->rules[i], line, sizeof(line));
                json_object_array_add(arr, json_object_new_string(line));
        }
        if (iface->n_rules == 0)
                json_object_array_add(
                    arr,
                    json_object_new_string("nothing beyond the snap's own files (the service "
                                           "providing the slot decides, e.g. with is-connected)"));
        return arr;
}

char *pb_interface_grants_text(const struct pb_interface *iface)
{
        json_object *arr = pb_interface_grant_lines(iface);
        if (!arr)
                return NULL;
        size_t total = 1;
        for (size_t i = 0; i < json_object_array_length(arr); i++)
                total += strlen(json_object_get_string(json_object_array_get_idx(arr, i))) + 1;
        char *out = malloc(total);
        if (out) {
                out[0] = '\0';
                char *p = out;
                for (size_t i = 0; i < json_object_array_length(arr); i++) {
                        const char *l = json_object_get_string(json_object_array_get_idx(arr, i));
                        size_t n = strlen(l);
                        memcpy(p, l, n);
                        p[n] = '\n';
                        p += n + 1;
                        *p = '\0';
                }
        }
        json_object_put(arr);
        return out;
}
