/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * File handle operations: open, create, read, write, fsync, locks. An open
 * handle is re-checked against the current table on every operation (the
 * kernel never re-checks an open fd, reference/FUSE.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "ring.h"
#include "view-int.h"

#define RW              (PB_ACCESS_READ | PB_ACCESS_WRITE)
#define PB_WRITEOUT_MIN (256 * 1024)

static struct pb_fh *fh_of(struct fuse_file_info *fi)
{
        return (struct pb_fh *)(uintptr_t)fi->fh;
}

static unsigned want_of(int flags)
{
        unsigned w = 0;
        switch (flags & O_ACCMODE) {
        case O_RDONLY:
                w = PB_ACCESS_READ;
                break;
        case O_WRONLY:
                w = PB_ACCESS_WRITE;
                break;
        default:
                w = RW;
        }
        if (flags & O_TRUNC)
                w |= PB_ACCESS_WRITE;
        return w;
}

/* Flags for the host open: no creation, no following, never blocking on
 * open; O_DIRECT becomes the handle's direct_io instead (alignment is the
 * kernel's business on the FUSE side). */
static int host_flags(const struct pb_view *v, int flags)
{
        int f = (flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_NOFOLLOW | O_DIRECT)) | O_CLOEXEC |
                O_NONBLOCK;
        /* With the writeback cache the kernel reads pages of write-only
         * files and chooses every write's offset itself. */
        if (v->writeback) {
                f &= ~O_APPEND;
                if ((f & O_ACCMODE) == O_WRONLY)
                        f = (f & ~O_ACCMODE) | O_RDWR;
        }
        return f;
}

/* Open for I/O; a write-only file the user may not read stays write-only. */
static int host_open(const struct pb_view *v, int dirfd, const char *name, int flags, mode_t mode)
{
        int hf = host_flags(v, flags) | (flags & (O_CREAT | O_EXCL | O_NOFOLLOW));
        int fd = openat(dirfd, name, hf, mode);
        if (fd < 0 && errno == EACCES && (flags & O_ACCMODE) == O_WRONLY &&
            (hf & O_ACCMODE) == O_RDWR)
                fd = openat(dirfd, name, (hf & ~O_ACCMODE) | O_WRONLY, mode);
        return fd;
}

/* Finish a host fd into a handle and answer. fd must be a regular file. */
static int make_handle(struct pb_view *v, struct pb_node *n, int fd, int flags,
                       struct fuse_file_info *fi)
{
        if (!(flags & O_NONBLOCK))
                fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        struct pb_fh *h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->fd = fd;
        h->writable = (flags & O_ACCMODE) != O_RDONLY;
        if (h->writable)
                atomic_fetch_add(&n->writers, 1);
        atomic_fetch_add(&n->handles, 1);
        pthread_mutex_lock(&v->fh_lock);
        h->next = v->fhs;
        if (v->fhs)
                v->fhs->prev = h;
        v->fhs = h;
        pthread_mutex_unlock(&v->fh_lock);
        fi->fh = (uintptr_t)h;
        /* Cached pages survive reopen; every revoke invalidates them. */
        fi->keep_cache = !(flags & O_DIRECT);
        fi->direct_io = !!(flags & O_DIRECT);
        return 0;
}

static void drop_handle(struct pb_view *v, struct pb_node *n, struct pb_fh *h)
{
        pthread_mutex_lock(&v->fh_lock);
        if (h->prev)
                h->prev->next = h->next;
        else
                v->fhs = h->next;
        if (h->next)
                h->next->prev = h->prev;
        pthread_mutex_unlock(&v->fh_lock);
        pb_locks_release_handle(n, h);
        if (h->writable)
                atomic_fetch_sub(&n->writers, 1);
        atomic_fetch_sub(&n->handles, 1);
        close(h->fd);
        free(h);
}

void pb_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        struct pb_node *n = pb_node_of(q.v, ino);
        char path[PATH_MAX], proc[32];
        int r = pb_req_check(&q, n, path, sizeof(path), want_of(fi->flags), "open");
        /* Only regular files are opened by the daemon: directories go through
         * opendir, and FIFOs, sockets and device nodes never get here (the
         * kernel handles them itself; home and media are nodev). */
        if (r == 0 && !S_ISREG(n->type))
                r = S_ISDIR(n->type) ? -EISDIR : -EACCES;
        int fd = -1;
        if (r == 0) {
                pb_proc_path(proc, n->fd);
                fd =
                    host_open(q.v, AT_FDCWD, proc, fi->flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW), 0);
                if (fd < 0)
                        r = -errno;
        }
        if (r == 0 && (r = make_handle(q.v, n, fd, fi->flags, fi)) < 0)
                close(fd);
        if (r < 0)
                return pb_req_fail(&q, -r);
        if (fuse_reply_open(req, fi) != 0)
                drop_handle(q.v, n, fh_of(fi));
        pb_req_end(&q);
}

