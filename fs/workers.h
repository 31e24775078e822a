/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A view's FUSE worker threads (workers.c). */
#pragma once

#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 312
#endif
#include <fuse_lowlevel.h>

/* Serves the session's requests until it ends, with between one and
 * max_workers threads, at most max_idle of them idle. 0, or a negative errno
 * if no worker could start. */
int pb_fuse_workers_run(struct fuse_session *se, unsigned max_workers, unsigned max_idle);
