/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Test helper: serve a control socket for a made-up snap, so the integration
 * tests can drive plugctl and Debian's snapctl against the real server
 * without a broker. Usage: pb-control-serve SOCKET UID GID [ENDPOINT=0|1]...
 * (ENDPOINT "name" or "name:slot:iface"). Then reads lines "set NAME 0|1" on
 * stdin and publishes a new table for each; prints "ready" / "ok".
 */
#include "portals/control.h"

#include <stdio.h>
#include <string.h>

struct ep {
        char name[64], iface[64];
        bool slot, on;
};

static struct pb_grants *build(struct ep *eps, int n, uint64_t gen)
{
        struct pb_grants_builder *b = pb_grants_builder_new("ctl-snap", gen);
        for (int i = 0; i < n; i++)
                pb_grants_builder_add_endpoint(b, eps[i].name, eps[i].iface, eps[i].slot,
                                               eps[i].on);
        return pb_grants_builder_finish(b);
}

int main(int argc, char **argv)
{
        if (argc < 4)
                return 2;
        struct ep eps[32];
        int n = 0;
        for (int i = 4; i < argc && n < 32; i++, n++) {
                char *eq = strrchr(argv[i], '=');
                struct ep *e = &eps[n];
                memset(e, 0, sizeof(*e));
                e->on = eq && eq[1] == '1';
                if (eq)
                        *eq = '\0';
                char *c1 = strchr(argv[i], ':');
                if (c1) {
                        *c1 = '\0';
                        char *c2 = strchr(c1 + 1, ':');
                        e->slot = strncmp(c1 + 1, "slot", 4) == 0;
                        snprintf(e->iface, sizeof(e->iface), "%s", c2 ? c2 + 1 : argv[i]);
                } else {
                        snprintf(e->iface, sizeof(e->iface), "%s", argv[i]);
                }
                snprintf(e->name, sizeof(e->name), "%s", argv[i]);
        }
        uint64_t gen = 1;
        struct pb_grants *g = build(eps, n, gen);
        struct pb_control_config cfg = {.path = argv[1],
                                        .uid = (uid_t)atoi(argv[2]),
                                        .gid = (gid_t)atoi(argv[3]),
                                        .snap = "ctl-snap",
                                        .grants = g};
        struct pb_control *c = NULL;
        struct pb_error err = {0};
        if (pb_control_start(&cfg, &c, &err) < 0) {
                fprintf(stderr, "%s\n", err.msg);
                return 1;
        }
        pb_grants_unref(g);
        printf("ready\n");
        fflush(stdout);
        char line[256], name[64];
        int on = 0;
        while (fgets(line, sizeof(line), stdin)) {
                if (sscanf(line, "set %63s %d", name, &on) != 2)
                        continue;
                for (int i = 0; i < n; i++)
                        if (strcmp(eps[i].name, name) == 0)
                                eps[i].on = on;
                g = build(eps, n, ++gen);
                pb_control_publish(c, g);
                pb_grants_unref(g);
                printf("ok\n");
                fflush(stdout);
        }
        pb_control_stop(c);
        return 0;
}