/* A created file's answer: its node (pfd, an O_PATH fd, consumed) and its
 * handle (fd, consumed). */
static void reply_created(struct pb_req *q, fuse_ino_t parent, const char *name, int pfd,
                          const struct stat *pst, int fd, struct fuse_file_info *fi)
{
        struct pb_view *v = q->v;
        struct pb_node *n = pb_node_lookup(v, pfd, pst, parent, name);
        if (!n) {
                close(fd);
                return pb_req_fail(q, ENOMEM);
        }
        int r = make_handle(v, n, fd, fi->flags, fi);
        if (r < 0) {
                close(fd);
                pb_node_forget(v, n, 1);
                return pb_req_fail(q, -r);
        }
        struct fuse_entry_param e = {
            .ino = pb_node_id(v, n),
            .attr = *pst,
            .attr_timeout = v->attr_timeout,
            .entry_timeout = v->entry_timeout,
        };
        pb_node_entry_sent(v, n);
        if (fuse_reply_create(q->req, &e, fi) != 0) {
                drop_handle(v, n, fh_of(fi));
                pb_node_forget(v, n, 1);
        }
        pb_req_end(q);
}

/* O_TMPFILE (pb_fuse_tmpfile_request): an unnamed file in the directory,
 * a node by its inode alone, given a name later by LINK (through its /proc
 * link) unless O_EXCL said never. Until then its host path is the
 * directory's plus "#INODE", which every later request checks as usual. */
static void create_unnamed(struct pb_req *q, struct pb_node *p, fuse_ino_t parent, mode_t mode,
                           struct fuse_file_info *fi)
{
        struct pb_view *v = q->v;
        int fd = openat(p->fd, ".", host_flags(v, fi->flags) | (fi->flags & O_EXCL) | O_TMPFILE,
                        mode & 07777);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
                int e = errno;
                if (fd >= 0)
                        close(fd);
                return pb_req_fail(q, e);
        }
        if (mode & v->umask & 07777)
                fchmod(fd, mode & 07777);
        char proc[32];
        pb_proc_path(proc, fd);
        int pfd = open(proc, O_PATH | O_CLOEXEC);
        struct stat pst;
        if (pfd < 0 || fstat(pfd, &pst) < 0 || pst.st_ino != st.st_ino) {
                int e = pfd < 0 ? errno : EAGAIN;
                if (pfd >= 0)
                        close(pfd);
                close(fd);
                return pb_req_fail(q, e);
        }
        reply_created(q, parent, NULL, pfd, &pst, fd, fi);
}

