/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The per-sandbox control socket server (control.h). libmicrohttpd parses
 * HTTP (no hand-written parser facing the sandbox); one MHD daemon with its
 * own polling thread per sandbox instance. Long polls (plugctl wait) are
 * suspended connections, resumed by pb_control_publish.
 *
 * Lock order: the broker calls pb_control_publish with its locks held; we
 * take only c->lock (a leaf) and never call back into the broker.
 */
#include "control.h"

#include <json-c/json.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define BODY_MAX    (64u * 1024)
#define MAX_WAITERS 16

struct waiter {
        struct MHD_Connection *conn;
        bool suspended;
};

struct pb_control {
        struct MHD_Daemon *mhd;
        int fd;
        char *path;
        char *snap;
        pb_control_peer_fn peer;
        void *peer_ctx;
        pthread_mutex_t lock; /* grants, waiters */
        struct pb_grants *grants;
        bool stopping;
        struct waiter waiters[MAX_WAITERS];
};

struct req {
        char *body;
        size_t len;
        bool too_large;
        int waiter; /* index in waiters, -1 */
};

static struct pb_grants *current(struct pb_control *c)
{
        pthread_mutex_lock(&c->lock);
        struct pb_grants *g = pb_grants_ref(c->grants);
        pthread_mutex_unlock(&c->lock);
        return g;
}

static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, json_object *o)
{
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(strlen(s), (void *)s, MHD_RESPMEM_MUST_COPY);
        json_object_put(o);
        if (!resp)
                return MHD_NO;
        MHD_add_response_header(resp, "Content-Type", "application/json");
        enum MHD_Result r = MHD_queue_response(conn, status, resp);
        MHD_destroy_response(resp);
        return r;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status, const char *message,
                                  const char *kind)
{
        json_object *o = json_object_new_object(), *res = json_object_new_object();
        json_object_object_add(res, "message", json_object_new_string(message));
        if (kind)
                json_object_object_add(res, "kind", json_object_new_string(kind));
        json_object_object_add(o, "type", json_object_new_string("error"));
        json_object_object_add(o, "status-code", json_object_new_int((int)status));
        json_object_object_add(o, "status",
                               json_object_new_string(status == 400   ? "Bad Request"
                                                      : status == 404 ? "Not Found"
                                                      : status == 405 ? "Method Not Allowed"
                                                      : status == 413 ? "Request Entity Too Large"
                                                      : status == 429 ? "Too Many Requests"
                                                      : status == 503 ? "Service Unavailable"
                                                                      : "Internal Server Error"));
        json_object_object_add(o, "result", res);
        return send_json(conn, status, o);
}

static json_object *sync_envelope(json_object *result)
{
        json_object *o = json_object_new_object();
        json_object_object_add(o, "type", json_object_new_string("sync"));
        json_object_object_add(o, "status-code", json_object_new_int(200));
        json_object_object_add(o, "status", json_object_new_string("OK"));
        json_object_object_add(o, "result", result);
        return o;
}

