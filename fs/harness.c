/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pb-view-harness: mount one view from a JSON rule spec, then on stdin
 *   publish SPEC.json  -> "ok <publish ns> <nodes invalidated> <rc> <CLOCK_MONOTONIC ns at
 *                          return> <ns spent deciding which nodes lost access>"
 *   transport -> "io_uring N" (N requests served through it so far) or
 *                "device 0" (every request came through /dev/fuse)
 *   quit (or EOF, or SIGTERM/SIGINT) -> unmount and exit
 * so integration tests drive real revocation without the broker. Denials are
 * appended to --audit FILE as "snap\tpath\top\twould-grant" lines.
 *
 * Spec: {"snap": "s", "generation": 1,
 *        "endpoints": [{"name": "home", "interface": "home", "slot": false, "connected": true}],
 *        "paths": [{"pattern": "/h/[!.]*", "access": "rw", "recursive": true, "endpoint": "home"}],
 *        "devices": [{"pattern": "kvm", "access": "rw", "endpoint": "kvm"}]}
 * access is "", "r", "w" or "rw" ("" is a deny rule); no endpoint means always.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "view.h"

static unsigned access_of(const char *s)
{
        unsigned a = 0;
        if (strchr(s, 'r'))
                a |= PB_ACCESS_READ;
        if (strchr(s, 'w'))
                a |= PB_ACCESS_WRITE;
        return a;
}

static const char *str(json_object *o, const char *key, const char *def)
{
        json_object *v;
        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
                   ? json_object_get_string(v)
                   : def;
}

static int endpoint_index(json_object *eps, const char *name)
{
        if (!name)
                return -1;
        for (size_t i = 0; i < json_object_array_length(eps); i++)
                if (strcmp(str(json_object_array_get_idx(eps, i), "name", ""), name) == 0)
                        return (int)i;
        return -2;
}

static int add_rules(struct pb_grants_builder *b, json_object *spec, json_object *eps, bool devices)
{
        json_object *arr;
        if (!json_object_object_get_ex(spec, devices ? "devices" : "paths", &arr))
                return 0;
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
                json_object *r = json_object_array_get_idx(arr, i), *rec;
                int ep = endpoint_index(eps, str(r, "endpoint", NULL));
                if (ep == -2)
                        return -EINVAL;
                unsigned acc = access_of(str(r, "access", ""));
                const char *pat = str(r, "pattern", "");
                bool recursive =
                    json_object_object_get_ex(r, "recursive", &rec) && json_object_get_boolean(rec);
                int ret = devices ? pb_grants_builder_add_device(b, pat, acc, ep)
                                  : pb_grants_builder_add_path(b, pat, acc, recursive, ep);
                if (ret < 0) {
                        fprintf(stderr, "bad rule %s\n", pat);
                        return ret;
                }
        }
        return 0;
}

static struct pb_grants *load_spec(const char *file)
{
        json_object *spec = json_object_from_file(file), *eps = NULL, *gen = NULL;
        if (!spec) {
                fprintf(stderr, "cannot parse %s\n", file);
                return NULL;
        }
        json_object_object_get_ex(spec, "generation", &gen);
        struct pb_grants_builder *b =
            pb_grants_builder_new(str(spec, "snap", "test"), (uint64_t)json_object_get_int64(gen));
        if (!json_object_object_get_ex(spec, "endpoints", &eps))
                eps = json_object_new_array();
        else
                json_object_get(eps);
        for (size_t i = 0; b && i < json_object_array_length(eps); i++) {
                json_object *e = json_object_array_get_idx(eps, i), *c = NULL, *s = NULL;
                json_object_object_get_ex(e, "connected", &c);
                json_object_object_get_ex(e, "slot", &s);
                if (pb_grants_builder_add_endpoint(b, str(e, "name", ""), str(e, "interface", ""),
                                                   json_object_get_boolean(s),
                                                   json_object_get_boolean(c)) < 0)
                        goto fail;
        }
        if (!b || add_rules(b, spec, eps, false) < 0 || add_rules(b, spec, eps, true) < 0)
                goto fail;
        json_object_put(eps);
        json_object_put(spec);
        return pb_grants_builder_finish(b);
fail:
        pb_grants_builder_free(b);
        json_object_put(eps);
        json_object_put(spec);
        return NULL;
}

