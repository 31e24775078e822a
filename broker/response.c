/* SPDX-License-Identifier: GPL-3.0-or-later */
/* snapd's response envelope (daemon/response.go). */
#include "routes.h"
#include "jsonutil.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct pb_response {
        int status;
        json_object *doc;
        char *text; /* a whole envelope as text, instead of doc */
        size_t len;
};

static const char *status_text(int status)
{
        switch (status) {
        case 200:
                return "OK";
        case 202:
                return "Accepted";
        case 400:
                return "Bad Request";
        case 401:
                return "Unauthorized";
        case 403:
                return "Forbidden";
        case 404:
                return "Not Found";
        case 405:
                return "Method Not Allowed";
        case 409:
                return "Conflict";
        case 413:
                return "Request Entity Too Large";
        case 500:
                return "Internal Server Error";
        case 501:
                return "Not Implemented";
        case 503:
                return "Service Unavailable";
        default:
                return "Error";
        }
}

static struct pb_response *envelope(int status, const char *type, json_object *result)
{
        struct pb_response *resp = calloc(1, sizeof(*resp));
        json_object *doc = json_object_new_object();
        if (!resp || !doc) {
                free(resp);
                json_object_put(doc);
                json_object_put(result);
                return NULL;
        }
        json_object_object_add(doc, "type", json_object_new_string(type));
        json_object_object_add(doc, "status-code", json_object_new_int(status));
        json_object_object_add(doc, "status", json_object_new_string(status_text(status)));
        json_object_object_add(doc, "result", result);
        resp->status = status;
        resp->doc = doc;
        return resp;
}

struct pb_response *pb_response_sync(json_object *result)
{
        return envelope(200, "sync", result);
}

struct pb_response *pb_response_sync_text(const char *result, size_t len)
{
        static const char head[] = "{\"type\":\"sync\",\"status-code\":200,\"status\":\"OK\","
                                   "\"result\":";
        struct pb_response *resp = calloc(1, sizeof(*resp));
        char *text = malloc(sizeof(head) - 1 + len + 2);
        if (!resp || !text) {
                free(resp);
                free(text);
                return NULL;
        }
        memcpy(text, head, sizeof(head) - 1);
        memcpy(text + sizeof(head) - 1, result, len);
        memcpy(text + sizeof(head) - 1 + len, "}", 2);
        resp->status = 200;
        resp->text = text;
        resp->len = sizeof(head) - 1 + len + 1;
        return resp;
}

struct pb_response *pb_response_async(uint64_t change_id)
{
        struct pb_response *resp = envelope(202, "async", NULL);
        if (resp) {
                char id[32];
                snprintf(id, sizeof(id), "%" PRIu64, change_id);
                json_object_object_add(resp->doc, "change", json_object_new_string(id));
        }
        return resp;
}

struct pb_response *pb_response_error(int status, const char *kind, const char *value,
                                      const char *fmt, ...)
{
        char msg[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        json_object *res = json_object_new_object();
        json_object_object_add(res, "message", json_object_new_string(msg));
        if (kind && *kind)
                json_object_object_add(res, "kind", json_object_new_string(kind));
        if (value && *value)
                json_object_object_add(res, "value", json_object_new_string(value));
        return envelope(status, "error", res);
}

void pb_response_free(struct pb_response *resp)
{
        if (!resp)
                return;
        json_object_put(resp->doc);
        free(resp->text);
        free(resp);
}

int pb_response_status(const struct pb_response *resp)
{
        return resp->status;
}

char *pb_response_body(const struct pb_response *resp, size_t *len)
{
        if (resp->text) {
                *len = resp->len;
                return strndup(resp->text, resp->len);
        }
        const char *s = pb_json_text(resp->doc, len);
        return s ? strndup(s, *len) : NULL;
}
