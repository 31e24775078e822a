/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * plugctl: the in-sandbox client of the control socket (portals/control.h),
 * mounted at /snap/bin/plugctl. Small on purpose: libc and json-c only.
 *
 *   plugctl is-connected [--pid N] [--list] NAME   as `snapctl is-connected`
 *   plugctl wait NAME [--timeout SEC]              block until NAME is connected
 *   plugctl <other snapctl command>               forwarded as snapctl would
 *
 * Exit codes and texts are snapctl's: 0, 1 (not connected, no output),
 * 10/11 for --pid, and "error: error running snapctl: ..." with 1. `wait`
 * exits 0 when connected, 1 on timeout. The socket is
 * $SNAPPY_GLOBAL_ROOT/run/snapd-snap.socket, as for snapctl.
 */
#include "unix-socket.h"

#include <limits.h>
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RESPONSE_MAX (1u << 20)

static int dial(void)
{
        const char *root = getenv("SNAPPY_GLOBAL_ROOT");
        char path[PATH_MAX];
        int n = snprintf(path, sizeof(path), "%s/run/snapd-snap.socket", root ? root : "");
        if (n < 0 || (size_t)n >= sizeof(path))
                return -ENAMETOOLONG;
        return pb_unix_connect(path);
}

/* One request, the whole response (Connection: close). deadline_ms < 0:
 * none. Returns the HTTP status, 0 on timeout, -1 on error; *body malloc'd. */
static int http(const char *method, const char *path, const char *body, long deadline_ms,
                char **out)
{
        int fd = dial();
        if (fd < 0) {
                fprintf(stderr, "error: cannot communicate with the control socket: %s\n",
                        strerror(-fd));
                return -1;
        }
        char head[512];
        size_t blen = body ? strlen(body) : 0;
        int hn = snprintf(head, sizeof(head),
                          "%s %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: plugctl\r\n"
                          "Connection: close\r\nContent-Type: application/json\r\n"
                          "Content-Length: %zu\r\n\r\n",
                          method, path, blen);
        if (hn < 0 || (size_t)hn >= sizeof(head) || write(fd, head, (size_t)hn) != hn ||
            (blen && write(fd, body, blen) != (ssize_t)blen)) {
                fprintf(stderr, "error: cannot send the request\n");
                close(fd);
                return -1;
        }
        size_t cap = 4096, len = 0;
        char *buf = malloc(cap);
        if (!buf) {
                fprintf(stderr, "error: out of memory\n");
                close(fd);
                return -1;
        }
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                int wait = -1;
                if (deadline_ms >= 0) {
                        struct timespec now;
                        clock_gettime(CLOCK_MONOTONIC, &now);
                        long el = (now.tv_sec - start.tv_sec) * 1000 +
                                  (now.tv_nsec - start.tv_nsec) / 1000000;
                        wait = el >= deadline_ms ? 0 : (int)(deadline_ms - el);
                }
                struct pollfd p = {.fd = fd, .events = POLLIN};
                int pr = poll(&p, 1, wait);
                if (pr == 0) {
                        free(buf);
                        close(fd);
                        return 0;
                }
                if (pr < 0 && errno == EINTR)
                        continue;
                if (len + 1024 > cap && cap < RESPONSE_MAX) {
                        cap *= 2;
                        char *nb = realloc(buf, cap);
                        if (!nb)
                                break;
                        buf = nb;
                }
                ssize_t n = read(fd, buf + len, cap - len - 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t)n;
                if (len + 1 >= cap)
                        break;
        }
        close(fd);
        buf[len] = '\0';
        int status = 0;
        char *sep = strstr(buf, "\r\n\r\n");
        /* Only a positive status hands a body to the caller: 0 means "timed
         * out" to it, and a negative one an error, neither of which frees. */
        if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1 || !sep || status <= 0) {
                fprintf(stderr, "error: bad response from the control socket\n");
                free(buf);
                return -1;
        }
        *out = strdup(sep + 4);
        free(buf);
        if (!*out) {
                fprintf(stderr, "error: out of memory\n");
                return -1;
        }
        return status;
}

