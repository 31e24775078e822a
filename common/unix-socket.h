/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Connect a close-on-exec stream socket to the UNIX socket at path.
 * Returns the fd, or -ENAMETOOLONG / -errno. */
int pb_unix_connect(const char *path);

/* Read or write exactly n bytes, retrying on EINTR and short transfers.
 * Returns 0, -EIO at end of file, or -errno. Writes never raise SIGPIPE on a
 * socket. */
int pb_read_full(int fd, void *buf, size_t n);
int pb_write_full(int fd, const void *buf, size_t n);

/* A frame on the run socket and the launcher channel: a 32-bit length word in
 * host order, which may carry file descriptors (SCM_RIGHTS), then that many
 * bytes. At most PB_FRAME_MAX_FDS descriptors travel with one frame. */
#define PB_FRAME_MAX_FDS 3
int pb_frame_send(int fd, const void *data, uint32_t len, const int *fds, size_t nfds);
/* Receive a length word and the descriptors sent with it (close-on-exec).
 * Descriptors beyond max_fds are closed. Returns 0, -ENOTSOCK (fd is a pipe or
 * file: nothing was read, use pb_read_full), -EPROTO (short word, truncated
 * ancillary data: every received fd closed) or -errno. */
int pb_frame_recv_len(int fd, uint32_t *len, int *fds, size_t max_fds, size_t *nfds);

/* One message with one descriptor (SCM_RIGHTS): the launcher's seccomp
 * listener on its way from the app to the broker. pb_send_fd returns 0 or
 * -errno. pb_recv_fd is recvmsg(2) with flags: the byte count (0 at end of
 * stream) or -errno, the first descriptor received (close-on-exec) in *fd or
 * -1; any further ones are closed. */
int pb_send_fd(int sock, const void *buf, size_t len, int fd);
ssize_t pb_recv_fd(int sock, void *buf, size_t len, int flags, int *fd);
