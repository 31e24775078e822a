/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The CLI's side of the API: HTTP/1.1 over the broker's UNIX socket. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#define PB_DEFAULT_SOCKET "/run/plugboard/plugboard.socket"

struct pb_reply {
        int http_status;
        json_object *doc;    /* the whole envelope (owned) */
        const char *type;    /* "sync", "async", "error" */
        json_object *result; /* borrowed from doc */
        const char *change;  /* async: the change id */
        /* type "error": */
        const char *message;
        const char *kind;
        const char *value; /* when the value is a string */
};

void pb_reply_clear(struct pb_reply *r);

/* Send one request. Returns 0 with *out filled (any HTTP status), or a
 * negative errno when the broker cannot be reached or answers garbage
 * (a message is printed to stderr in that case). */
int pb_request(const char *method, const char *path, const char *body, struct pb_reply *out);

/* The same without decoding JSON (for big listings): *buf (free it) holds
 * the response, *body points into it (writable). shown: the path to name in
 * a "cannot communicate" error instead of path (NULL: path), so that a
 * command served by a Plugboard route still fails with snap's words. */
int pb_request_text(const char *method, const char *path, const char *shown, int *status,
                    char **buf, char **body, size_t *body_len);

/* Decode a response body (the envelope) into *out (http_status untouched). */
int pb_reply_parse_body(const char *body, struct pb_reply *out);

/* The socket path (PLUGBOARD_SOCKET or the default). */
const char *pb_socket_path(void);