static const char *str_at(json_object *o, const char *a, const char *b)
{
        json_object *v = NULL;
        if (!json_object_object_get_ex(o, a, &v) || (b && !json_object_object_get_ex(v, b, &v)))
                return NULL;
        return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* snapctl's handling of the envelope (SNAPD-COMPAT §1b). */
static int snapctl(int argc, char **argv)
{
        json_object *req = json_object_new_object(), *args = json_object_new_array();
        const char *cookie = getenv("SNAP_COOKIE");
        json_object_object_add(req, "context-id", json_object_new_string(cookie ? cookie : ""));
        for (int i = 0; i < argc; i++)
                json_object_array_add(args, json_object_new_string(argv[i]));
        json_object_object_add(req, "args", args);
        char *body = NULL;
        int st = http("POST", "/v2/snapctl", json_object_to_json_string(req), -1, &body);
        json_object_put(req);
        if (st < 0)
                return 1;
        json_object *o = json_tokener_parse(body ? body : "");
        free(body);
        int rc = 1;
        const char *type = o ? str_at(o, "type", NULL) : NULL;
        if (type && strcmp(type, "sync") == 0) {
                const char *out = str_at(o, "result", "stdout"),
                           *err = str_at(o, "result", "stderr");
                fputs(out ? out : "", stdout);
                fputs(err ? err : "", stderr);
                rc = 0;
        } else if (type && strcmp(type, "error") == 0) {
                const char *kind = str_at(o, "result", "kind");
                json_object *res = NULL, *val = NULL, *code = NULL;
                json_object_object_get_ex(o, "result", &res);
                if (kind && strcmp(kind, "unsuccessful") == 0 &&
                    json_object_object_get_ex(res, "value", &val)) {
                        const char *out = str_at(val, "stdout", NULL),
                                   *err = str_at(val, "stderr", NULL);
                        fputs(out ? out : "", stdout);
                        fputs(err ? err : "", stderr);
                        rc = json_object_object_get_ex(val, "exit-code", &code)
                                 ? json_object_get_int(code)
                                 : 1;
                } else {
                        const char *msg = str_at(o, "result", "message");
                        fprintf(stderr, "error: %s\n", msg ? msg : "server error");
                }
        } else {
                fprintf(stderr, "error: bad response from the control socket\n");
        }
        json_object_put(o);
        return rc;
}

static int wait_cmd(int argc, char **argv)
{
        const char *name = NULL;
        long timeout_ms = -1;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
                        char *end = NULL;
                        double s = strtod(argv[++i], &end);
                        if (!end || *end || s < 0 || s > 86400 * 365) {
                                fprintf(stderr, "error: invalid --timeout\n");
                                return 1;
                        }
                        timeout_ms = (long)(s * 1000);
                } else if (!name && argv[i][0] != '-') {
                        name = argv[i];
                } else {
                        fprintf(stderr, "error: usage: plugctl wait PLUG [--timeout SEC]\n");
                        return 1;
                }
        }
        if (!name || strlen(name) > 128 ||
            strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(name)) {
                fprintf(stderr, "error: usage: plugctl wait PLUG [--timeout SEC]\n");
                return 1;
        }
        char path[200], *body = NULL;
        snprintf(path, sizeof(path), "/v2/plugboard/wait?name=%s", name);
        int st = http("GET", path, NULL, timeout_ms, &body);
        if (st == 0) {
                fprintf(stderr, "error: timed out waiting for \"%s\" to be connected\n", name);
                return 1;
        }
        if (st != 200) {
                json_object *o = body ? json_tokener_parse(body) : NULL;
                const char *msg = o ? str_at(o, "result", "message") : NULL;
                if (st > 0)
                        fprintf(stderr, "error: %s\n", msg ? msg : "cannot wait");
                json_object_put(o);
                free(body);
                return 1;
        }
        free(body);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                fprintf(argc < 2 ? stderr : stdout,
                        "Usage: plugctl is-connected [--pid N] [--list] PLUG|SLOT\n"
                        "       plugctl wait PLUG [--timeout SEC]\n");
                return argc < 2 ? 1 : 0;
        }
        if (strcmp(argv[1], "wait") == 0)
                return wait_cmd(argc - 1, argv + 1);
        return snapctl(argc - 1, argv + 1);
}