static enum MHD_Result handle_snapctl(struct pb_control *c, struct MHD_Connection *conn,
                                      struct req *rq)
{
        if (rq->too_large)
                return send_error(conn, 413, "request body too large", NULL);
        json_tokener *tok = json_tokener_new_ex(16);
        json_object *o =
            tok ? json_tokener_parse_ex(tok, rq->body ? rq->body : "", (int)rq->len) : NULL;
        bool complete = tok && json_tokener_get_error(tok) == json_tokener_success &&
                        json_tokener_get_parse_end(tok) == rq->len;
        json_tokener_free(tok);
        json_object *args = NULL;
        if (!o || !complete || !json_object_is_type(o, json_type_object) ||
            !json_object_object_get_ex(o, "args", &args) ||
            !json_object_is_type(args, json_type_array) || json_object_array_length(args) > 64) {
                json_object_put(o);
                return send_error(conn, 400, "cannot decode request body into snapctl options",
                                  NULL);
        }
        /* "context-id" is ignored on purpose: the socket is the identity. */
        size_t n = json_object_array_length(args);
        char *argv[65] = {0};
        for (size_t i = 0; i < n; i++) {
                json_object *a = json_object_array_get_idx(args, i);
                if (!json_object_is_type(a, json_type_string)) {
                        json_object_put(o);
                        return send_error(conn, 400,
                                          "cannot decode request body into snapctl options", NULL);
                }
                argv[i] = (char *)json_object_get_string(a);
        }
        struct pb_grants *g = current(c);
        struct pb_snapctl_result r;
        int code = pb_snapctl_run(g, argv, n, c->peer, c->peer_ctx, &r);
        pb_grants_unref(g);
        json_object_put(o);
        if (code < 0) {
                char msg[320];
                snprintf(msg, sizeof(msg), "error running snapctl: %s", r.err);
                free(r.out);
                return send_error(conn, 400, msg, NULL);
        }
        json_object *out = json_object_new_object();
        json_object_object_add(out, "stdout", json_object_new_string(r.out ? r.out : ""));
        json_object_object_add(out, "stderr", json_object_new_string(""));
        free(r.out);
        if (code == 0)
                return send_json(conn, 200, sync_envelope(out));
        /* snapd: HTTP 200, type error, kind "unsuccessful", value with the code */
        json_object_object_add(out, "exit-code", json_object_new_int(code));
        json_object *env = json_object_new_object(), *res = json_object_new_object();
        char msg[64];
        snprintf(msg, sizeof(msg), "unsuccessful with exit code: %d", code);
        json_object_object_add(res, "message", json_object_new_string(msg));
        json_object_object_add(res, "kind", json_object_new_string("unsuccessful"));
        json_object_object_add(res, "value", out);
        json_object_object_add(env, "type", json_object_new_string("error"));
        json_object_object_add(env, "status-code", json_object_new_int(200));
        json_object_object_add(env, "status", json_object_new_string("OK"));
        json_object_object_add(env, "result", res);
        return send_json(conn, 200, env);
}

/* GET /v2/plugboard/wait?name=N: answers once N is connected. */
static enum MHD_Result handle_wait(struct pb_control *c, struct MHD_Connection *conn,
                                   struct req *rq)
{
        const char *name = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "name");
        if (!name || !*name)
                return send_error(conn, 400, "missing name", NULL);
        pthread_mutex_lock(&c->lock);
        const struct pb_grants_endpoint *e = pb_grants_find_endpoint(c->grants, name);
        bool known = e != NULL, connected = e && e->connected;
        if (c->stopping) {
                if (rq->waiter >= 0)
                        c->waiters[rq->waiter].conn = NULL;
                rq->waiter = -1;
                pthread_mutex_unlock(&c->lock);
                return send_error(conn, 503, "the sandbox is stopping", NULL);
        }
        if (rq->waiter >= 0) {
                c->waiters[rq->waiter].suspended = false;
                if (connected || !known) {
                        c->waiters[rq->waiter].conn = NULL;
                        rq->waiter = -1;
                }
        }
        if (known && !connected) {
                int slot = rq->waiter;
                for (int i = 0; slot < 0 && i < MAX_WAITERS; i++)
                        if (!c->waiters[i].conn)
                                slot = i;
                if (slot < 0) {
                        pthread_mutex_unlock(&c->lock);
                        return send_error(conn, 429, "too many waiters", NULL);
                }
                rq->waiter = slot;
                c->waiters[slot] = (struct waiter){.conn = conn, .suspended = true};
                MHD_suspend_connection(conn);
                pthread_mutex_unlock(&c->lock);
                return MHD_YES;
        }
        const char *snap = c->snap;
        pthread_mutex_unlock(&c->lock);
        if (!known) {
                char msg[200];
                snprintf(msg, sizeof(msg), "snap \"%s\" has no plug or slot named \"%.64s\"", snap,
                         name);
                return send_error(conn, 404, msg, NULL);
        }
        json_object *res = json_object_new_object();
        json_object_object_add(res, "connected", json_object_new_boolean(true));
        return send_json(conn, 200, sync_envelope(res));
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
        struct pb_control *c = cls;
        struct req *rq = *con_cls;
        if (!rq) {
                rq = calloc(1, sizeof(*rq));
                if (!rq)
                        return MHD_NO;
                rq->waiter = -1;
                *con_cls = rq;
                return MHD_YES;
        }
        if (*upload_size) {
                if (rq->len + *upload_size > BODY_MAX) {
                        rq->too_large = true;
                } else {
                        char *b = realloc(rq->body, rq->len + *upload_size + 1);
                        if (!b)
                                return MHD_NO;
                        memcpy(b + rq->len, upload, *upload_size);
                        rq->body = b;
                        rq->len += *upload_size;
                        b[rq->len] = '\0';
                }
                *upload_size = 0;
                return MHD_YES;
        }
        if (strcmp(url, "/v2/snapctl") == 0) {
                if (strcmp(method, "POST") != 0)
                        return send_error(conn, 405, "method not allowed", NULL);
                return handle_snapctl(c, conn, rq);
        }
        if (strcmp(url, "/v2/plugboard/wait") == 0) {
                if (strcmp(method, "GET") != 0)
                        return send_error(conn, 405, "method not allowed", NULL);
                return handle_wait(c, conn, rq);
        }
        return send_error(conn, 404, "not found", NULL);
}

