/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A view's FUSE worker threads (workers.c). */
#pragma once

#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 312
#endif
#include <fuse_lowlevel.h>

struct pb_fuse_workers;

/* A request's way in (device-io.c): fuse_session_process_buf, with
 * O_TMPFILE's request served as a CREATE. */
void pb_fuse_process(struct fuse_session *se, struct fuse_buf *buf);
/* In a request: wait (at most about 20 ms) until every request the kernel
 * queued before it on the same connection has been answered. A lock request
 * that finds a lock in the way calls it before trying again: the close that
 * dropped that lock may be a RELEASE queued just before, still being served
 * by another thread (the kernel sends it in the background). */
void pb_fuse_wait_earlier(void);

/* Starts serving the session's requests with between one and max_workers
 * threads, at most max_idle of them idle (the device is made non-blocking).
 * NULL if no worker could start. */
struct pb_fuse_workers *pb_fuse_workers_start(struct fuse_session *se, unsigned max_workers,
                                              unsigned max_idle);
/* Lets every worker finish the request it serves, then joins and frees them.
 * The device must still be open: call before unmounting. */
void pb_fuse_workers_stop(struct pb_fuse_workers *p);
