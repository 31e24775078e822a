/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The policy side of the issue-2 anchors: 1,000 installed snaps and 10,000
 * connections, timed in-process (no HTTP, no CLI), so the broker's numbers can
 * be split into "policy" and "transport". Usage:
 *   build/bench/bench-policy-model [SNAPS]
 * Prints the median of repeated runs for each operation, in CPU time of the
 * thread (the machine is shared; wall time would measure the neighbours).
 */
#include "compile.h"
#include "declarations.h"
#include "model.h"
#include "pb-config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static struct pb_catalogue *load_catalogue(void)
{
        struct pb_catalogue *cat = pb_catalogue_new();
        DIR *d = opendir(PB_SOURCE_INTERFACES_DIR);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                if (!strstr(de->d_name, ".json"))
                        continue;
                char path[1024];
                snprintf(path, sizeof(path), "%s/%s", PB_SOURCE_INTERFACES_DIR, de->d_name);
                FILE *f = fopen(path, "rb");
                if (!f)
                        continue;
                static char buf[1 << 16];
                size_t n = fread(buf, 1, sizeof(buf), f);
                fclose(f);
                struct pb_perror e = {0};
                if (pb_catalogue_add_json(cat, path, buf, n, &e) < 0)
                        fprintf(stderr, "%s\n", e.msg);
        }
        if (d)
                closedir(d);
        return cat;
}

#define REPS 21
#define TIME(label, stmt)                                                                          \
        do {                                                                                       \
                double t_[REPS];                                                                   \
                for (int r_ = 0; r_ < REPS; r_++) {                                                \
                        double s_ = now_ms();                                                      \
                        stmt;                                                                      \
                        t_[r_] = now_ms() - s_;                                                    \
                }                                                                                  \
                qsort(t_, REPS, sizeof(double), cmp_d);                                            \
                printf("%-44s median %8.3f ms  (min %.3f, max %.3f)\n", label, t_[REPS / 2],       \
                       t_[0], t_[REPS - 1]);                                                       \
        } while (0)

int main(int argc, char **argv)
{
        int nsnaps = argc > 1 ? atoi(argv[1]) : 1000;
        struct pb_catalogue *cat = load_catalogue();
        struct pb_model *m = pb_model_new(cat);
#define YAML_FMT                                                                                   \
        "name: app%d\nversion: '1'\nplugs: [home, network, network-bind, x11, wayland, desktop, "  \
        "desktop-legacy, opengl, audio-playback, camera]\napps:\n  run:\n    command: bin/run\n"
        double t0 = now_ms();
        for (int i = 0; i < nsnaps; i++) {
                char yaml[512];
                int n = snprintf(yaml, sizeof(yaml), YAML_FMT, i);
                struct pb_perror e = {0};
                struct pb_install in = {.info = pb_snap_info_parse("bench", yaml, (size_t)n, &e)};
                struct pb_affected aff = {0};
                int rev;
                if (!in.info || pb_model_install(m, &in, &rev, &aff, &e) < 0) {
                        fprintf(stderr, "install: %s\n", e.msg);
                        return 1;
                }
                pb_affected_clear(&aff);
                char name[32];
                snprintf(name, sizeof(name), "app%d", i);
                if (pb_model_connect(m, name, "camera", "", "", NULL, &aff, &e) < 0)
                        return 1;
                pb_affected_clear(&aff);
        }
        printf("installed %d snaps with 10 connections each in %.1f ms\n", nsnaps, now_ms() - t0);
        char *text = pb_model_connections_text(m, NULL, NULL, "all", NULL);
        json_object *c = json_tokener_parse(text);
        free(text);
        printf("connections: %zu established\n",
               json_object_array_length(json_object_object_get(c, "established")));
        json_object_put(c);

        TIME("GET /v2/connections?select=all (build)",
             json_object_put(pb_model_connections_json(m, NULL, NULL, "all", NULL)));
        TIME("GET /v2/connections?select=all (build+serialise)", {
                json_object *o = pb_model_connections_json(m, NULL, NULL, "all", NULL);
                (void)json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
                json_object_put(o);
        });
        TIME("GET /v2/connections?snap=app500",
             { json_object_put(pb_model_connections_json(m, "app500", NULL, "all", NULL)); });
        struct pb_interfaces_query q = {.select = "all"};
        TIME("GET /v2/interfaces?select=all",
             json_object_put(pb_model_interfaces_json(m, &q, NULL)));
        struct pb_interfaces_query q2 = {
            .select = "all", .names = "home", .doc = true, .plugs = true, .slots = true};
        TIME("GET /v2/interfaces?names=home&plugs&slots",
             json_object_put(pb_model_interfaces_json(m, &q2, NULL)));
        TIME("disconnect + connect app500:camera", {
                struct pb_affected aff = {0};
                pb_model_disconnect(m, "app500", "camera", "", "camera", false, &aff, NULL);
                pb_affected_clear(&aff);
                pb_model_connect(m, "app500", "camera", "", "", NULL, &aff, NULL);
                pb_affected_clear(&aff);
        });
        struct pb_user u = {.uid = 1000, .gid = 1000, .home = "/home/al"};
        TIME("compile grants for app500",
             pb_grants_unref(pb_compile_grants(m, "app500", &u, 1, NULL)));
        TIME("model state text (to_json + serialise)", free(pb_model_state_text(m, NULL)));
        char *st = pb_model_state_text(m, NULL);
        json_object *state = json_tokener_parse(st);
        free(st);
        TIME("model from_json (state)", pb_model_free(pb_model_from_json(cat, state, NULL)));
        json_object_put(state);
        pb_model_free(m);
        pb_catalogue_free(cat);
        return 0;
}
