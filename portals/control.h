/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The per-sandbox control socket (DESIGN §4, SNAPD-COMPAT §1b, §1d): snapd's
 * `POST /v2/snapctl` on a UNIX socket that the broker creates for one sandbox
 * instance and the launcher binds at /run/snapd-snap.socket. The identity of
 * the caller is the socket it connected to -- never the "context-id" it sends
 * -- so a sandbox can only ask about its own snap's plugs and slots.
 *
 * Served: `is-connected [--pid N] [--list] NAME` (snapd's exit codes and
 * texts) and plugboard's `GET /v2/plugboard/wait?name=NAME` long poll, which
 * answers when NAME is connected (plugctl wait). Requests are capped (headers
 * 8 KiB, body 64 KiB); anything else gets an error response, never a crash.
 */
#pragma once

#include "grants.h"
#include "pb-util.h"

#include <sys/types.h>

struct pb_control;

/* For `is-connected --pid N SLOT`: the snap name running as pid N (the
 * caller's pid namespace is the host's), and its current table (a new
 * reference), or -ESRCH when N is not in any sandbox. */
typedef int (*pb_control_peer_fn)(void *ctx, pid_t pid, char **snap, struct pb_grants **g);

struct pb_control_config {
        const char *path; /* where to bind; the parent directory must exist */
        uid_t uid;        /* the socket is chowned to uid:gid, mode 0600 */
        gid_t gid;
        const char *snap;
        struct pb_grants *grants; /* initial table; the control takes a reference */
        pb_control_peer_fn peer;
        void *peer_ctx;
};

int pb_control_start(const struct pb_control_config *cfg, struct pb_control **out,
                     struct pb_error *err);
/* New table: answers use it from now on; waiters are woken. */
void pb_control_publish(struct pb_control *c, struct pb_grants *g);
/* Stop serving, unlink the socket, free. NULL is fine. */
void pb_control_stop(struct pb_control *c);

/* The snapctl command itself, pure (unit tested): runs `args` against `g`
 * and fills the envelope fields. Returns the exit code (0, 1, 10, 11) or -1
 * for an error whose message is in *out_err ("error running snapctl: ..."
 * is added by the caller). */
struct pb_snapctl_result {
        int exit_code;
        char *out; /* stdout text, malloc'd, may be empty */
        char err[256];
};
int pb_snapctl_run(const struct pb_grants *g, char *const *args, size_t n_args,
                   pb_control_peer_fn peer, void *peer_ctx, struct pb_snapctl_result *r);
