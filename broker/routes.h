/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The API's routes, as a table (broker/routes.c): path, method, handler, and
 * whether the caller must be root. To add a route, add one line to the table
 * in routes.c and write the handler in your own file, declared below.
 *
 * A handler runs in one of libmicrohttpd's connection threads, without any
 * broker lock held; it takes b->lock itself if it touches the model. It must
 * not block for long (a change is queued, not waited for).
 */
#pragma once

#include "broker.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct pb_request {
        struct pb_broker *broker;
        const char *method;
        const char *path;
        /* For a route whose path ends in a "*" segment: that segment. */
        const char *arg;
        /* The body (NUL-terminated, at most PB_HTTP_MAX_BODY bytes). */
        const char *body;
        size_t body_len;
        /* Who is calling (SO_PEERCRED of the connection; trust this, never
         * anything the client says about itself). */
        struct ucred cred;
        int fd; /* the connection's socket */
        void *conn_;
};

/* A response: status and a JSON document. Build one with the helpers. */
struct pb_response;

/* A query parameter, or NULL. */
const char *pb_request_query(const struct pb_request *r, const char *key);
/* A request header, or NULL. */
const char *pb_request_header(const struct pb_request *r, const char *key);
/* The body parsed as a JSON object, or NULL (*resp then holds the error
 * response snapd gives: "cannot decode request body into <what>: ..."). */
json_object *pb_request_json(const struct pb_request *r, const char *what,
                             struct pb_response **resp);

/* 200 {"type":"sync",...,"result":result}; takes ownership of result (NULL
 * means JSON null). */
struct pb_response *pb_response_sync(json_object *result);
/* The same around a result already serialised as JSON text (copied). */
struct pb_response *pb_response_sync_text(const char *result, size_t len);
/* 202 {"type":"async",...,"change":"ID"} */
struct pb_response *pb_response_async(uint64_t change_id);
/* {"type":"error","status-code":status,"result":{"message","kind","value"}};
 * kind may be NULL; value (a string) may be NULL. */
struct pb_response *pb_response_error(int status, const char *kind, const char *value,
                                      const char *fmt, ...) PB_PRINTF(4, 5);
void pb_response_free(struct pb_response *resp);
/* For the HTTP layer. */
int pb_response_status(const struct pb_response *resp);
char *pb_response_body(const struct pb_response *resp, size_t *len);

typedef struct pb_response *(*pb_route_handler)(struct pb_request *r);

struct pb_route {
        const char *method;
        const char *path; /* exact, or ending in a "*" segment (matches one segment) */
        pb_route_handler handler;
        bool needs_root;
};

/* Find the route. *method_ok false when the path exists with another method. */
const struct pb_route *pb_route_find(const char *method, const char *path, const char **arg,
                                     bool *path_known);

/* ---- handlers (one file per concern) ---- */
/* api-views.c: POST/DELETE /v2/plugboard/views (a snap's FUSE views for a
 * user without a run, e.g. for tests) */
struct pb_response *pb_api_post_views(struct pb_request *r);
struct pb_response *pb_api_delete_views(struct pb_request *r);
/* api-connections.c */
struct pb_response *pb_api_get_connections(struct pb_request *r);
struct pb_response *pb_api_get_connections_table(struct pb_request *r);
/* api-interfaces.c */
struct pb_response *pb_api_get_interfaces(struct pb_request *r);
struct pb_response *pb_api_post_interfaces(struct pb_request *r);
/* api-changes.c */
struct pb_response *pb_api_get_changes(struct pb_request *r);
struct pb_response *pb_api_get_change(struct pb_request *r);
struct pb_response *pb_api_post_change(struct pb_request *r);
/* api-snaps.c */
struct pb_response *pb_api_get_snaps(struct pb_request *r);
struct pb_response *pb_api_post_snaps(struct pb_request *r);
struct pb_response *pb_api_get_snap(struct pb_request *r);
struct pb_response *pb_api_post_snap(struct pb_request *r);
/* api-misc.c */
struct pb_response *pb_api_get_denials(struct pb_request *r);
struct pb_response *pb_api_get_system_info(struct pb_request *r);
