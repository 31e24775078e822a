/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Answers a sandbox's connect(2) calls from its seccomp listener (the app
 * runs with a filter that returns SECCOMP_RET_USER_NOTIF for connect; the
 * launcher passes the listener to the broker). For each call on an
 * unconnected AF_UNIX stream socket the owner's claim callback sees the
 * address and decides:
 *   - pass (0): the kernel performs the connect as if nothing had looked;
 *   - hand over (1, *fd): the app's socket is replaced by *fd, a socket the
 *     broker connected (SECCOMP_IOCTL_NOTIF_ADDFD on the same fd number, the
 *     app's O_NONBLOCK and close-on-exec kept), and connect returns 0; the
 *     socket is remembered (by inode, no descriptor kept) so that
 *     pb_connect_notify_cut can end it later;
 *   - refuse (-errno): connect fails with that errno.
 * Anything this module cannot inspect (another family or type, an address it
 * cannot read, a connected socket) passes: passing only lets the kernel do
 * what the app asked, with every other confinement in force, so it is never
 * the way around a decision (SECCOMP_USER_NOTIF_FLAG_CONTINUE's caveat).
 *
 * Runs in a pb_loop: pb_connect_notify_new and _free in the loop's thread.
 */
#pragma once

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "loop.h"

struct pb_connect_notify;

/* sa/len: the address the app passed (len bytes of it are valid, at least
 * the family). room: whether a socket may be handed over now (below the
 * cap); without it a claim that would hand one over refuses instead. */
typedef int (*pb_connect_claim)(void *data, const struct sockaddr_un *sa, socklen_t len, bool room,
                                int *fd);

/* Takes ownership of listener (closed on failure too). At most max_live
 * handed-over sockets may be held in the sandbox at once (0 or more than
 * 256: 256); the claim is told when there is no room. */
int pb_connect_notify_new(struct pb_loop *loop, int listener, unsigned max_live,
                          pb_connect_claim claim, void *data, struct pb_connect_notify **out);
void pb_connect_notify_free(struct pb_connect_notify *n);
/* Shuts down (SHUT_RDWR, through a pidfd_getfd copy) every socket handed
 * over so far that a process of the sandbox still holds, wherever it went
 * (fork, SCM_RIGHTS within the sandbox): both ends see the connection end
 * at once. Returns how many. n may be NULL. */
unsigned pb_connect_notify_cut(struct pb_connect_notify *n);