void pb_op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
                  struct fuse_file_info *fi)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        struct pb_view *v = q.v;
        struct pb_node *p = pb_node_of(v, parent);
        char ppath[PATH_MAX], cpath[PATH_MAX];
        /* An unnamed file is checked as a file made in the directory under
         * the name "#" (its host path is "#INODE" until it is linked). */
        bool unnamed = pb_fuse_tmpfile_request();
        const char *as = unnamed ? "#" : name;
        int r = v->kind == PB_VIEW_DEV ? -EROFS : pb_check_name(as, EINVAL);
        if (r == 0)
                r = pb_req_check(&q, p, ppath, sizeof(ppath), 0, "create");
        if (r == 0)
                r = pb_child_path(cpath, sizeof(cpath), ppath, as);
        unsigned access = r == 0 ? pb_view_access(v, q.g, cpath) : 0;
        if (r == 0 && !(access & PB_ACCESS_WRITE)) {
                pb_view_deny(v, q.g, cpath, "create", PB_ACCESS_WRITE);
                r = -EACCES;
        }
        if (r == 0 && (want_of(fi->flags) & PB_ACCESS_READ) && !(access & PB_ACCESS_READ))
                r = -EACCES;
        if (r < 0)
                return pb_req_fail(&q, -r);
        if (unnamed)
                return create_unnamed(&q, p, parent, mode, fi);
        /* O_EXCL first, so we know whether we created it (and fix its mode). */
        int fl = (fi->flags & ~(O_CREAT | O_EXCL)) | O_NOFOLLOW;
        bool created = true;
        int fd = host_open(v, p->fd, name, fl | O_CREAT | O_EXCL, mode & 07777);
        if (fd < 0 && errno == EEXIST && !(fi->flags & O_EXCL)) {
                /* It exists (a race with the host): open it only if it is a
                 * regular file — opening a device node or FIFO that appeared
                 * there could have effects (nodev or not on the host). */
                created = false;
                struct stat est;
                int efd = openat(p->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                char proc[32];
                if (efd >= 0 && fstat(efd, &est) == 0 && S_ISREG(est.st_mode)) {
                        pb_proc_path(proc, efd);
                        fd = host_open(v, AT_FDCWD, proc, fl & ~O_NOFOLLOW, 0);
                } else {
                        fd = -1;
                        errno = efd < 0 ? errno : EACCES;
                }
                if (efd >= 0) {
                        int saved = errno;
                        close(efd);
                        errno = saved;
                }
        }
        if (fd < 0)
                return pb_req_fail(&q, errno);
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return pb_req_fail(&q, EACCES);
        }
        if (created && (mode & v->umask & 07777))
                fchmod(fd, mode & 07777);
        int pfd = openat(p->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        struct stat pst;
        if (pfd < 0 && pb_out_of_fds(errno)) {
                /* No descriptor left for the node: take back what we made,
                 * so that the error the app gets leaves nothing behind. */
                int e = errno;
                if (created)
                        (void)unlinkat(p->fd, name, 0);
                close(fd);
                return pb_req_fail(&q, e);
        }
        if (pfd < 0 || fstat(pfd, &pst) < 0 || pst.st_ino != st.st_ino || pst.st_dev != st.st_dev) {
                if (pfd >= 0)
                        close(pfd);
                close(fd);
                return pb_req_fail(&q, EAGAIN); /* replaced under us */
        }
        reply_created(&q, parent, name, pfd, &pst, fd, fi);
}

/* Up to size bytes at off, fewer only at the end of the file; -errno if
 * nothing could be read. */
static ssize_t read_full(int fd, char *buf, size_t size, off_t off)
{
        size_t got = 0;
        while (got < size) {
                ssize_t n = pread(fd, buf + got, size - got, off + (off_t)got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && got == 0)
                        return -errno;
                if (n <= 0)
                        break;
                got += (size_t)n;
        }
        return (ssize_t)got;
}

/* What reading through a handle needs. A handle opened for writing dies
 * with write access: otherwise a shared writable mmap could re-fault its
 * pages (read) and dirty them again, and their write-back would then be
 * refused and lost. */
static unsigned read_want(struct fuse_file_info *fi)
{
        return PB_ACCESS_READ | (fh_of(fi)->writable ? PB_ACCESS_WRITE : 0);
}

/* What a call on the handle itself needs (fsync, SEEK_DATA): its mode. */
static unsigned handle_want(struct fuse_file_info *fi)
{
        return fh_of(fi)->writable ? PB_ACCESS_WRITE : PB_ACCESS_READ;
}

void pb_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        char path[PATH_MAX];
        int r = pb_req_check(&q, pb_node_of(q.v, ino), path, sizeof(path), read_want(fi), "read");
        if (r < 0)
                return pb_req_fail(&q, -r);
        /* Replied while the read lock is held: a publish cannot return while
         * this old-table answer is still on its way. */
        char *mem = pb_ring_buffer(size);
        if (mem) { /* read where the answer goes (ring.c) */
                ssize_t n = read_full(fh_of(fi)->fd, mem, size, off);
                if (n < 0)
                        return pb_req_fail(&q, (int)-n);
                fuse_reply_buf(req, mem, (size_t)n);
                pb_req_end(&q);
                return;
        }
        struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);
        buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
        buf.buf[0].fd = fh_of(fi)->fd;
        buf.buf[0].pos = off;
        fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
        pb_req_end(&q);
}

