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

struct pb_dir {
        DIR *dp;
        off_t offset;
        struct dirent *entry;
};

void pb_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        struct pb_node *n = pb_node_of(q.v, ino);
        char path[PATH_MAX];
        int r = pb_req_check(&q, n, path, sizeof(path), 0, "opendir");
        if (r < 0)
                return pb_req_fail(&q, -r);
        struct pb_dir *d = calloc(1, sizeof(*d));
        int fd = openat(n->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (!d || fd < 0 || !(d->dp = fdopendir(fd))) {
                r = d ? errno : ENOMEM;
                if (fd >= 0)
                        close(fd);
                free(d);
                return pb_req_fail(&q, r);
        }
        fi->fh = (uintptr_t)d;
        if (fuse_reply_open(req, fi) != 0) {
                closedir(d->dp);
                free(d);
        }
        pb_req_end(&q);
}

static bool entry_visible(struct pb_req *q, struct pb_node *dir, const char *dpath,
                          struct dirent *e, int dfd)
{
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                return true;
        if (pb_is_own_mountpoint(q->v, dir, e->d_name))
                return false;
        char c[PATH_MAX];
        if (pb_child_path(c, sizeof(c), dpath, e->d_name) < 0)
                return false;
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

void pb_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                   struct fuse_file_info *fi)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        struct pb_node *n = pb_node_of(q.v, ino);
        struct pb_dir *d = (struct pb_dir *)(uintptr_t)fi->fh;
        char path[PATH_MAX];
        int r = pb_req_check(&q, n, path, sizeof(path), 0, "readdir");
        if (r < 0)
                return pb_req_fail(&q, -r);
        _cleanup_free_ char *buf = malloc(size);
        if (!buf)
                return pb_req_fail(&q, ENOMEM);
        if (off != d->offset) {
                seekdir(d->dp, off);
                d->entry = NULL;
                d->offset = off;
        }
        size_t used = 0;
        int dfd = dirfd(d->dp);
        for (;;) {
                if (!d->entry) {
                        errno = 0;
                        d->entry = readdir(d->dp);
                        if (!d->entry) {
                                if (errno && used == 0)
                                        return pb_req_fail(&q, errno);
                                break;
                        }
                }
                off_t next = d->entry->d_off;
                if (entry_visible(&q, n, path, d->entry, dfd)) {
                        struct stat st = {.st_ino = d->entry->d_ino,
                                          .st_mode = (mode_t)d->entry->d_type << 12};
                        size_t sz = fuse_add_direntry(req, buf + used, size - used,
                                                      d->entry->d_name, &st, next);
                        if (sz > size - used)
                                break; /* keep the entry for the next call */
                        used += sz;
                }
                d->entry = NULL;
                d->offset = next;
        }
        fuse_reply_buf(req, buf, used);
        pb_req_end(&q);
}

void pb_op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct pb_dir *d = (struct pb_dir *)(uintptr_t)fi->fh;
        closedir(d->dp);
        free(d);
        fuse_reply_err(req, 0);
}

void pb_op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        char path[PATH_MAX];
        int r = pb_req_check(&q, pb_node_of(q.v, ino), path, sizeof(path), 0, "fsync");
        struct pb_dir *d = (struct pb_dir *)(uintptr_t)fi->fh;
        if (r == 0 && (datasync ? fdatasync(dirfd(d->dp)) : fsync(dirfd(d->dp))) < 0)
                r = -errno;
        pb_req_fail(&q, -r);
}
