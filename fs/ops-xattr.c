/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * statfs, access and extended attributes of the path views.
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

void pb_op_statfs(fuse_req_t req, fuse_ino_t ino)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        struct pb_node *n = pb_node_of(q.v, ino);
        char path[PATH_MAX];
        int r = pb_req_check(&q, n, path, sizeof(path), 0, "statfs");
        struct statvfs sv;
        if (r == 0 && fstatvfs(n->fd, &sv) < 0)
                r = -errno;
        if (r < 0)
                return pb_req_fail(&q, -r);
        fuse_reply_statfs(req, &sv);
        pb_req_end(&q);
}

void pb_op_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        struct pb_node *n = pb_node_of(q.v, ino);
        char path[PATH_MAX];
        unsigned want = 0;
        if (mask & R_OK)
                want |= PB_ACCESS_READ;
        if (mask & W_OK)
                want |= PB_ACCESS_WRITE;
        if ((mask & X_OK) && !S_ISDIR(n->type))
                want |= PB_ACCESS_READ;
        int r = pb_req_check(&q, n, path, sizeof(path), want, "access");
        pb_req_fail(&q, -r);
}

/* xattrs go through the /proc path of the O_PATH fd (the *xattr calls do not
 * take O_PATH fds); symlinks have none we would expose. */
static int xattr_begin(struct pb_req *q, fuse_ino_t ino, unsigned want, const char *op,
                       char proc[32])
{
        struct pb_node *n = pb_node_of(q->v, ino);
        char path[PATH_MAX];
        int r = pb_req_check(q, n, path, sizeof(path), want, op);
        if (r < 0)
                return r;
        if (S_ISLNK(n->type) || q->v->kind == PB_VIEW_DEV)
                return -ENOTSUP;
        pb_proc_path(proc, n->fd);
        return 0;
}

static void reply_sized(struct pb_req *q, size_t size,
                        ssize_t (*fn)(const char *, const char *, char *, size_t), const char *proc,
                        const char *name)
{
        _cleanup_free_ char *buf = size ? malloc(size) : NULL;
        if (size && !buf)
                return pb_req_fail(q, ENOMEM);
        ssize_t len = fn(proc, name, buf, size);
        if (len < 0)
                return pb_req_fail(q, errno);
        if (size == 0)
                fuse_reply_xattr(q->req, (size_t)len);
        else
                fuse_reply_buf(q->req, buf, (size_t)len);
        pb_req_end(q);
}

static ssize_t get_fn(const char *p, const char *name, char *buf, size_t size)
{
        return getxattr(p, name, buf, size);
}

static ssize_t list_fn(const char *p, const char *name, char *buf, size_t size)
{
        (void)name;
        return listxattr(p, buf, size);
}

void pb_op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
        struct pb_req q;
        char proc[32];
        if (!pb_req_begin(&q, req))
                return;
        int r = xattr_begin(&q, ino, PB_ACCESS_READ, "getxattr", proc);
        if (r < 0)
                return pb_req_fail(&q, -r);
        reply_sized(&q, size, get_fn, proc, name);
}

void pb_op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
        struct pb_req q;
        char proc[32];
        if (!pb_req_begin(&q, req))
                return;
        int r = xattr_begin(&q, ino, PB_ACCESS_READ, "listxattr", proc);
        if (r < 0)
                return pb_req_fail(&q, -r);
        reply_sized(&q, size, list_fn, proc, NULL);
}

void pb_op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
                    size_t size, int flags)
{
        struct pb_req q;
        char proc[32];
        if (!pb_req_begin(&q, req))
                return;
        int r = xattr_begin(&q, ino, PB_ACCESS_WRITE, "setxattr", proc);
        if (r == 0 && setxattr(proc, name, value, size, flags) < 0)
                r = -errno;
        pb_req_fail(&q, -r);
}

void pb_op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
        struct pb_req q;
        char proc[32];
        if (!pb_req_begin(&q, req))
                return;
        int r = xattr_begin(&q, ino, PB_ACCESS_WRITE, "removexattr", proc);
        if (r == 0 && removexattr(proc, name) < 0)
                r = -errno;
        pb_req_fail(&q, -r);
}
