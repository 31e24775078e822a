/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The API server. libmicrohttpd parses HTTP (a hand-written parser is what a
 * hostile client goes after); we give it our already bound UNIX sockets
 * (MHD_OPTION_LISTEN_SOCKET), one daemon per socket, a thread per connection
 * so a slow client never stalls another, and a hard cap on bodies.
 */
#include "http.h"
#include "routes.h"
#include "common/log.h"

#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define PB_HTTP_MAX_DAEMONS 4

struct pb_http {
        struct pb_broker *b;
        struct MHD_Daemon *d[PB_HTTP_MAX_DAEMONS];
        size_t n;
};

/* Per-request state, kept by MHD between calls of the access handler. */
struct req_ctx {
        char *body;
        size_t len;
        bool too_big;
};

struct query_ctx {
        const char *key;
        const char *value;
};

const char *pb_request_query(const struct pb_request *r, const char *key)
{
        return MHD_lookup_connection_value(r->conn_, MHD_GET_ARGUMENT_KIND, key);
}

const char *pb_request_header(const struct pb_request *r, const char *key)
{
        return MHD_lookup_connection_value(r->conn_, MHD_HEADER_KIND, key);
}

json_object *pb_request_json(const struct pb_request *r, const char *what,
                             struct pb_response **resp)
{
        enum json_tokener_error jerr = json_tokener_success;
        json_object *o = NULL;
        if (r->body_len)
                o = json_tokener_parse_verbose(r->body, &jerr);
        if (!o || !json_object_is_type(o, json_type_object)) {
                const char *why = !r->body_len ? "EOF"
                                  : o          ? "expected a JSON object"
                                               : json_tokener_error_desc(jerr);
                json_object_put(o);
                *resp = pb_response_error(400, NULL, NULL, "cannot decode request body into %s: %s",
                                          what, why);
                return NULL;
        }
        *resp = NULL;
        return o;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct pb_response *resp)
{
        if (!resp)
                resp = pb_response_error(500, NULL, NULL, "out of memory");
        if (!resp)
                return MHD_NO;
        size_t len = 0;
        char *body = pb_response_body(resp, &len);
        int status = pb_response_status(resp);
        pb_response_free(resp);
        if (!body)
                return MHD_NO;
        struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
        if (!r) {
                free(body);
                return MHD_NO;
        }
        MHD_add_response_header(r, "Content-Type", "application/json");
        enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
        MHD_destroy_response(r);
        return ret;
}

static bool peer_cred(struct MHD_Connection *conn, struct ucred *cred, int *fd_out)
{
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!ci)
                return false;
        socklen_t len = sizeof(*cred);
        *fd_out = ci->connect_fd;
        return getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, cred, &len) == 0 &&
               len == sizeof(*cred);
}

static struct pb_response *dispatch(struct pb_http *h, struct MHD_Connection *conn, const char *url,
                                    const char *method, struct req_ctx *ctx)
{
        struct pb_request req = {
            .broker = h->b,
            .method = method,
            .path = url,
            .body = ctx->body ? ctx->body : "",
            .body_len = ctx->len,
            .conn_ = conn,
            .fd = -1,
        };
        if (!peer_cred(conn, &req.cred, &req.fd))
                return pb_response_error(403, NULL, NULL,
                                         "cannot get the credentials of the client");

        bool known = false;
        const struct pb_route *route = pb_route_find(method, url, &req.arg, &known);
        if (!route) {
                if (known)
                        return pb_response_error(405, NULL, NULL, "method \"%s\" not allowed",
                                                 method);
                return pb_response_error(404, NULL, NULL, "not found");
        }
        if (route->needs_root && req.cred.uid != 0)
                return pb_response_error(401, "login-required", NULL, "access denied");
        return route->handler(&req);
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
        struct pb_http *h = cls;
        struct req_ctx *ctx = *con_cls;
        if (!ctx) {
                ctx = calloc(1, sizeof(*ctx));
                if (!ctx)
                        return MHD_NO;
                *con_cls = ctx;
                /* Refuse an announced oversized body before reading it. */
                const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                             MHD_HTTP_HEADER_CONTENT_LENGTH);
                if (cl && strtoull(cl, NULL, 10) > PB_HTTP_MAX_BODY) {
                        ctx->too_big = true;
                        return send_response(
                            conn, pb_response_error(413, NULL, NULL, "request body too large"));
                }
                return MHD_YES;
        }
        if (*upload_data_size) {
                size_t n = *upload_data_size;
                *upload_data_size = 0;
                if (ctx->too_big || ctx->len + n > PB_HTTP_MAX_BODY) {
                        /* Chunked or lying: drop the data, answer at the end. */
                        ctx->too_big = true;
                        free(ctx->body);
                        ctx->body = NULL;
                        ctx->len = 0;
                        return MHD_YES;
                }
                char *nb = realloc(ctx->body, ctx->len + n + 1);
                if (!nb)
                        return MHD_NO;
                memcpy(nb + ctx->len, upload_data, n);
                ctx->body = nb;
                ctx->len += n;
                ctx->body[ctx->len] = '\0';
                return MHD_YES;
        }
        if (ctx->too_big)
                return send_response(conn,
                                     pb_response_error(413, NULL, NULL, "request body too large"));
        return send_response(conn, dispatch(h, conn, url, method, ctx));
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
        struct req_ctx *ctx = *con_cls;
        if (ctx) {
                free(ctx->body);
                free(ctx);
                *con_cls = NULL;
        }
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
        char buf[512];
        vsnprintf(buf, sizeof(buf), fmt, ap);
        size_t n = strlen(buf);
        while (n && buf[n - 1] == '\n')
                buf[--n] = '\0';
        pb_debug("http: %s", buf);
}

int pb_http_start(struct pb_broker *b, const int *fds, size_t n, struct pb_http **out,
                  struct pb_error *err)
{
        if (n > PB_HTTP_MAX_DAEMONS)
                return pb_error_set(err, EINVAL, "too many listening sockets");
        struct pb_http *h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->b = b;
        for (size_t i = 0; i < n; i++) {
                /* MHD_USE_POLL: the default select() cannot take an fd above
                 * FD_SETSIZE (1024), and a broker serving ~50 sandboxes holds
                 * more fds than that (views, control sockets, proxies): every
                 * API connection would then be refused. */
                h->d[i] = MHD_start_daemon(
                    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                        MHD_USE_POLL | MHD_USE_ERROR_LOG,
                    0, NULL, NULL, access_handler, h, MHD_OPTION_LISTEN_SOCKET, fds[i],
                    MHD_OPTION_NOTIFY_COMPLETED, completed, h, MHD_OPTION_CONNECTION_LIMIT,
                    (unsigned)256, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
                    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
                    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
                if (!h->d[i]) {
                        pb_http_stop(h);
                        return pb_error_set(err, EIO, "cannot start the HTTP server on fd %d",
                                            fds[i]);
                }
                h->n = i + 1;
        }
        *out = h;
        return 0;
}

void pb_http_stop(struct pb_http *h)
{
        if (!h)
                return;
        for (size_t i = 0; i < h->n; i++)
                if (h->d[i])
                        MHD_stop_daemon(h->d[i]);
        free(h);
}
