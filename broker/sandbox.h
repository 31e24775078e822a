/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The sandbox registry: every running `plugboard run` instance, its snap, uid,
 * launcher and init pids, its control socket and its enforcer. Owned by the
 * run server (broker/run.c); one registry per daemon.
 *
 * Each instance registers a struct pb_enforcer for its (snap, uid). Its
 * publish() (called synchronously by the change worker on every connection
 * change) swaps the instance's table in, wakes control-socket waiters, and
 * SIGKILLs every process of that sandbox holding an fd on a device node the
 * new table no longer grants: the kernel has no revoke() for an open device
 * fd, so the holder goes (Android's rule, DESIGN §7).
 */
#pragma once

#include "broker.h"
#include "sandbox/spec.h"

#include <sys/socket.h>

struct pb_sandboxes;
struct pb_sandbox;

/* What `plugboard run` asks for (already parsed; the uid never comes from it). */
struct pb_run_request {
        char *snap; /* "name" */
        char *app;  /* NULL: the app named like the snap */
        char **args;
        char **env;
        char *cwd;
        uint64_t nofile; /* the caller's soft RLIMIT_NOFILE; 0: not said */
};
void pb_run_request_free(struct pb_run_request *r);

struct pb_sandboxes *pb_sandboxes_new(struct pb_broker *b, const char *runtime_dir);
/* Kills every running sandbox, waits for them, frees. */
void pb_sandboxes_free(struct pb_sandboxes *r);

/* Build the sandbox for `cred` and spawn plugboard-launch with fds[0..2] as
 * the app's stdio. Returns the instance; its channel (pb_sandbox_chan) then
 * carries "pid N", "exit STATUS" or "error MSG" lines from the launcher, and
 * takes "signal N" lines. */
int pb_sandbox_start(struct pb_sandboxes *r, const struct pb_run_request *req,
                     const struct ucred *cred, const int fds[3], struct pb_sandbox **out,
                     struct pb_error *err);
int pb_sandbox_chan(const struct pb_sandbox *s);
const char *pb_sandbox_id(const struct pb_sandbox *s);
/* Record the launcher's report of the sandbox init's host pid. */
void pb_sandbox_set_init_pid(struct pb_sandbox *s, pid_t pid);
/* The app's seccomp listener (the launcher's "listener" line): goes to the
 * sandbox's X11 portal, which answers the app's connect(2) calls; closed when
 * there is none (the app's connects then fail). Takes ownership of fd. */
void pb_sandbox_take_listener(struct pb_sandbox *s, int fd);
/* Reap the launcher, unregister, stop the control socket, release the views
 * when this was the last sandbox of its (snap, uid), free. */
void pb_sandbox_finish(struct pb_sandbox *s);

/* Kill (SIGKILL) the processes in the pid namespace of `init_pid` that hold an
 * fd on a device node for which `still_granted(relname)` is false. Base nodes
 * (null, zero, full, random, urandom, tty, ptmx, pts/N) are always kept.
 * Returns the number of processes killed. Exposed for tests. */
int pb_sandbox_kill_device_holders(pid_t init_pid, const struct pb_grants *g);

/* Where plugboard-launch is: $PLUGBOARD_LAUNCHER, next to the daemon in the
 * build tree, or the installed libexec path. */
const char *pb_sandbox_launcher_path(void);
