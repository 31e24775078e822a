/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Placement of views, sockets and environment in a launch spec. */
#include "pb-test.h"
#include "broker/sandbox-spec.h"

static const struct pb_mount *find(const struct pb_spec *s, const char *target)
{
        for (size_t i = 0; i < s->n_mounts; i++)
                if (strcmp(s->mounts[i].target, target) == 0)
                        return &s->mounts[i];
        return NULL;
}

static const char *env(const struct pb_spec *s, const char *name)
{
        size_t n = strlen(name);
        for (char **e = s->env; *e; e++)
                if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
                        return *e + n + 1;
        return NULL;
}

int main(void)
{
        struct pb_grants_builder *b = pb_grants_builder_new("demo", 3);
        int logs = pb_grants_builder_add_endpoint(b, "log-observe", "log-observe", false, false);
        int net = pb_grants_builder_add_endpoint(b, "network", "network", false, true);
        pb_grants_builder_add_path(b, "/var/log", PB_ACCESS_READ, true, logs);
        pb_grants_builder_add_path(b, "/home/u/Documents", PB_ACCESS_READ, true, logs);
        pb_grants_builder_add_path(b, "/etc/foo", PB_ACCESS_READ, false, logs);
        pb_grants_builder_add_service(b, PB_SERVICE_NETWORK, net);
        struct pb_grants *g = pb_grants_builder_finish(b);

        gid_t groups[] = {100, 27};
        char *dev_links[] = {"video0", "../etc", NULL};
        char *args[] = {"-x", "--flag", NULL};
        char *cenv[] = {"LANG=C.UTF-8",
                        "LD_PRELOAD=/tmp/evil.so",
                        "SNAP=/fake",
                        "HOME=/x",
                        "DISPLAY=:0",
                        "noequals",
                        NULL};
        struct pb_sandbox_params p = {
            .snap = "demo",
            .revision = "x2",
            .app = "demo",
            .command = "$SNAP/bin/run --opt",
            .snap_dir = "/var/lib/plugboard/snaps/demo/x2",
            .instance = "abc123",
            .args = args,
            .client_env = cenv,
            .cwd = "/home/u/work",
            .user = {.uid = 1000, .gid = 100, .groups = groups, .n_groups = 2, .home = "/home/u"},
            .grants = g,
            .home_view = "/run/v/home",
            .host_view = "/run/v/host",
            .status_view = "/run/v/status",
            .dev_view = "/run/v/dev",
            .media_views = {"/run/v/media", NULL, "/run/v/mnt"},
            .control_socket = "/run/plugboard/sandbox/abc123/snapd-snap.socket",
            .plugctl = "/usr/libexec/plugboard/plugctl",
            .dev_links = dev_links};
        struct pb_spec *s = NULL;
        struct pb_error err = {0};
        PB_CHECK(pb_sandbox_build_spec(&p, &s, &err) == 0);
        PB_CHECK_STR(s->argv[0], "/snap/demo/x2/bin/run");
        PB_CHECK_STR(s->argv[1], "--opt");
        PB_CHECK_STR(s->argv[2], "-x");
        PB_CHECK_STR(s->argv[3], "--flag");
        PB_CHECK(s->argv[4] == NULL);
        PB_CHECK(s->network);
        PB_CHECK(s->n_groups == 2 && s->groups[1] == 27);
        /* the dev view goes beside the static /dev, reached by symlinks */
        PB_CHECK(s->dev_view == NULL);
        const struct pb_mount *m = find(s, "/run/plugboard-dev");
        PB_CHECK(m && m->kind == PB_MOUNT_BIND_DEV && m->user);
        m = find(s, "/dev/video0");
        PB_CHECK(m && m->kind == PB_MOUNT_SYMLINK &&
                 strcmp(m->source, "/run/plugboard-dev/video0") == 0);
        PB_CHECK(find(s, "/dev/../etc") == NULL);
        m = find(s, "/home/u");
        PB_CHECK(m && strcmp(m->source, "/run/v/home") == 0 && m->user &&
                 m->kind == PB_MOUNT_BIND_RW);
        m = find(s, "/var/log");
        PB_CHECK(m && m->kind == PB_MOUNT_SYMLINK &&
                 strcmp(m->source, "/run/plugboard-host/var/log") == 0);
        PB_CHECK(find(s, "/home/u/Documents") == NULL); /* the home view has it */
        PB_CHECK(find(s, "/etc/foo") == NULL);          /* runtime: read-only already */
        m = find(s, "/run/snapd-snap.socket");
        PB_CHECK(m && m->file && !m->user);
        m = find(s, "/run/plugboard");
        PB_CHECK(m && m->kind == PB_MOUNT_BIND_RO);
        PB_CHECK(find(s, "/snap/bin/plugctl") != NULL);
        m = find(s, "/mnt");
        PB_CHECK(m && strcmp(m->source, "/run/v/mnt") == 0 && m->user);
        PB_CHECK(find(s, "/media") && !find(s, "/run/media"));
        PB_CHECK_STR(env(s, "SNAP"), "/snap/demo/x2");
        PB_CHECK_STR(env(s, "SNAP_COOKIE"), "abc123");
        PB_CHECK_STR(env(s, "SNAP_USER_DATA"), "/home/u/snap/demo/x2");
        PB_CHECK_STR(env(s, "SNAP_USER_COMMON"), "/home/u/snap/demo/common");
        PB_CHECK_STR(env(s, "HOME"), "/home/u");
        PB_CHECK_STR(env(s, "XDG_RUNTIME_DIR"), "/run/user/1000");
        PB_CHECK_STR(env(s, "LANG"), "C.UTF-8");
        PB_CHECK(env(s, "LD_PRELOAD") == NULL && env(s, "DISPLAY") == NULL);
        PB_CHECK(strncmp(env(s, "PATH"), "/snap/demo/x2/usr/sbin:", 23) == 0);
        char *json = pb_spec_to_json(s);
        struct pb_spec *back = NULL;
        PB_CHECK(json && pb_spec_parse(json, strlen(json), &back, &err) == 0);
        free(json);
        pb_spec_free(back);
        pb_spec_free(s);

        /* without views: only ~/snap/NAME, directly */
        p.home_view = p.host_view = p.status_view = p.dev_view = NULL;
        p.media_views[0] = p.media_views[2] = NULL;
        PB_CHECK(pb_sandbox_build_spec(&p, &s, &err) == 0);
        m = find(s, "/home/u/snap/demo");
        PB_CHECK(m && m->user && strcmp(m->source, "/home/u/snap/demo") == 0);
        PB_CHECK(find(s, "/var/log") == NULL && s->dev_view == NULL);
        pb_spec_free(s);

        p.command = "../../bin/sh";
        PB_CHECK(pb_sandbox_build_spec(&p, &s, &err) == -EINVAL);
        pb_grants_unref(g);
        return pb_test_done();
}
