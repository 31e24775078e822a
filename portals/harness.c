/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pb-portal-harness: runs the portals' loop with a pulse and/or x11 proxy
 * from a grant spec, for integration tests and benchmarks that drive real
 * revocation without the broker.
 *
 *   pb-portal-harness [--pulse LISTEN UPSTREAM] [--x11 LISTEN DISPLAY XAUTHORITY AUTHFILE]
 *                     [--trusted] [--max-conns N] [--owner UID:GID] [--upstream-as-owner]
 *                     --grants a,b,...
 *
 * --upstream-as-owner: the pulse proxy connects upstream as the owner and
 * sends the owner's credentials with AUTH (what the broker does).
 *
 * Prints "ready" when listening. Commands on stdin, one per line:
 *   grants a,b,...   publish a new table; replies "ok <microseconds>"
 *   count            replies "conns <pulse> <x11>"
 *   quit
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "grants.h"
#include "log.h"
#include "loop.h"
#include "pulse.h"
#include "x11.h"

static uint64_t generation;

static struct pb_grants *make_grants(const char *spec)
{
        struct pb_grants_builder *b = pb_grants_builder_new("harness", ++generation);
        if (!b)
                return NULL;
        bool on[PB_SERVICE__COUNT] = {0};
        _cleanup_free_ char *copy = strdup(spec);
        char *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                int s = pb_service_from_name(t);
                if (s < 0 && strcmp(t, "none") != 0) {
                        fprintf(stderr, "unknown service %s\n", t);
                        pb_grants_builder_free(b);
                        return NULL;
                }
                if (s >= 0)
                        on[s] = true;
        }
        for (int s = 0; s < PB_SERVICE__COUNT; s++) {
                int ep = pb_grants_builder_add_endpoint(b, pb_service_name(s), pb_service_name(s),
                                                        false, on[s]);
                if (ep < 0 || pb_grants_builder_add_service(b, s, ep) < 0) {
                        pb_grants_builder_free(b);
                        return NULL;
                }
        }
        return pb_grants_builder_finish(b);
}

static uint64_t now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
        const char *pulse_listen = NULL, *pulse_up = NULL, *spec = NULL;
        const char *x_listen = NULL, *x_display = NULL, *x_xauth = NULL, *x_authfile = NULL;
        unsigned max_conns = 0;
        bool trusted = false, as_owner = false;
        uid_t uid = (uid_t)-1;
        gid_t gid = (gid_t)-1;
        pb_log_set_level(getenv("PB_DEBUG") ? LOG_DEBUG : LOG_INFO);
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--pulse") && i + 2 < argc) {
                        pulse_listen = argv[++i];
                        pulse_up = argv[++i];
                } else if (!strcmp(argv[i], "--x11") && i + 4 < argc) {
                        x_listen = argv[++i];
                        x_display = argv[++i];
                        x_xauth = argv[++i];
                        x_authfile = argv[++i];
                } else if (!strcmp(argv[i], "--grants") && i + 1 < argc) {
                        spec = argv[++i];
                } else if (!strcmp(argv[i], "--max-conns") && i + 1 < argc) {
                        max_conns = (unsigned)strtoul(argv[++i], NULL, 10);
                } else if (!strcmp(argv[i], "--owner") && i + 1 < argc) {
                        unsigned u, g;
                        if (sscanf(argv[++i], "%u:%u", &u, &g) != 2)
                                return 2;
                        uid = u;
                        gid = g;
                } else if (!strcmp(argv[i], "--upstream-as-owner")) {
                        as_owner = true;
                } else if (!strcmp(argv[i], "--trusted")) {
                        trusted = true;
                } else {
                        fprintf(stderr, "usage: see the comment at the top of harness.c\n");
                        return 2;
                }
        }
        if (!spec)
                spec = "none";
        struct pb_grants *g = make_grants(spec);
        struct pb_loop *loop = NULL;
        if (!g || pb_loop_new(&loop) < 0 || pb_loop_start(loop) < 0)
                return 1;
        struct pb_error err = {0};
        struct pb_pulse *pulse = NULL;
        struct pb_x11 *x11 = NULL;
        if (pulse_listen) {
                struct pb_pulse_config cfg = {.name = "harness",
                                              .listen_path = pulse_listen,
                                              .upstream_path = pulse_up,
                                              .owner_uid = uid,
                                              .owner_gid = gid,
                                              .max_conns = max_conns,
                                              .upstream_uid = as_owner ? uid : (uid_t)-1,
                                              .upstream_gid = as_owner ? gid : (gid_t)-1};
                if (pb_pulse_new(loop, &cfg, g, &pulse, &err) < 0) {
                        fprintf(stderr, "pulse: %s\n", err.msg);
                        return 1;
                }
        }
        if (x_listen) {
                struct pb_x11_config cfg = {.name = "harness",
                                            .listen_path = x_listen,
                                            .display = x_display,
                                            .xauthority = x_xauth,
                                            .authfile_path = x_authfile,
                                            .sandbox_display = 0,
                                            .trusted = trusted,
                                            .owner_uid = uid,
                                            .owner_gid = gid,
                                            .max_conns = max_conns};
                if (pb_x11_new(loop, &cfg, g, &x11, &err) < 0) {
                        fprintf(stderr, "x11: %s\n", err.msg);
                        return 1;
                }
        }
        pb_grants_unref(g);
        printf("ready\n");
        fflush(stdout);
        char line[512];
        while (fgets(line, sizeof(line), stdin)) {
                line[strcspn(line, "\n")] = 0;
                if (!strncmp(line, "grants ", 7)) {
                        struct pb_grants *ng = make_grants(line + 7);
                        if (!ng) {
                                printf("error bad spec\n");
                        } else {
                                uint64_t t0 = now_us();
                                if (pulse)
                                        pb_pulse_publish(pulse, ng);
                                if (x11)
                                        pb_x11_publish(x11, ng);
                                printf("ok %llu\n", (unsigned long long)(now_us() - t0));
                                pb_grants_unref(ng);
                        }
                } else if (!strcmp(line, "count")) {
                        printf("conns %u %u\n", pulse ? pb_pulse_conn_count(pulse) : 0,
                               x11 ? pb_x11_conn_count(x11) : 0);
                } else if (!strcmp(line, "quit")) {
                        break;
                } else {
                        printf("error unknown command\n");
                }
                fflush(stdout);
        }
        pb_pulse_free(pulse);
        pb_x11_free(x11);
        pb_loop_free(loop);
        return 0;
}