static void completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
        struct pb_control *c = cls;
        struct req *rq = *con_cls;
        if (!rq)
                return;
        if (rq->waiter >= 0) {
                pthread_mutex_lock(&c->lock);
                c->waiters[rq->waiter].conn = NULL;
                pthread_mutex_unlock(&c->lock);
        }
        free(rq->body);
        free(rq);
        *con_cls = NULL;
}

static int bind_socket(const struct pb_control_config *cfg, struct pb_error *err)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(cfg->path) >= sizeof(sa.sun_path))
                return pb_error_set(err, ENAMETOOLONG, "control socket path too long");
        strcpy(sa.sun_path, cfg->path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return pb_error_set(err, errno, "socket: %m");
        unlink(cfg->path);
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            chown(cfg->path, cfg->uid, cfg->gid) < 0 || chmod(cfg->path, 0600) < 0 ||
            listen(fd, 16) < 0) {
                int e = errno;
                close(fd);
                unlink(cfg->path);
                return pb_error_set(err, e, "cannot set up the control socket %s: %s", cfg->path,
                                    strerror(e));
        }
        return fd;
}

int pb_control_start(const struct pb_control_config *cfg, struct pb_control **out,
                     struct pb_error *err)
{
        struct pb_control *c = calloc(1, sizeof(*c));
        if (!c || !(c->path = strdup(cfg->path)) || !(c->snap = strdup(cfg->snap))) {
                if (c)
                        free(c->path);
                free(c);
                return pb_error_set(err, ENOMEM, "out of memory");
        }
        pthread_mutex_init(&c->lock, NULL);
        c->grants = pb_grants_ref(cfg->grants);
        c->peer = cfg->peer;
        c->peer_ctx = cfg->peer_ctx;
        c->fd = bind_socket(cfg, err);
        if (c->fd < 0) {
                int r = c->fd;
                c->fd = -1;
                pb_control_stop(c);
                return r;
        }
        c->mhd = MHD_start_daemon(
            MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL,
            NULL, access_cb, c, MHD_OPTION_LISTEN_SOCKET, c->fd, MHD_OPTION_NOTIFY_COMPLETED,
            completed_cb, c, MHD_OPTION_CONNECTION_LIMIT, (unsigned)32,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024), MHD_OPTION_CONNECTION_TIMEOUT,
            (unsigned)30, MHD_OPTION_END);
        if (!c->mhd) {
                pb_control_stop(c);
                return pb_error_set(err, EIO, "cannot start the control socket server");
        }
        c->fd = -1; /* MHD owns and closes the listening socket now */
        *out = c;
        return 0;
}

void pb_control_publish(struct pb_control *c, struct pb_grants *g)
{
        pthread_mutex_lock(&c->lock);
        struct pb_grants *old = c->grants;
        c->grants = pb_grants_ref(g);
        for (int i = 0; i < MAX_WAITERS; i++) {
                if (c->waiters[i].conn && c->waiters[i].suspended) {
                        c->waiters[i].suspended = false;
                        MHD_resume_connection(c->waiters[i].conn);
                }
        }
        pthread_mutex_unlock(&c->lock);
        pb_grants_unref(old);
}

void pb_control_stop(struct pb_control *c)
{
        if (!c)
                return;
        if (c->mhd) {
                /* Resume the suspended ones so MHD can close them. */
                pthread_mutex_lock(&c->lock);
                c->stopping = true;
                for (int i = 0; i < MAX_WAITERS; i++)
                        if (c->waiters[i].conn && c->waiters[i].suspended) {
                                c->waiters[i].suspended = false;
                                MHD_resume_connection(c->waiters[i].conn);
                        }
                pthread_mutex_unlock(&c->lock);
                MHD_stop_daemon(c->mhd);
        }
        if (c->fd >= 0)
                close(c->fd);
        if (c->path)
                unlink(c->path);
        if (c->grants)
                pb_grants_unref(c->grants);
        pthread_mutex_destroy(&c->lock);
        free(c->path);
        free(c->snap);
        free(c);
}
