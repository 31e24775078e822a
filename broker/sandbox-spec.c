/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The launch spec of one sandbox, decided here (policy of placement) and
 * carried out by plugboard-launch (mechanism). Pure: unit tested in
 * tests/unit/sandbox/test-sandbox-spec.c.
 *
 * Placement:
 *   home view      -> the user's home path (HOME); without it (no fs views),
 *                     only ~/snap/NAME is bound, directly;
 *   media views    -> /media, /run/media, /mnt (one view each, so a connect
 *                     shows up live in the already mounted, empty root);
 *   host view      -> /run/plugboard-host, and every declared path root
 *                     outside home, media and the read-only runtime becomes a
 *                     symlink into it (/var/log -> /run/plugboard-host/var/log),
 *                     connected or not: a later connect shows up live;
 *   status view    -> /run/plugboard;
 *   dev view       -> /run/plugboard-dev, with /dev/X -> /run/plugboard-dev/X
 *                     symlinks for the host nodes a declared device rule
 *                     matches (/dev itself is the static minimal set);
 *   control socket -> /run/snapd-snap.socket (snapctl's SNAPPY_GLOBAL_ROOT=/);
 *   plugctl        -> /snap/bin/plugctl (on PATH).
 */
#include "sandbox-spec.h"

#include <stdio.h>
#include <string.h>

#define PLUGBOARD_HOST_DIR "/run/plugboard-host"
#define PLUGBOARD_DEV_DIR  "/run/plugboard-dev"

struct builder {
        struct pb_spec *s;
        size_t cap_mounts;
        char **env;
        size_t n_env, cap_env;
        int err;
};

static char *xstrdup(struct builder *b, const char *s)
{
        char *r = s ? strdup(s) : NULL;
        if (s && !r)
                b->err = -ENOMEM;
        return r;
}

static char *xfmt(struct builder *b, const char *fmt, ...) PB_PRINTF(2, 3);
static char *xfmt(struct builder *b, const char *fmt, ...)
{
        char *r = NULL;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&r, fmt, ap) < 0) {
                r = NULL;
                b->err = -ENOMEM;
        }
        va_end(ap);
        return r;
}

static void add_mount(struct builder *b, const char *src, const char *dst, enum pb_mount_kind k,
                      bool file, bool optional, bool user)
{
        struct pb_spec *s = b->s;
        if (b->err)
                return;
        if (s->n_mounts == b->cap_mounts) {
                size_t n = b->cap_mounts ? b->cap_mounts * 2 : 16;
                struct pb_mount *m = realloc(s->mounts, n * sizeof(*m));
                if (!m) {
                        b->err = -ENOMEM;
                        return;
                }
                s->mounts = m;
                b->cap_mounts = n;
        }
        struct pb_mount *m = &s->mounts[s->n_mounts];
        *m = (struct pb_mount){.source = xstrdup(b, src),
                               .target = xstrdup(b, dst),
                               .kind = k,
                               .file = file,
                               .optional = optional,
                               .user = user};
        s->n_mounts++;
}

/* Takes ownership of `kv`. */
static void add_env(struct builder *b, char *kv)
{
        if (!kv || b->err) {
                free(kv);
                return;
        }
        if (b->n_env + 1 >= b->cap_env) {
                size_t n = b->cap_env ? b->cap_env * 2 : 64;
                char **e = realloc(b->env, n * sizeof(char *));
                if (!e) {
                        free(kv);
                        b->err = -ENOMEM;
                        return;
                }
                b->env = e;
                b->cap_env = n;
        }
        b->env[b->n_env++] = kv;
        b->env[b->n_env] = NULL;
}

/* The client's variables that we replace or that name host resources the
 * sandbox cannot reach (and LD_*: the loader's knobs are not passed into a
 * confined app, as AppArmor's environment scrubbing does for snapd). */
static bool env_dropped(const char *kv)
{
        static const char *prefixes[] = {"SNAP",
                                         "LD_",
                                         "HOME=",
                                         "PATH=",
                                         "XDG_RUNTIME_DIR=",
                                         "TMPDIR=",
                                         "DISPLAY=",
                                         "XAUTHORITY=",
                                         "PULSE_",
                                         "WAYLAND_DISPLAY=",
                                         "DBUS_SESSION_BUS_ADDRESS="};
        for (size_t i = 0; i < PB_ARRAY_SIZE(prefixes); i++)
                if (strncmp(kv, prefixes[i], strlen(prefixes[i])) == 0)
                        return true;
        return !strchr(kv, '=');
}

