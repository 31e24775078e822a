/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The view's /dev/fuse I/O: libfuse's own read, writev and splice calls,
 * plus two INIT flags that libfuse 3.14 (Debian bookworm) cannot ask for,
 * and the way back of answers to requests that came through io_uring
 * (FUSE_OVER_IO_URING, ring.c): libfuse writes every answer here.
 *
 * FUSE_HANDLE_KILLPRIV_V2 (protocol 7.33, Linux 5.12) says the daemon
 * removes set-user-ID, set-group-ID and file capabilities when a file is
 * written, truncated or chowned. Without it the kernel asks the daemon for
 * "security.capability" (a GETXATTR round trip) on every write(2) of a
 * regular file, cached or not: 20,000 writes of 4 KiB cost 20,000 round
 * trips. With it the superblock gets SB_NOSEC, so the kernel asks once and
 * then trusts the inode until its attributes are refreshed.
 *
 * Our side of the contract holds without code: every host write, truncate
 * and chown is made with the user's fsuid, which drops CAP_FSETID (creds.c),
 * so the host kernel itself removes those bits and the capability, as it
 * would for any unprivileged writer. A view of uid 0 keeps CAP_FSETID and
 * does not ask for the flag (the kernel then keeps doing it itself).
 *
 * How: the INIT request is read into memory (libfuse never splices before
 * INIT); answer_init (view.c) notes whether the kernel offered the flags, and
 * the writev below adds them to the INIT reply, the only reply sent while
 * that note is set. FUSE_OVER_IO_URING is accepted only when the view has
 * its io_uring queues ready (pb_ring_prepare).
 */
#include <linux/fuse.h>
#include <stddef.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "ring.h"
#include "view-int.h"
#include "workers.h"

/* The INIT reply, the only reply sent while a note is set: adds the flags. */
static void add_init_flags(struct pb_view *v, struct iovec *iov, int count)
{
        if (count >= 2 && iov[1].iov_len >= offsetof(struct fuse_init_out, flags) + 4) {
                struct fuse_init_out *out = iov[1].iov_base;
                out->flags |= v->init_flags_add;
                if (v->init_flags2_add &&
                    iov[1].iov_len >= offsetof(struct fuse_init_out, flags2) + 4) {
                        out->flags |= FUSE_INIT_EXT;
                        out->flags2 |= v->init_flags2_add;
                        v->ring_accepted = true;
                }
        }
        v->init_flags_add = 0;
        v->init_flags2_add = 0;
}

static ssize_t io_writev(int fd, struct iovec *iov, int count, void *userdata)
{
        struct pb_view *v = userdata;
        if (v->init_flags_add || v->init_flags2_add)
                add_init_flags(v, iov, count);
        if (v->ring) {
                ssize_t n = pb_ring_reply(v->ring, iov, count);
                if (n != -ENOENT)
                        return n;
        }
        return writev(fd, iov, count);
}

static ssize_t io_read(int fd, void *buf, size_t len, void *userdata)
{
        (void)userdata;
        return read(fd, buf, len);
}

static ssize_t io_splice(int fdin, off_t *offin, int fdout, off_t *offout, size_t len,
                         unsigned int flags, void *userdata)
{
        (void)userdata;
        return splice(fdin, offin, fdout, offout, len, flags);
}

static const struct fuse_custom_io device_io = {
    .writev = io_writev,
    .read = io_read,
    .splice_receive = io_splice,
    .splice_send = io_splice,
};

static __thread bool tmpfile_request;

/* Requests being served, by connection and unique id (the kernel numbers a
 * connection's requests in the order it queues them), one slot per serving
 * thread: pb_fuse_wait_earlier waits on it. A thread without a slot (more
 * threads than slots: my_slot == INFLIGHT_SLOTS) is not tracked, which only
 * makes a wait shorter. */
