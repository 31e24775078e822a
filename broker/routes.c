/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "routes.h"

#include <string.h>

/* The API. Reads are open to every local user; mutations need uid 0. */
static const struct pb_route routes[] = {
    {"GET", "/v2/connections", pb_api_get_connections, false},
    {"GET", "/v2/interfaces", pb_api_get_interfaces, false},
    {"POST", "/v2/interfaces", pb_api_post_interfaces, true},
    {"GET", "/v2/changes", pb_api_get_changes, false},
    {"GET", "/v2/changes/*", pb_api_get_change, false},
    {"POST", "/v2/changes/*", pb_api_post_change, true},
    {"GET", "/v2/snaps", pb_api_get_snaps, false},
    {"POST", "/v2/snaps", pb_api_post_snaps, true},
    {"GET", "/v2/snaps/*", pb_api_get_snap, false},
    {"POST", "/v2/snaps/*", pb_api_post_snap, true},
    {"GET", "/v2/system-info", pb_api_get_system_info, false},
    {"GET", "/v2/plugboard/denials", pb_api_get_denials, false},
    {"GET", "/v2/plugboard/connections", pb_api_get_connections_table, false},
    {"POST", "/v2/plugboard/views", pb_api_post_views, true},
    {"DELETE", "/v2/plugboard/views", pb_api_delete_views, true},
};

static bool match(const char *pattern, const char *path, const char **arg)
{
        size_t n = strlen(pattern);
        if (n >= 2 && strcmp(pattern + n - 2, "/*") == 0) {
                if (strncmp(pattern, path, n - 1) != 0)
                        return false;
                const char *rest = path + n - 1;
                if (!*rest || strchr(rest, '/'))
                        return false;
                *arg = rest;
                return true;
        }
        *arg = NULL;
        return strcmp(pattern, path) == 0;
}

const struct pb_route *pb_route_find(const char *method, const char *path, const char **arg,
                                     bool *path_known)
{
        *path_known = false;
        for (size_t i = 0; i < PB_ARRAY_SIZE(routes); i++) {
                const char *a = NULL;
                if (!match(routes[i].path, path, &a))
                        continue;
                *path_known = true;
                if (strcmp(routes[i].method, method) == 0) {
                        *arg = a;
                        return &routes[i];
                }
        }
        return NULL;
}
