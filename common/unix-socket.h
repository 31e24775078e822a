/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Connect a close-on-exec stream socket to the UNIX socket at path.
 * Returns the fd, or -ENAMETOOLONG / -errno. */
int pb_unix_connect(const char *path);
