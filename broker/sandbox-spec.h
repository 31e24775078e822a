/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * From (snap, app, user, grants, views, sockets) to a launch spec: where each
 * view goes, the environment, the command line. Pure: no syscalls, unit tested.
 */
#pragma once

#include "policy/grants.h"
#include "sandbox/spec.h"

struct pb_sandbox_user {
        uid_t uid;
        gid_t gid;
        const gid_t *groups;
        size_t n_groups;
        const char *home;
};

/* A socket or file the sandbox gets, with the environment variable that
 * names it (portals: PULSE_SERVER=unix:/run/user/U/pulse/native, ...). */
struct pb_sandbox_extra {
        const char *source, *target;
        bool file;
        const char *env; /* "NAME=value" or NULL */
};

struct pb_sandbox_params {
        const char *snap, *revision, *app;
        const char *command;  /* from snap.yaml, relative to $SNAP ("bin/x --flag") */
        const char *snap_dir; /* host dir of the revision */
        const char *instance; /* sandbox id, also SNAP_COOKIE */
        char *const *args;    /* user arguments, verbatim */
        char *const *client_env;
        const char *cwd;
        uint64_t nofile; /* the caller's soft RLIMIT_NOFILE (0: not said) */
        struct pb_sandbox_user user;
        const struct pb_grants *grants;
        /* views (host mount points), NULL when absent */
        const char *home_view, *host_view, *dev_view, *status_view;
        /* media views, bound at /media, /run/media and /mnt */
        const char *media_views[3];
        /* host device nodes (relative to /dev) that some declared device rule
         * matches: each becomes /dev/REL -> /run/plugboard-dev/REL, which
         * resolves only while the dev view grants it */
        char *const *dev_links;
        const char *control_socket; /* host path, bound at /run/snapd-snap.socket */
        const char *plugctl;        /* host path of the binary, bound at /snap/bin/plugctl */
        const struct pb_sandbox_extra *extras;
        size_t n_extras;
};

int pb_sandbox_build_spec(const struct pb_sandbox_params *p, struct pb_spec **out,
                          struct pb_error *err);