static bool under(const char *path, const char *dir)
{
        size_t n = strlen(dir);
        return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static bool covered_elsewhere(const char *prefix, const char *home)
{
        static const char *skip[] = {"/usr",   "/bin",       "/sbin",   "/lib",
                                     "/lib32", "/lib64",     "/libx32", "/etc",
                                     "/media", "/run/media", "/mnt",    "/proc",
                                     "/sys",   "/dev",       "/snap",   "/run/plugboard"};
        if (strcmp(prefix, "/") == 0 || under(prefix, home))
                return true;
        for (size_t i = 0; i < PB_ARRAY_SIZE(skip); i++)
                if (under(prefix, skip[i]))
                        return true;
        /* an ancestor of the home (/home) would hide the home view */
        return under(home, prefix);
}

static char **split_command(struct builder *b, const char *snapdir, const char *command,
                            char *const *args)
{
        size_t n_args = 0;
        while (args && args[n_args])
                n_args++;
        _cleanup_free_ char *cmd = xstrdup(b, command);
        if (!cmd)
                return NULL;
        size_t cap = n_args + strlen(cmd) / 2 + 3;
        char **argv = calloc(cap, sizeof(char *));
        if (!argv) {
                b->err = -ENOMEM;
                return NULL;
        }
        size_t n = 0;
        char *save = NULL;
        for (char *w = strtok_r(cmd, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                if (n == 0) {
                        /* snapd accepts "bin/x" and "$SNAP/bin/x" */
                        if (strncmp(w, "$SNAP/", 6) == 0)
                                w += 6;
                        else if (strncmp(w, "${SNAP}/", 8) == 0)
                                w += 8;
                        argv[n++] = xfmt(b, "%s/%s", snapdir, w);
                } else {
                        argv[n++] = xstrdup(b, w);
                }
        }
        for (size_t i = 0; i < n_args; i++)
                argv[n++] = xstrdup(b, args[i]);
        return argv;
}

int pb_sandbox_build_spec(const struct pb_sandbox_params *p, struct pb_spec **out,
                          struct pb_error *err)
{
        if (!p->command || !p->command[0] || strstr(p->command, ".."))
                return pb_error_set(err, EINVAL, "app \"%s\" of snap \"%s\" has no usable command",
                                    p->app, p->snap);
        struct builder b = {0};
        b.s = calloc(1, sizeof(*b.s));
        if (!b.s)
                return pb_error_set(err, ENOMEM, "out of memory");
        struct pb_spec *s = b.s;
        const char *home = p->user.home;
        _cleanup_free_ char *snapdir = xfmt(&b, "/snap/%s/%s", p->snap, p->revision);
        _cleanup_free_ char *user_data = xfmt(&b, "%s/snap/%s/%s", home, p->snap, p->revision);
        _cleanup_free_ char *user_common = xfmt(&b, "%s/snap/%s/common", home, p->snap);
        s->snap = xstrdup(&b, p->snap);
        s->revision = xstrdup(&b, p->revision);
        s->app = xstrdup(&b, p->app);
        s->instance = xstrdup(&b, p->instance);
        s->uid = p->user.uid;
        s->gid = p->user.gid;
        s->groups = calloc(p->user.n_groups + 1, sizeof(gid_t));
        if (s->groups && p->user.n_groups)
                memcpy(s->groups, p->user.groups, p->user.n_groups * sizeof(gid_t));
        s->n_groups = p->user.n_groups;
        s->home = xstrdup(&b, home);
        s->cwd = xstrdup(&b, p->cwd && pb_spec_path_ok(p->cwd) ? p->cwd : home);
        s->nofile = p->nofile;
        s->snap_source = xstrdup(&b, p->snap_dir);
        /* The dev view does not serve the base nodes, pts/ and shm/, so /dev
         * stays the launcher's static minimal tmpfs and the view is mounted
         * beside it, reached through symlinks. */
        s->dev_view = NULL;
        s->network = pb_grants_service(p->grants, PB_SERVICE_NETWORK);
        s->make_user_dirs = true;
        if (!s->groups || !snapdir || !user_data || !user_common)
                b.err = -ENOMEM;
        else
                s->argv = split_command(&b, snapdir, p->command, p->args);

        /* Views. */
        if (p->home_view) {
                add_mount(&b, p->home_view, home, PB_MOUNT_BIND_RW, false, false, true);
        } else if (user_data) {
                _cleanup_free_ char *d = xfmt(&b, "%s/snap/%s", home, p->snap);
                add_mount(&b, d, d, PB_MOUNT_BIND_RW, false, false, true);
        }
        static const char *media[] = {"/media", "/run/media", "/mnt"};
        for (size_t i = 0; i < PB_ARRAY_SIZE(media); i++)
                if (p->media_views[i])
                        add_mount(&b, p->media_views[i], media[i], PB_MOUNT_BIND_RW, false, false,
                                  true);
        if (p->host_view) {
                add_mount(&b, p->host_view, PLUGBOARD_HOST_DIR, PB_MOUNT_BIND_RW, false, false,
                          true);
                for (size_t i = 0; i < pb_grants_path_root_count(p->grants); i++) {
                        const struct pb_grants_path_root *r = pb_grants_path_root(p->grants, i);
                        if (covered_elsewhere(r->prefix, home))
                                continue;
                        _cleanup_free_ char *link = xfmt(&b, PLUGBOARD_HOST_DIR "%s", r->prefix);
                        add_mount(&b, link, r->prefix, PB_MOUNT_SYMLINK, false, false, false);
                }
        }
        if (p->dev_view) {
                add_mount(&b, p->dev_view, PLUGBOARD_DEV_DIR, PB_MOUNT_BIND_DEV, false, false,
                          true);
                for (char *const *d = p->dev_links; d && *d; d++) {
                        _cleanup_free_ char *dst = xfmt(&b, "/dev/%s", *d);
                        _cleanup_free_ char *src = xfmt(&b, PLUGBOARD_DEV_DIR "/%s", *d);
                        if (dst && pb_spec_path_ok(dst))
                                add_mount(&b, src, dst, PB_MOUNT_SYMLINK, false, false, false);
                }
        }
        if (p->status_view)
                add_mount(&b, p->status_view, "/run/plugboard", PB_MOUNT_BIND_RO, false, false,
                          true);
        if (p->control_socket)
                add_mount(&b, p->control_socket, "/run/snapd-snap.socket", PB_MOUNT_BIND_RW, true,
                          false, false);
        if (p->plugctl)
                add_mount(&b, p->plugctl, "/snap/bin/plugctl", PB_MOUNT_BIND_RO, true, true, false);
        for (size_t i = 0; i < p->n_extras; i++)
                add_mount(&b, p->extras[i].source, p->extras[i].target, PB_MOUNT_BIND_RW,
                          p->extras[i].file, false, false);

        /* Environment: the client's, scrubbed, then snapd's. */
        for (char *const *e = p->client_env; e && *e; e++)
                if (!env_dropped(*e))
                        add_env(&b, xstrdup(&b, *e));
        add_env(&b, xfmt(&b, "SNAP=%s", snapdir));
        add_env(&b, xfmt(&b, "SNAP_NAME=%s", p->snap));
        add_env(&b, xfmt(&b, "SNAP_INSTANCE_NAME=%s", p->snap));
        add_env(&b, xfmt(&b, "SNAP_REVISION=%s", p->revision));
        add_env(&b, xfmt(&b, "SNAP_ARCH=%s", "amd64"));
        add_env(&b, xfmt(&b, "SNAP_USER_DATA=%s", user_data));
        add_env(&b, xfmt(&b, "SNAP_USER_COMMON=%s", user_common));
        add_env(&b, xfmt(&b, "SNAP_DATA=/var/snap/%s/%s", p->snap, p->revision));
        add_env(&b, xfmt(&b, "SNAP_COMMON=/var/snap/%s/common", p->snap));
        add_env(&b, xfmt(&b, "SNAP_COOKIE=%s", p->instance));
        add_env(&b, xfmt(&b, "SNAP_CONTEXT=%s", p->instance));
        add_env(&b, xfmt(&b, "HOME=%s", home));
        add_env(&b, xfmt(&b, "XDG_RUNTIME_DIR=/run/user/%u", (unsigned)p->user.uid));
        add_env(&b, xfmt(&b, "TMPDIR=/tmp"));
        add_env(&b, xfmt(&b,
                         "PATH=%s/usr/sbin:%s/usr/bin:%s/sbin:%s/bin:/snap/bin:/usr/local/sbin:"
                         "/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                         snapdir, snapdir, snapdir, snapdir));
        for (size_t i = 0; i < p->n_extras; i++)
                if (p->extras[i].env)
                        add_env(&b, xstrdup(&b, p->extras[i].env));
        s->env = b.env;
        if (!s->env && !b.err) {
                s->env = calloc(1, sizeof(char *));
                if (!s->env)
                        b.err = -ENOMEM;
        }
        if (b.err || !s->argv) {
                pb_spec_free(s);
                return pb_error_set(err, ENOMEM, "out of memory");
        }
        *out = s;
        return 0;
}