void pb_op_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *in, off_t off,
                     struct fuse_file_info *fi)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        char path[PATH_MAX];
        int r = 0;
        /* Write-back of pages dirtied before a revoke, while the publish
         * invalidates them: accepted, or the data would be lost silently. */
        if (!(fi->writepage && fh_of(fi)->writable && atomic_load(&q.v->laundering)))
                r = pb_req_check(&q, pb_node_of(q.v, ino), path, sizeof(path), PB_ACCESS_WRITE,
                                 "write");
        if (r < 0)
                return pb_req_fail(&q, -r);
        struct fuse_bufvec out = FUSE_BUFVEC_INIT(fuse_buf_size(in));
        out.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
        out.buf[0].fd = fh_of(fi)->fd;
        out.buf[0].pos = off;
        struct pb_node *n = pb_node_of(q.v, ino);
        pthread_mutex_lock(&n->write_lock);
        ssize_t res = fuse_buf_copy(&out, in, 0);
        pthread_mutex_unlock(&n->write_lock);
        if (res < 0)
                return pb_req_fail(&q, (int)-res);
        /* Large write-back: start the host's write-out of it now (without
         * waiting), so the disk works while the app still writes instead of
         * all at its fsync; natively the data would have one copy less to
         * make first. On a dup: once replied, the kernel may RELEASE the
         * handle (freed, its fd closed and reused) before this runs. */
        int wfd =
            res >= PB_WRITEOUT_MIN && fi->writepage ? fcntl(fh_of(fi)->fd, F_DUPFD_CLOEXEC, 0) : -1;
        fuse_reply_write(req, (size_t)res);
        if (wfd >= 0) {
                sync_file_range(wfd, off, res, SYNC_FILE_RANGE_WRITE);
                close(wfd);
        }
        pb_req_end(&q);
}

/* copy_file_range between two handles of the view: the host copies (in its
 * kernel, or by sharing extents where its file system can) instead of every
 * byte crossing the daemon twice. The same checks as a read of the source
 * handle and a write of the destination; the kernel writes both ranges'
 * cached pages back first and drops the destination's after. */
void pb_op_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
                           struct fuse_file_info *fi_in, fuse_ino_t ino_out, off_t off_out,
                           struct fuse_file_info *fi_out, size_t len, int flags)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        char path[PATH_MAX];
        int r =
            pb_req_check(&q, pb_node_of(q.v, ino_in), path, sizeof(path), read_want(fi_in), "read");
        if (r == 0)
                r = pb_req_check(&q, pb_node_of(q.v, ino_out), path, sizeof(path), PB_ACCESS_WRITE,
                                 "write");
        loff_t in = off_in, out = off_out;
        struct pb_node *n = pb_node_of(q.v, ino_out);
        ssize_t done = -1;
        if (r == 0) {
                pthread_mutex_lock(&n->write_lock);
                done = copy_file_range(fh_of(fi_in)->fd, &in, fh_of(fi_out)->fd, &out, len,
                                       (unsigned)flags);
                r = done < 0 ? -errno : 0;
                pthread_mutex_unlock(&n->write_lock);
        }
        if (r < 0)
                return pb_req_fail(&q, -r);
        fuse_reply_write(req, (size_t)done);
        pb_req_end(&q);
}

void pb_op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct pb_view *v = fuse_req_userdata(req);
        if (v->test_release_delay_us > 0)
                usleep((useconds_t)v->test_release_delay_us);
        drop_handle(v, pb_node_of(v, ino), fh_of(fi));
        fuse_reply_err(req, 0);
}

void pb_op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        char path[PATH_MAX];
        int fd = fh_of(fi)->fd;
        int r =
            pb_req_check(&q, pb_node_of(q.v, ino), path, sizeof(path), handle_want(fi), "fsync");
        if (r == 0 && (datasync ? fdatasync(fd) : fsync(fd)) < 0)
                r = -errno;
        pb_req_fail(&q, -r);
}

/* SEEK_DATA and SEEK_HOLE, answered by the host file so that sparse files
 * stay sparse when copied out of the view (cp, tar --sparse); the kernel
 * writes its dirty pages back before asking, and answers the other
 * whences itself. */
void pb_op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, struct fuse_file_info *fi)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        char path[PATH_MAX];
        int r =
            pb_req_check(&q, pb_node_of(q.v, ino), path, sizeof(path), handle_want(fi), "lseek");
        off_t at = r == 0 ? lseek(fh_of(fi)->fd, off, whence) : -1;
        if (r == 0 && at < 0)
                r = -errno;
        if (r < 0)
                return pb_req_fail(&q, -r);
        fuse_reply_lseek(req, at);
        pb_req_end(&q);
}

void pb_op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
                     struct fuse_file_info *fi)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        char path[PATH_MAX];
        int r = pb_req_check(&q, pb_node_of(q.v, ino), path, sizeof(path), PB_ACCESS_WRITE,
                             "fallocate");
        if (r == 0 && fallocate(fh_of(fi)->fd, mode, off, len) < 0)
                r = -errno;
        pb_req_fail(&q, -r);
}
