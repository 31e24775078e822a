/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The run socket (default /run/plugboard/run.socket, mode 0666): where
 * `plugboard run` asks for an app to be started confined. Not HTTP: the
 * request carries the caller's stdio as SCM_RIGHTS, which does not fit a
 * request/response API.
 *
 * Protocol (all integers host order; every byte from the client is hostile):
 *   client -> broker: u32 length + JSON {"snap":S,"app":A|null,"args":[..],
 *                     "env":["K=V",..],"cwd":P}, with exactly 3 fds (stdin,
 *                     stdout, stderr) as SCM_RIGHTS on the first byte;
 *                     then lines "signal N\n".
 *   broker -> client: lines "exit STATUS\n" (a wait status), "error MSG\n"
 *                     (refused; exit 1), "failed\n" (the sandbox could not be
 *                     built; the launcher printed why on the app's stderr).
 * The uid and gid come from SO_PEERCRED, never from the message. A client
 * that hangs up ends its sandbox.
 */
#pragma once

#include "broker.h"

#define PB_RUN_REQUEST_MAX (1u << 20)

struct pb_run;

int pb_run_start(struct pb_broker *b, const char *socket_path, struct pb_run **out,
                 struct pb_error *err);
void pb_run_stop(struct pb_run *r);
