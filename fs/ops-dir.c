/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Directory handles of the path views: listings show only names with some
 * access (and, in the dev view, only directories and device nodes).
 * Same request frame and rules as ops.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "view-int.h"

/* Directory handles cost two round trips per listing (OPENDIR, RELEASEDIR):
 * the view answers OPENDIR with ENOSYS when the kernel can do without it, so
 * the kernel never asks again and opens directories on its own. A listing is
 * then read through a stream kept on the node between READDIR calls (closed
 * at the end of the listing), and the kernel caches listings in the
 * directory's page cache (FOPEN_CACHE_DIR|FOPEN_KEEP_CACHE, the kernel's
 * default without OPENDIR; we ask for the same otherwise). Nothing is decided
 * at OPENDIR that READDIR does not decide again: every READDIR checks the
 * directory's access, and publish drops the cached listings it changes
 * (listings.c). The kernel itself drops a cached listing when the view
 * changes the directory, or, for changes made outside, once the attribute
 * timeout has passed and the mtime differs (auto_inval_data). */
void pb_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        struct pb_view *v = q.v;
        struct pb_node *n = pb_node_of(v, ino);
        char path[PATH_MAX];
        int r = pb_req_check(&q, n, path, sizeof(path), 0, "opendir");
        if (r < 0)
                return pb_req_fail(&q, -r);
        if (v->no_opendir)
                return pb_req_fail(&q, ENOSYS);
        fi->fh = 0;
        fi->cache_readdir = 1;
        fi->keep_cache = 1;
        fuse_reply_open(req, fi);
        pb_req_end(&q);
}

/* c holds the directory's path and a '/' (plen bytes); the name is appended
 * in place (no formatting per entry: a listing checks thousands). */
static bool entry_visible(struct pb_req *q, struct pb_node *dir, char *c, size_t plen,
                          struct dirent *e, int dfd)
{
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                return true;
        if (pb_is_own_mountpoint(q->v, dir, e->d_name))
                return false;
        size_t nlen = strlen(e->d_name);
        if (plen + nlen >= PATH_MAX)
                return false;
        memcpy(c + plen, e->d_name, nlen + 1);
        if (pb_view_access(q->v, q->g, c) == 0)
                return false;
        if (q->v->kind == PB_VIEW_DEV) {
                unsigned char t = e->d_type;
                if (t == DT_UNKNOWN) {
                        struct stat st;
                        if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                                return false;
                        return pb_dev_visible(st.st_mode);
                }
                return t == DT_CHR || t == DT_BLK || t == DT_DIR;
        }
        return true;
}

struct pb_dirstream {
        DIR *dp;
        off_t offset;         /* of the next entry */
        struct dirent *entry; /* read but not yet sent (did not fit) */
};

static void dirstream_close(struct pb_node *n)
{
        if (!n->dir)
                return;
        closedir(n->dir->dp);
        free(n->dir);
        n->dir = NULL;
}

void pb_node_dir_free(struct pb_node *n)
{
        dirstream_close(n);
}

