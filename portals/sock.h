/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Socket helpers shared by the proxies (loop thread or setup code). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "pb-util.h"

/* A listening, non-blocking, close-on-exec UNIX socket at path (an existing
 * socket file there is replaced; anything else is refused). When uid is not
 * (uid_t)-1 the socket file is chowned to uid:gid, mode 0600, so only that
 * user can connect. Returns the fd or -errno. */
int pb_sock_listen(const char *path, uid_t uid, gid_t gid, struct pb_error *err);
/* A non-blocking connection to a UNIX socket path; -errno on failure. When
 * the server's listen backlog is full it waits for room up to
 * PB_SOCK_BACKLOG_WAIT_US (the caller's thread blocks that long at most),
 * then fails with -EAGAIN. */
#define PB_SOCK_BACKLOG_WAIT_US 20000
int pb_sock_connect(const char *path);
/* The same, but the path is resolved and the socket's write permission
 * checked with the filesystem identity of uid:gid (per-thread setfsuid), so
 * a user can never make the broker reach a socket the user could not reach
 * (PULSE_SERVER=unix:/run/docker.sock). uid (uid_t)-1: as pb_sock_connect. */
int pb_sock_connect_as(const char *path, uid_t uid, gid_t gid);
/* After a splice(2) into a socket failed with EPIPE on a thread that blocks
 * SIGPIPE (the portals' loop thread): consumes the SIGPIPE the kernel queued
 * to this thread, so it neither stays pending nor reaches a later unblock. */
void pb_sock_eat_sigpipe(void);
