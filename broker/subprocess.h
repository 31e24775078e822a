/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "common/pb-util.h"

/* Run argv (argv[0] an absolute path, no shell), wait for it, and on failure
 * fill *err with its name and the first line of its stderr. */
int pb_spawn_wait(char *const argv[], struct pb_error *err);
/* rm -rf of a path (never follows symlinks). */
int pb_rm_rf(const char *path);
