/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The processes of one pid namespace (a sandbox's), found through /proc. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* A pid namespace, as /proc/PID/ns/pid names it. */
struct pb_pidns {
        dev_t dev;
        ino_t ino;
};

/* The pid namespace of pid; false if pid is gone or unreadable. */
bool pb_pidns_of(pid_t pid, struct pb_pidns *out);

/* Calls fn(pid, data) for every process (thread-group leader) in ns. */
void pb_pidns_each(const struct pb_pidns *ns, void (*fn)(pid_t pid, void *data), void *data);