/* The node's open directory stream, made on first use. NULL: *err set. */
static struct pb_dirstream *dirstream_open(struct pb_node *n, int *err)
{
        struct pb_dirstream *d = calloc(1, sizeof(*d));
        int fd = openat(n->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (!d || fd < 0 || !(d->dp = fdopendir(fd))) {
                *err = d ? -errno : -ENOMEM;
                if (fd >= 0)
                        close(fd);
                free(d);
                return NULL;
        }
        return n->dir = d;
}

/* Add one entry; READDIRPLUS looks the name up as LOOKUP would (same
 * checks, one lookup count). 1: added; 0: skipped; -1: does not fit. */
static int add_entry(struct pb_req *q, struct pb_node *dir, const char *dpath, struct dirent *de,
                     char *buf, size_t rem, size_t *sz, bool plus)
{
        off_t next = de->d_off;
        if (!plus) {
                struct stat st = {.st_ino = de->d_ino, .st_mode = (mode_t)de->d_type << 12};
                *sz = fuse_add_direntry(q->req, buf, rem, de->d_name, &st, next);
                return *sz > rem ? -1 : 1;
        }
        struct fuse_entry_param e = {
            .attr = {.st_ino = de->d_ino, .st_mode = (mode_t)de->d_type << 12}};
        bool dots = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
        /* "." and "..": no node (ino 0: the kernel links nothing). A name
         * that vanished or is not visible by its real place is left out. */
        if (!dots && pb_lookup_child(q, dir, dpath, false, de->d_name, &e, "readdir") < 0)
                return 0;
        *sz = fuse_add_direntry_plus(q->req, buf, rem, de->d_name, &e, next);
        if (*sz > rem) {
                if (!dots)
                        pb_node_forget(q->v, pb_node_of(q->v, e.ino), 1);
                return -1;
        }
        return 1;
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        struct pb_node *n = pb_node_of(q.v, ino);
        char path[PATH_MAX];
        int r = pb_req_check(&q, n, path, sizeof(path), 0, "readdir");
        if (r < 0)
                return pb_req_fail(&q, -r);
        _cleanup_free_ char *buf = malloc(size);
        if (!buf)
                return pb_req_fail(&q, ENOMEM);
        /* Set before the reply, under the grants read lock: a publish that
         * swaps the table after this sees the mark (listings.c). */
        atomic_store(&n->listed, true);
        pthread_mutex_lock(&n->lock);
        struct pb_dirstream *d = n->dir ? n->dir : dirstream_open(n, &r);
        if (!d) {
                pthread_mutex_unlock(&n->lock);
                return pb_req_fail(&q, -r);
        }
        if (off != d->offset) {
                seekdir(d->dp, off);
                d->entry = NULL;
                d->offset = off;
        }
        size_t used = 0;
        bool eof = false;
        int dfd = dirfd(d->dp);
        char child[PATH_MAX];
        size_t plen = strcmp(path, "/") == 0 ? 0 : strlen(path);
        memcpy(child, path, plen + 1); /* "/" is overwritten below */
        child[plen++] = '/';
        for (;;) {
                if (!d->entry) {
                        errno = 0;
                        d->entry = readdir(d->dp);
                        if (!d->entry) {
                                r = errno;
                                eof = r == 0;
                                break;
                        }
                }
                off_t next = d->entry->d_off;
                if (entry_visible(&q, n, child, plen, d->entry, dfd)) {
                        size_t sz = 0;
                        int a =
                            add_entry(&q, n, path, d->entry, buf + used, size - used, &sz, plus);
                        if (a < 0)
                                break; /* keep the entry for the next call */
                        if (a > 0)
                                used += sz;
                }
                d->entry = NULL;
                d->offset = next;
        }
        /* The listing is complete (or broken): the next one starts afresh,
         * and no descriptor stays open for an idle directory. */
        if (eof || (r && used == 0))
                dirstream_close(n);
        pthread_mutex_unlock(&n->lock);
        if (r && used == 0)
                return pb_req_fail(&q, r);
        fuse_reply_buf(req, buf, used);
        pb_req_end(&q);
}

void pb_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                   struct fuse_file_info *fi)
{
        (void)fi;
        do_readdir(req, ino, size, off, false);
}

/* With READDIRPLUS the kernel learns names and attributes of a whole chunk
 * in one round trip instead of one LOOKUP per name (du, ls -l, find with
 * -type). The kernel decides per listing (READDIRPLUS_AUTO): the first chunk,
 * and the rest only when the names were looked up. */
void pb_op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       struct fuse_file_info *fi)
{
        (void)fi;
        do_readdir(req, ino, size, off, true);
}

void pb_op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        (void)ino;
        (void)fi;
        fuse_reply_err(req, 0);
}

void pb_op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        char path[PATH_MAX];
        int r = pb_req_check(&q, pb_node_of(q.v, ino), path, sizeof(path), 0, "fsync");
        _cleanup_fd_ int fd =
            r == 0 ? openat(pb_node_of(q.v, ino)->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        if (r == 0 && fd < 0)
                r = -errno;
        if (r == 0 && (datasync ? fdatasync(fd) : fsync(fd)) < 0)
                r = -errno;
        (void)fi;
        pb_req_fail(&q, -r);
}
