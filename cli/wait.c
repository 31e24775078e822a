/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Async requests and waiting for their change, as snap's wait.go. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
        interrupted = 1;
}

static void sleep_ms(long ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !interrupted)
                ;
}

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int wait_change(const char *id, json_object **change_out)
{
        char path[128];
        snprintf(path, sizeof(path), "/v2/changes/%s", id);
        struct sigaction sa = {.sa_handler = on_sigint};
        sigaction(SIGINT, &sa, NULL);
        double last_ok = now_s();
        bool abort_sent = false;
        for (;;) {
                if (interrupted && !abort_sent) {
                        struct pb_reply ar;
                        if (pb_request("POST", path, "{\"action\":\"abort\"}", &ar) == 0)
                                pb_reply_clear(&ar);
                        abort_sent = true;
                }
                struct pb_reply r;
                memset(&r, 0, sizeof(r));
                int rr = pb_request("GET", path, NULL, &r);
                if (rr < 0) {
                        /* Connection errors are retried for a while (a restarting
                         * broker). */
                        if (now_s() - last_ok > 5.0)
                                return PB_EXIT_ERR;
                        sleep_ms(100);
                        continue;
                }
                last_ok = now_s();
                if (r.type && strcmp(r.type, "error") == 0) {
                        int rc = pb_reply_error(&r);
                        pb_reply_clear(&r);
                        return rc;
                }
                json_object *chg = r.result, *v = NULL;
                bool ready = chg && json_object_object_get_ex(chg, "ready", &v) &&
                             json_object_get_boolean(v);
                if (ready) {
                        const char *status = pb_jstr(chg, "status");
                        const char *err = pb_jstr(chg, "err");
                        int rc = PB_EXIT_OK;
                        if (status && strcmp(status, "Done") == 0) {
                                rc = PB_EXIT_OK;
                        } else if (err && *err) {
                                fprintf(stderr, "error: %s\n", err);
                                rc = PB_EXIT_ERR;
                        } else {
                                fprintf(stderr,
                                        "error: change finished in status \"%s\" with no error "
                                        "message\n",
                                        status ? status : "");
                                rc = PB_EXIT_ERR;
                        }
                        if (change_out)
                                *change_out = json_object_get(chg);
                        pb_reply_clear(&r);
                        return rc;
                }
                pb_reply_clear(&r);
                sleep_ms(100);
        }
}

int pb_async(const char *method, const char *path, const char *body, bool no_wait,
             json_object **change_out)
{
        return pb_async_ex(method, path, body, no_wait, change_out, NULL, NULL);
}

int pb_async_ex(const char *method, const char *path, const char *body, bool no_wait,
                json_object **change_out, const char *on_unchanged, const char *soft_kind)
{
        struct pb_reply r;
        if (pb_request(method, path, body, &r) < 0)
                return PB_EXIT_ERR;
        int rc;
        if (r.type && strcmp(r.type, "error") == 0 && on_unchanged && r.kind &&
            strcmp(r.kind, "interfaces-unchanged") == 0) {
                printf("%s\n", on_unchanged);
                rc = PB_EXIT_OK;
        } else if (r.type && strcmp(r.type, "error") == 0 && soft_kind && r.kind &&
                   strcmp(r.kind, soft_kind) == 0 && r.message) {
                char *msg = pb_fill(r.message, 7);
                fprintf(stderr, "%s\n", msg ? msg : r.message);
                free(msg);
                rc = PB_EXIT_OK;
                if (change_out)
                        *change_out = NULL;
        } else if (r.type && strcmp(r.type, "error") == 0) {
                rc = pb_reply_error(&r);
        } else if (!r.type || strcmp(r.type, "async") != 0) {
                fprintf(stderr, "error: expected async response for \"%s\" on \"%s\", got \"%s\"\n",
                        method, path, r.type ? r.type : "");
                rc = PB_EXIT_ERR;
        } else if (r.http_status != 202) {
                fprintf(stderr, "error: operation not accepted\n");
                rc = PB_EXIT_ERR;
        } else if (!r.change || !*r.change) {
                fprintf(stderr, "error: async response without change reference\n");
                rc = PB_EXIT_ERR;
        } else if (no_wait) {
                printf("%s\n", r.change);
                rc = PB_EXIT_OK;
        } else {
                char id[64];
                snprintf(id, sizeof(id), "%s", r.change);
                pb_reply_clear(&r);
                return wait_change(id, change_out);
        }
        pb_reply_clear(&r);
        return rc;
}
