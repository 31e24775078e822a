/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The launch spec: everything plugboard-launch needs to build one sandbox,
 * decided by the broker (which knows the snap, the caller's SO_PEERCRED and the
 * views) and handed to the launcher as JSON over a socketpair. The launcher is
 * pure mechanism: it mounts what the spec lists, switches to the spec's uid
 * and confines; it makes no policy decision of its own except the fixed base
 * layout (DESIGN §8) and the confinement, which no spec can weaken.
 *
 * Wire format between broker and launcher (fd 3, a SOCK_STREAM socketpair):
 *   broker -> launcher: u32 length (host order) + JSON spec, then nothing;
 *   launcher -> broker: text lines "pid <host pid of the sandbox init>\n",
 *                       "exit <wait status of the app>\n", or "error <msg>\n",
 *                       and with notify_connect "listener\n" carrying the
 *                       app's seccomp listener fd (SCM_RIGHTS).
 */
#pragma once

#include "pb-util.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PB_SPEC_MAX_BYTES (1u << 20)
#define PB_SPEC_MAX_ITEMS 4096

enum pb_mount_kind {
        PB_MOUNT_BIND_RO,  /* read-only bind, nosuid,nodev */
        PB_MOUNT_BIND_RW,  /* writable bind, nosuid,nodev (views enforce their own rules) */
        PB_MOUNT_BIND_DEV, /* the dev view: bind keeping device nodes usable, nosuid,noexec */
        PB_MOUNT_SYMLINK   /* target becomes a symlink whose content is `source` */
};

struct pb_mount {
        char *source; /* absolute host path */
        char *target; /* absolute path inside the sandbox */
        enum pb_mount_kind kind;
        bool file;     /* target is a file (a socket, a binary), not a directory */
        bool optional; /* a missing source is skipped instead of fatal */
        bool user;     /* open the source with the user's fs credentials (views,
                        * user-owned paths): a view serves only its user */
};

struct pb_spec {
        char *snap, *revision, *app, *instance;
        uid_t uid;
        gid_t gid;
        gid_t *groups;
        size_t n_groups;
        char *home;              /* the user's home, absolute, from the passwd database */
        char *cwd;               /* inside the sandbox; falls back to home when absent there */
        char **argv;             /* argv[0] is the path inside the sandbox to execute */
        char **env;              /* the complete environment of the app */
        bool network;            /* keep the host network namespace */
        char *snap_source;       /* host directory mounted read-only at /snap/NAME/REV */
        char *dev_view;          /* host path of the dev view, or NULL for the static /dev */
        struct pb_mount *mounts; /* applied in order, after the base layout */
        size_t n_mounts;
        bool make_user_dirs; /* create ~/snap/NAME/{REV,common} as the user first */
        /* The app's connect(2) calls wait for the broker (seccomp user
         * notification; the launcher sends the listener up the channel as a
         * "listener" line): its X11 portal hands X clients a direct socket. */
        bool notify_connect;
        /* The app's soft RLIMIT_NOFILE (0: PB_SPEC_NOFILE_DEFAULT), capped at
         * the hard limit the launcher inherited: the caller's own limit,
         * not the broker's, which its views raised to the hard limit. */
        uint64_t nofile;
};
/* The soft RLIMIT_NOFILE an app gets when its caller did not say: select(2)'s
 * FD_SETSIZE, systemd's default for every service. */
#define PB_SPEC_NOFILE_DEFAULT 1024

void pb_spec_free(struct pb_spec *s);
static inline void pb_spec_freep(struct pb_spec **s)
{
        if (*s)
                pb_spec_free(*s);
}
#define _cleanup_spec_ __attribute__((cleanup(pb_spec_freep)))

/* Parse and validate (absolute clean paths, sane names, bounded sizes). */
int pb_spec_parse(const char *json, size_t len, struct pb_spec **out, struct pb_error *err);
/* Serialise; returns a malloc'd NUL-terminated string or NULL on ENOMEM. */
char *pb_spec_to_json(const struct pb_spec *s);
/* An absolute path without "." or ".." components, "//", or a trailing '/'. */
bool pb_spec_path_ok(const char *p);
/* A snap, app or revision name: [a-z0-9][a-z0-9-]* (revision: [a-z0-9]+). */
bool pb_spec_name_ok(const char *n, size_t max);
