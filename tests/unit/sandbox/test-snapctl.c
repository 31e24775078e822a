/* SPDX-License-Identifier: GPL-3.0-or-later */
/* snapctl is-connected against a grant table: exit codes and snapd's texts
 * (SNAPD-COMPAT §1d). */
#include "pb-test.h"
#include "portals/control.h"

static struct pb_grants *table(bool cam, bool pulse_slot)
{
        struct pb_grants_builder *b = pb_grants_builder_new("test-snap", 1);
        pb_grants_builder_add_endpoint(b, "camera", "camera", false, cam);
        pb_grants_builder_add_endpoint(b, "network", "network", false, true);
        pb_grants_builder_add_endpoint(b, "home", "home", false, false);
        pb_grants_builder_add_endpoint(b, "audio", "pulseaudio", true, pulse_slot);
        return pb_grants_builder_finish(b);
}

static int peer_other(void *ctx, pid_t pid, char **snap, struct pb_grants **g)
{
        if (pid == 4242) {
                struct pb_grants_builder *b = pb_grants_builder_new("client", 1);
                pb_grants_builder_add_endpoint(b, "pulseaudio", "pulseaudio", false, true);
                *g = pb_grants_builder_finish(b);
                *snap = strdup("client");
                return 0;
        }
        return -ESRCH;
}

static int run(struct pb_grants *g, struct pb_snapctl_result *r, size_t n, char **args)
{
        return pb_snapctl_run(g, args, n, peer_other, NULL, r);
}

#define RUN(g, r, ...)                                                                             \
        ({                                                                                         \
                char *a_[] = {__VA_ARGS__};                                                        \
                run(g, r, PB_ARRAY_SIZE(a_), a_);                                                  \
        })

int main(void)
{
        struct pb_grants *g = table(true, true), *off = table(false, false);
        struct pb_snapctl_result r;
        PB_CHECK(RUN(g, &r, "is-connected", "camera") == 0 && !r.out);
        PB_CHECK(RUN(off, &r, "is-connected", "camera") == 1 && !r.out);
        PB_CHECK(RUN(g, &r, "is-connected", "nope") == -1);
        PB_CHECK_STR(r.err, "snap \"test-snap\" has no plug or slot named \"nope\"");
        PB_CHECK(RUN(g, &r, "is-connected") == -1);
        PB_CHECK_STR(r.err, "must specify either a plug/slot name or --list");
        PB_CHECK(RUN(g, &r, "is-connected", "--list", "camera") == -1);
        PB_CHECK_STR(r.err, "cannot specify both a plug/slot name and --list");
        PB_CHECK(RUN(g, &r, "is-connected", "--pid", "4242") == -1);
        PB_CHECK_STR(r.err, "cannot use --pid check without plug/slot");
        PB_CHECK(RUN(g, &r, "is-connected", "--pid", "4242", "x:audio") == -1);
        PB_CHECK_STR(r.err, "cannot use --pid check with snap:slot");
        PB_CHECK(RUN(g, &r, "is-connected", "--list") == 0);
        PB_CHECK_STR(r.out, "audio\ncamera\nnetwork\n");
        free(r.out);
        PB_CHECK(RUN(off, &r, "is-connected", "--list") == 0);
        PB_CHECK_STR(r.out, "network\n");
        free(r.out);
        PB_CHECK(RUN(g, &r, "is-connected", "--pid", "4242", "audio") == 0);
        PB_CHECK(RUN(g, &r, "is-connected", "--pid", "999", "audio") == 11);
        PB_CHECK(RUN(off, &r, "is-connected", "--pid", "4242", "audio") == 1);
        PB_CHECK(RUN(g, &r, "is-connected", "--pid", "4242", "camera") == -1);
        PB_CHECK(RUN(g, &r, "is-connected", "--pid", "-3", "audio") == -1);
        PB_CHECK(RUN(g, &r, "get", "x") == -1);
        PB_CHECK(run(g, &r, 0, NULL) == -1);
        pb_grants_unref(g);
        pb_grants_unref(off);
        return pb_test_done();
}