#define INFLIGHT_SLOTS 256
static struct {
        _Atomic(const void *) se;
        _Atomic uint64_t unique; /* 0: idle */
} inflight[INFLIGHT_SLOTS];
static atomic_uint inflight_claimed;
static __thread int my_slot = -1; /* -1: not claimed yet */
static __thread const void *my_se;
static __thread uint64_t my_unique;

static void inflight_begin(const struct fuse_session *se, uint64_t unique)
{
        if (my_slot < 0) {
                unsigned k = atomic_fetch_add(&inflight_claimed, 1);
                my_slot = k < INFLIGHT_SLOTS ? (int)k : INFLIGHT_SLOTS;
        }
        my_se = se;
        my_unique = unique;
        if (my_slot < INFLIGHT_SLOTS) {
                atomic_store(&inflight[my_slot].se, se);
                atomic_store(&inflight[my_slot].unique, unique);
        }
}

static void inflight_end(void)
{
        if (my_slot >= 0 && my_slot < INFLIGHT_SLOTS)
                atomic_store(&inflight[my_slot].unique, 0);
        my_unique = 0;
}

static bool earlier_in_flight(void)
{
        for (int i = 0; i < INFLIGHT_SLOTS; i++) {
                uint64_t u = atomic_load(&inflight[i].unique);
                if (u && u < my_unique && i != my_slot && atomic_load(&inflight[i].se) == my_se)
                        return true;
        }
        return false;
}

void pb_fuse_wait_earlier(void)
{
        if (!my_unique)
                return;
        /* The thread that read an earlier request may not have said so yet
         * (it does right after its read): a moment first, then up to 20 ms. */
        struct timespec moment = {.tv_nsec = 50 * 1000};
        nanosleep(&moment, NULL);
        for (int i = 0; i < 400 && earlier_in_flight(); i++)
                nanosleep(&moment, NULL);
}

/* libfuse 3.14 has no TMPFILE operation, so O_TMPFILE in a view failed with
 * EOPNOTSUPP. Its request and its answer have CREATE's layout (fuse_create_in
 * and a name; fuse_entry_out and fuse_open_out), so it is served as a CREATE
 * that pb_op_create makes unnamed (pb_fuse_tmpfile_request). Requests
 * libfuse leaves in its pipe are WRITEs with their data, never this one. */
void pb_fuse_process(struct fuse_session *se, struct fuse_buf *buf)
{
        struct fuse_in_header *in = buf->mem;
        bool in_mem = !(buf->flags & FUSE_BUF_IS_FD) && buf->size >= sizeof(*in);
        if (in_mem && in->opcode == FUSE_TMPFILE) {
                in->opcode = FUSE_CREATE;
                tmpfile_request = true;
        }
        if (in_mem)
                inflight_begin(se, in->unique);
        fuse_session_process_buf(se, buf);
        inflight_end();
        tmpfile_request = false;
}

bool pb_fuse_tmpfile_request(void)
{
        return tmpfile_request;
}

int pb_view_use_device_io(struct pb_view *v)
{
        return fuse_session_custom_io(v->se, &device_io, fuse_session_fd(v->se));
}

void pb_view_note_init(struct pb_view *v, const struct fuse_buf *buf)
{
        const struct fuse_in_header *in = buf->mem;
        v->init_flags_add = 0;
        v->init_flags2_add = 0;
        if ((buf->flags & FUSE_BUF_IS_FD) ||
            buf->size < sizeof(*in) + offsetof(struct fuse_init_in, flags) + 4 ||
            in->opcode != FUSE_INIT)
                return;
        const struct fuse_init_in *arg = (const void *)(in + 1);
        if (arg->major != 7)
                return;
        if (v->uid != 0 && arg->minor >= 33)
                v->init_flags_add = arg->flags & FUSE_HANDLE_KILLPRIV_V2;
        if (v->ring && (arg->flags & FUSE_INIT_EXT) &&
            buf->size >= sizeof(*in) + offsetof(struct fuse_init_in, flags2) + 4)
                v->init_flags2_add = arg->flags2 & PB_RING_INIT_FLAG2;
}
