/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "unix-socket.h"
#include "client.h"
#include "common/pb-util.h"
#include "pb-config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

/* A listing of 10,000 connections is a few MiB; anything beyond this is not
 * our broker. */
#define PB_MAX_REPLY (256u << 20)

const char *pb_socket_path(void)
{
        const char *s = getenv("PLUGBOARD_SOCKET");
        return s && *s ? s : PB_DEFAULT_SOCKET;
}

void pb_reply_clear(struct pb_reply *r)
{
        if (r->doc)
                json_object_put(r->doc);
        memset(r, 0, sizeof(*r));
}

static int dial(void)
{
        const char *path = pb_socket_path();
        int fd = pb_unix_connect(path);
        if (fd == -ENAMETOOLONG)
                fprintf(stderr, "error: socket path too long: %s\n", path);
        return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
        while (n) {
                ssize_t k = write(fd, p, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                p += k;
                n -= (size_t)k;
        }
        return 0;
}

/* Decode a chunked body in place; returns the new length or -1. */
static long dechunk(char *buf, size_t len)
{
        size_t in = 0, out = 0;
        for (;;) {
                char *end = NULL;
                if (in >= len)
                        return -1;
                unsigned long n = strtoul(buf + in, &end, 16);
                char *eol = strstr(buf + in, "\r\n");
                if (!eol || end == buf + in)
                        return -1;
                in = (size_t)(eol - buf) + 2;
                if (n == 0)
                        return (long)out;
                if (in + n > len)
                        return -1;
                memmove(buf + out, buf + in, n);
                out += n;
                in += n + 2;
        }
}

/* Split an HTTP response in place: status and the (de-chunked) body. */
static int http_body(char *raw, size_t len, int *status, char **body_out, size_t *body_len_out)
{
        char *hdr_end = strstr(raw, "\r\n\r\n");
        if (!hdr_end || strncmp(raw, "HTTP/1.", 7) != 0)
                return -EBADMSG;
        *hdr_end = '\0';
        char *body = hdr_end + 4;
        size_t body_len = len - (size_t)(body - raw);
        *status = atoi(raw + 9);
        bool chunked = false;
        for (char *line = strstr(raw, "\r\n"); line; line = strstr(line, "\r\n")) {
                line += 2;
                if (strncasecmp(line, "Transfer-Encoding:", 18) == 0 && strstr(line, "chunked"))
                        chunked = true;
        }
        if (chunked) {
                long n = dechunk(body, body_len);
                if (n < 0)
                        return -EBADMSG;
                body_len = (size_t)n;
        }
        body[body_len] = '\0';
        *body_out = body;
        *body_len_out = body_len;
        return 0;
}

static int parse(char *raw, size_t len, struct pb_reply *out)
{
        char *body = NULL;
        size_t body_len = 0;
        int r = http_body(raw, len, &out->http_status, &body, &body_len);
        if (r < 0)
                return r;
        return pb_reply_parse_body(body, out);
}

int pb_reply_parse_body(const char *body, struct pb_reply *out)
{
        out->doc = json_tokener_parse(body);
        if (!out->doc || !json_object_is_type(out->doc, json_type_object))
                return -EBADMSG;
        json_object *v;
        if (json_object_object_get_ex(out->doc, "type", &v))
                out->type = json_object_get_string(v);
        json_object_object_get_ex(out->doc, "result", &out->result);
        if (json_object_object_get_ex(out->doc, "change", &v))
                out->change = json_object_get_string(v);
        if (out->type && strcmp(out->type, "error") == 0 && out->result &&
            json_object_is_type(out->result, json_type_object)) {
                if (json_object_object_get_ex(out->result, "message", &v))
                        out->message = json_object_get_string(v);
                if (json_object_object_get_ex(out->result, "kind", &v))
                        out->kind = json_object_get_string(v);
                if (json_object_object_get_ex(out->result, "value", &v) &&
                    json_object_is_type(v, json_type_string))
                        out->value = json_object_get_string(v);
        }
        return 0;
}

static int request_raw(const char *method, const char *path, const char *body, char **bufp,
                       size_t *lenp)
{
        _cleanup_fd_ int fd = dial();
        if (fd < 0)
                return fd;
        char extra[128] = "";
        if (body)
                snprintf(extra, sizeof(extra),
                         "Content-Type: application/json\r\nContent-Length: %zu\r\n", strlen(body));
        _cleanup_free_ char *req = NULL;
        if (asprintf(&req,
                     "%s %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: plugboard/%s\r\n"
                     "Connection: close\r\n%s\r\n%s",
                     method, path, PB_VERSION, extra, body ? body : "") < 0)
                return -ENOMEM;
        int r = write_all(fd, req, strlen(req));
        if (r < 0)
                return r;
        size_t cap = 65536, len = 0;
        _cleanup_free_ char *buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (len + 1 >= cap) {
                        if (cap >= PB_MAX_REPLY)
                                return -EFBIG;
                        cap *= 2;
                        char *nb = realloc(buf, cap);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                }
                ssize_t k = read(fd, buf + len, cap - len - 1);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                len += (size_t)k;
        }
        buf[len] = '\0';
        *bufp = steal_pointer(&buf);
        *lenp = len;
        return 0;
}

static int request_once(const char *method, const char *path, const char *body,
                        struct pb_reply *out)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r = request_raw(method, path, body, &buf, &len);
        return r < 0 ? r : parse(buf, len, out);
}

static void report(int r, const char *method, const char *path)
{
        if (r == -EBADMSG)
                fprintf(stderr, "error: cannot communicate with server: malformed response\n");
        else {
                /* Worded as snap's Go client says it:
                 * Get "http://localhost/v2/…": dial unix PATH: connect: no such file … */
                char m[16], e[128];
                snprintf(m, sizeof(m), "%s", method);
                for (size_t i = 1; m[i]; i++)
                        m[i] = (char)tolower((unsigned char)m[i]);
                snprintf(e, sizeof(e), "%s", strerror(-r));
                e[0] = (char)tolower((unsigned char)e[0]);
                fprintf(stderr,
                        "error: cannot communicate with server: %s \"http://localhost%s\": "
                        "dial unix %s: connect: %s\n",
                        m, path, pb_socket_path(), e);
        }
}

int pb_request_text(const char *method, const char *path, const char *shown, int *status,
                    char **buf, char **body, size_t *body_len)
{
        size_t len = 0;
        int r = request_raw(method, path, NULL, buf, &len);
        if (r == 0)
                r = http_body(*buf, len, status, body, body_len);
        if (r < 0) {
                free(*buf);
                *buf = NULL;
                report(r, method, shown ? shown : path);
        }
        return r;
}

int pb_request(const char *method, const char *path, const char *body, struct pb_reply *out)
{
        memset(out, 0, sizeof(*out));
        int r = request_once(method, path, body, out);
        if (r < 0) {
                pb_reply_clear(out);
                report(r, method, path);
        }
        return r;
}