static void audit(void *ctx, const char *snap, const char *path, const char *op, const char *would)
{
        int fd = *(int *)ctx;
        char line[4200];
        int n =
            snprintf(line, sizeof(line), "%s\t%s\t%s\t%s\n", snap, path, op, would ? would : "-");
        if (fd >= 0 && n > 0)
                (void)!write(fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static void on_signal(int sig)
{
        (void)sig; /* interrupts fgets: the main loop then stops the view */
}

int main(int argc, char **argv)
{
        struct pb_view_config cfg = {.kind = PB_VIEW_HOME};
        const char *spec = NULL, *audit_file = NULL;
        int audit_fd = -1;
        static const struct option opts[] = {
            {"kind", required_argument, NULL, 'k'},  {"root", required_argument, NULL, 'r'},
            {"mount", required_argument, NULL, 'm'}, {"uid", required_argument, NULL, 'u'},
            {"gid", required_argument, NULL, 'g'},   {"spec", required_argument, NULL, 's'},
            {"audit", required_argument, NULL, 'a'}, {"cache", required_argument, NULL, 'c'},
            {"fuse-debug", no_argument, NULL, 'd'},  {NULL, 0, NULL, 0},
        };
        for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
                switch (c) {
                case 'k':
                        cfg.kind = pb_view_kind_from_name(optarg);
                        break;
                case 'r':
                        cfg.host_root = optarg;
                        break;
                case 'm':
                        cfg.mountpoint = optarg;
                        break;
                case 'u':
                        cfg.uid = (uid_t)strtoul(optarg, NULL, 10);
                        break;
                case 'g':
                        cfg.gid = (gid_t)strtoul(optarg, NULL, 10);
                        break;
                case 's':
                        spec = optarg;
                        break;
                case 'a':
                        audit_file = optarg;
                        break;
                case 'c':
                        cfg.cache_timeout = strtod(optarg, NULL);
                        break;
                case 'd':
                        cfg.fuse_debug = true;
                        break;
                default:
                        return 2;
                }
        }
        if ((int)cfg.kind < 0 || !spec || !cfg.mountpoint) {
                fprintf(stderr,
                        "usage: %s --kind K --root DIR --mount MP --uid U --gid G "
                        "--spec FILE [--audit FILE] [--cache SECONDS] [--fuse-debug]\n",
                        argv[0]);
                return 2;
        }
        if (audit_file) {
                audit_fd = open(audit_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                cfg.audit = audit;
                cfg.audit_ctx = &audit_fd;
        }
        cfg.grants = load_spec(spec);
        if (!cfg.grants)
                return 1;
        struct sigaction sa = {.sa_handler = on_signal};
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
        struct pb_view *v = NULL;
        struct pb_error err = {0};
        if (pb_view_start(&cfg, &v, &err) < 0) {
                fprintf(stderr, "pb-view-harness: %s\n", err.msg);
                return 1;
        }
        pb_grants_unref(cfg.grants);
        printf("ready\n");
        fflush(stdout);
        char line[4096];
        while (fgets(line, sizeof(line), stdin)) {
                line[strcspn(line, "\n")] = '\0';
                if (strncmp(line, "publish ", 8) == 0) {
                        struct pb_grants *g = load_spec(line + 8);
                        if (!g) {
                                printf("error bad spec\n");
                                fflush(stdout);
                                continue;
                        }
                        int r = pb_view_publish(v, g);
                        struct timespec ts;
                        clock_gettime(CLOCK_MONOTONIC, &ts);
                        pb_grants_unref(g);
                        struct pb_view_publish_stats st;
                        pb_view_last_publish_stats(v, &st);
                        printf("ok %llu %llu %d %llu %llu\n", (unsigned long long)st.elapsed_ns,
                               (unsigned long long)st.nodes_invalidated, r,
                               (unsigned long long)ts.tv_sec * 1000000000ull +
                                   (unsigned long long)ts.tv_nsec,
                               (unsigned long long)st.check_ns);
                        fflush(stdout);
                } else if (strcmp(line, "transport") == 0) {
                        uint64_t served;
                        bool ring = pb_view_ring_served(v, &served);
                        printf("%s %llu\n", ring ? "io_uring" : "device",
                               (unsigned long long)served);
                        fflush(stdout);
                } else if (strcmp(line, "prefetch") == 0) {
                        printf("%s\n", pb_view_prefetch_mode(v));
                        fflush(stdout);
                } else if (strcmp(line, "quit") == 0) {
                        break;
                } else {
                        printf("error unknown command\n");
                        fflush(stdout);
                }
        }
        pb_view_stop(v);
        if (audit_fd >= 0)
                close(audit_fd);
        return 0;
}
