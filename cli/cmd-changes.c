/* SPDX-License-Identifier: GPL-3.0-or-later */
/* plugboard changes, change ID (snap's cmd_changes.go), denials [SNAP],
 * version */
#include "cli.h"
#include "pb-config.h"

#include <stdlib.h>
#include <string.h>

static int cmp_spawn(const void *a, const void *b)
{
        json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b;
        const char *sx = pb_jstr(x, "spawn-time"), *sy = pb_jstr(y, "spawn-time");
        return strcmp(sx ? sx : "", sy ? sy : "");
}

static void times(json_object *o, char *spawn, char *ready, size_t n)
{
        pb_human_time(pb_jstr(o, "spawn-time"), spawn, n);
        const char *rt = pb_jstr(o, "ready-time");
        if (rt && *rt && strncmp(rt, "0001-", 5) != 0)
                pb_human_time(rt, ready, n);
        else
                snprintf(ready, n, "-");
}

int pb_cmd_changes(int argc, char **argv)
{
        int rc = pb_parse_no_args(argc, argv);
        if (rc != PB_EXIT_OK)
                return rc;
        struct pb_reply r;
        rc = pb_sync("GET", "/v2/changes?select=all", NULL, &r);
        if (rc < 0)
                return -rc;
        size_t n = pb_result_len(&r);
        if (n == 0) {
                fprintf(stderr, "no changes found\n");
                pb_reply_clear(&r);
                return PB_EXIT_OK;
        }
        json_object **v = calloc(n, sizeof(*v));
        for (size_t i = 0; i < n; i++)
                v[i] = json_object_array_get_idx(r.result, i);
        qsort(v, n, sizeof(*v), cmp_spawn);
        struct pb_tw *tw = pb_tw_new(5, 2);
        pb_tw_printf(tw, "ID\tStatus\tSpawn\tReady\tSummary\n");
        for (size_t i = 0; i < n; i++) {
                char spawn[96], ready[96];
                times(v[i], spawn, ready, sizeof(spawn));
                const char *id = pb_jstr(v[i], "id"), *st = pb_jstr(v[i], "status"),
                           *sum = pb_jstr(v[i], "summary");
                pb_tw_printf(tw, "%s\t%s\t%s\t%s\t%s\n", id ? id : "", st ? st : "", spawn, ready,
                             sum ? sum : "");
        }
        pb_tw_flush(tw, stdout);
        printf("\n");
        free(v);
        pb_reply_clear(&r);
        return PB_EXIT_OK;
}

int pb_cmd_change(int argc, char **argv)
{
        char **pos = NULL;
        int npos = 0;
        if (pb_parse_args(argc, argv, NULL, &pos, &npos) < 0)
                return PB_EXIT_USAGE;
        if (npos != 1) {
                free(pos);
                return npos ? pb_fail("too many arguments for command")
                            : pb_usage_error("the required argument `<id>` was not provided");
        }
        char *q = pb_query_escape(pos[0]);
        free(pos);
        char path[256];
        snprintf(path, sizeof(path), "/v2/changes/%s", q ? q : "");
        free(q);
        struct pb_reply r;
        int rc = pb_sync("GET", path, NULL, &r);
        if (rc < 0)
                return -rc;
        json_object *tasks = NULL;
        json_object_object_get_ex(r.result, "tasks", &tasks);
        struct pb_tw *tw = pb_tw_new(5, 2);
        pb_tw_printf(tw, "Status\tSpawn\tReady\tSummary\n");
        for (size_t i = 0; tasks && i < json_object_array_length(tasks); i++) {
                json_object *t = json_object_array_get_idx(tasks, i);
                char spawn[96], ready[96];
                times(t, spawn, ready, sizeof(spawn));
                const char *st = pb_jstr(t, "status"), *sum = pb_jstr(t, "summary");
                pb_tw_printf(tw, "%s\t%s\t%s\t%s\n", st ? st : "", spawn, ready, sum ? sum : "");
        }
        pb_tw_flush(tw, stdout);
        printf("\n");
        pb_reply_clear(&r);
        return PB_EXIT_OK;
}

int pb_cmd_denials(int argc, char **argv)
{
        char **pos = NULL;
        int npos = 0;
        if (pb_parse_args(argc, argv, NULL, &pos, &npos) < 0)
                return PB_EXIT_USAGE;
        if (npos > 1) {
                free(pos);
                return pb_fail("too many arguments for command");
        }
        char path[512] = "/v2/plugboard/denials";
        if (npos == 1) {
                char *q = pb_query_escape(pos[0]);
                snprintf(path, sizeof(path), "/v2/plugboard/denials?snap=%s", q ? q : "");
                free(q);
        }
        free(pos);
        struct pb_reply r;
        int rc = pb_sync("GET", path, NULL, &r);
        if (rc < 0)
                return -rc;
        size_t n = pb_result_len(&r);
        if (n == 0) {
                fprintf(stderr, "no denials recorded\n");
                pb_reply_clear(&r);
                return PB_EXIT_OK;
        }
        struct pb_tw *tw = pb_tw_new(5, 2);
        pb_tw_printf(tw, "Time\tSnap\tOperation\tResource\tInterface\n");
        for (size_t i = 0; i < n; i++) {
                json_object *d = json_object_array_get_idx(r.result, i), *cv = NULL;
                char when[96];
                pb_human_time(pb_jstr(d, "time"), when, sizeof(when));
                const char *snap = pb_jstr(d, "snap"), *op = pb_jstr(d, "operation"),
                           *res = pb_jstr(d, "resource"), *iface = pb_jstr(d, "interface"),
                           *plug = pb_jstr(d, "plug");
                char ib[160];
                if (iface && *iface && plug && *plug) {
                        snprintf(ib, sizeof(ib), "%s (%s)", iface, plug);
                        iface = ib;
                }
                int64_t count =
                    json_object_object_get_ex(d, "count", &cv) ? json_object_get_int64(cv) : 1;
                char opc[96];
                if (count > 1)
                        snprintf(opc, sizeof(opc), "%s (x%lld)", op ? op : "", (long long)count);
                else
                        snprintf(opc, sizeof(opc), "%s", op ? op : "");
                pb_tw_printf(tw, "%s\t%s\t%s\t%s\t%s\n", when, snap ? snap : "", opc,
                             res ? res : "", iface && *iface ? iface : "-");
        }
        pb_tw_flush(tw, stdout);
        pb_reply_clear(&r);
        return PB_EXIT_OK;
}

int pb_cmd_version(int argc, char **argv)
{
        struct pb_tw *tw = pb_tw_new(5, 2);
        pb_tw_printf(tw, "plugboard\t%s\n", PB_VERSION);
        struct pb_reply r;
        const char *v = NULL;
        /* The broker may be down: still print our own version. */
        if (pb_request("GET", "/v2/system-info", NULL, &r) == 0)
                v = pb_jstr(r.result, "version");
        pb_tw_printf(tw, "plugboardd\t%s\n", v ? v : "unavailable");
        pb_tw_printf(tw, "series\t16\n");
        pb_tw_flush(tw, stdout);
        if (r.doc)
                pb_reply_clear(&r);
        return PB_EXIT_OK;
}
