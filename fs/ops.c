/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Name and attribute operations of the path views (home, media, host, dev).
 *
 * Every request: refuse callers other than the view's user (and root), act
 * as the user, hold the grants read lock until the reply is sent (publish
 * waits for it), derive the node's host path from its O_PATH fd (so renames
 * by anyone are followed), check the current table, then touch the host only
 * relative to the node's fd, never following a symlink.
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
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "view-int.h"

#define RW (PB_ACCESS_READ | PB_ACCESS_WRITE)

void pb_proc_path(char buf[32], int fd)
{
        snprintf(buf, 32, "/proc/self/fd/%d", fd);
}

bool pb_req_begin(struct pb_req *q, fuse_req_t req)
{
        struct pb_view *v = fuse_req_userdata(req);
        const struct fuse_ctx *ctx = fuse_req_ctx(req);
        q->v = v;
        q->req = req;
        q->g = NULL;
        q->locked = false;
        /* allow_other lets every local user reach the mount; only the view's
         * user (and root, who gains nothing: we act as the user) is served. */
        if (ctx->uid != v->uid && ctx->uid != 0) {
                fuse_reply_err(req, EACCES);
                return false;
        }
        pb_view_become_user(v);
        if (!pb_view_is_user(v)) {
                fuse_reply_err(req, EPERM);
                return false;
        }
        pthread_rwlock_rdlock(&v->grants_lock);
        q->locked = true;
        q->g = v->grants;
        return true;
}

void pb_req_end(struct pb_req *q)
{
        if (q->locked)
                pthread_rwlock_unlock(&q->v->grants_lock);
        q->locked = false;
}

bool pb_out_of_fds(int err)
{
        return err == EMFILE || err == ENFILE;
}

/* The daemon's own descriptors ran out (each node the kernel keeps cached
 * holds one). The app is told ENFILE, not EMFILE, which would name its own
 * table, and the log says what to raise, at most once a minute per view. */
static int fd_shortage(struct pb_view *v, int err)
{
        if (!pb_out_of_fds(err))
                return err;
        pb_prune_out_of_fds(v);
        time_t now = time(NULL);
        time_t last = atomic_load(&v->fds_warned);
        if (now - last >= 60 && atomic_compare_exchange_strong(&v->fds_warned, &last, now)) {
                pthread_mutex_lock(&v->nodes_lock);
                size_t nodes = v->count;
                pthread_mutex_unlock(&v->nodes_lock);
                pb_warn("fs: the view on %s ran out of file descriptors with %zu nodes cached "
                        "by the kernel; raise the broker's RLIMIT_NOFILE",
                        v->mountpoint, nodes);
        }
        return ENFILE;
}

void pb_req_fail(struct pb_req *q, int err)
{
        fuse_reply_err(q->req, fd_shortage(q->v, err));
        pb_req_end(q);
}

unsigned pb_view_access(const struct pb_view *v, const struct pb_grants *g, const char *path)
{
        const char *rel = path;
        if (v->host_root_len) {
                if (strncmp(path, v->host_root, v->host_root_len) != 0 ||
                    (path[v->host_root_len] != '/' && path[v->host_root_len] != '\0'))
                        return 0;
                rel = path + v->host_root_len;
        }
        if (v->kind == PB_VIEW_DEV) {
                if (*rel == '\0' || strcmp(rel, "/") == 0)
                        return PB_ACCESS_TRAVERSE;
                return pb_grants_device(g, rel + 1);
        }
        unsigned a = pb_grants_path(g, path);
        if (*rel == '\0' || strcmp(rel, "/") == 0)
                a |= PB_ACCESS_TRAVERSE; /* the view's root always answers */
        return a;
}

void pb_view_deny(struct pb_view *v, const struct pb_grants *g, const char *path, const char *op,
                  unsigned want)
{
        if (!v->audit)
                return;
        const struct pb_grants_endpoint *e = NULL;
        if (want == 0)
                want = PB_ACCESS_READ;
        const char *rel = path;
        if (v->kind == PB_VIEW_DEV) {
                rel = path + v->host_root_len;
                while (*rel == '/')
                        rel++;
                e = pb_grants_device_would_grant(g, rel, want);
        } else {
                e = pb_grants_path_would_grant(g, path, want);
        }
        v->audit(v->audit_ctx, pb_grants_snap(g), rel, op, e ? e->name : NULL);
}

int pb_req_check_access(struct pb_req *q, struct pb_node *n, char *path, size_t len, unsigned want,
                        const char *op, unsigned *access)
{
        int r = pb_node_path(q->v, n, path, len);
        if (r < 0)
                return r == -ENOENT ? -EACCES : r;
        unsigned a = pb_view_access(q->v, q->g, path);
        if (access)
                *access = a;
        if (want ? (a & want) == want : a != 0)
                return 0;
        pb_view_deny(q->v, q->g, path, op, want);
        return -EACCES;
}

int pb_req_check(struct pb_req *q, struct pb_node *n, char *path, size_t len, unsigned want,
                 const char *op)
{
        return pb_req_check_access(q, n, path, len, want, op, NULL);
}

int pb_check_name(const char *name, int bad)
{
        if (!name || !*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
            strchr(name, '/'))
                return -bad;
        return strlen(name) > NAME_MAX ? -ENAMETOOLONG : 0;
}

int pb_child_path(char *buf, size_t len, const char *parent, const char *name)
{
        int r = snprintf(buf, len, "%s/%s", strcmp(parent, "/") == 0 ? "" : parent, name);
        return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
}

bool pb_is_own_mountpoint(struct pb_view *v, struct pb_node *parent, const char *name)
{
        return parent->dev == v->mp_parent_dev && parent->ino == v->mp_parent_ino &&
               strcmp(name, v->mp_name) == 0;
}

bool pb_dev_visible(mode_t type)
{
        return S_ISCHR(type) || S_ISBLK(type) || S_ISDIR(type);
}

/* The dev view shows a node's mode masked by its grant, so the kernel's
 * default_permissions check refuses what the grant does not allow (a device
 * open never reaches the daemon). */
static void mask_attr(struct pb_view *v, struct stat *st, unsigned access)
{
        if (v->kind != PB_VIEW_DEV || S_ISDIR(st->st_mode))
                return;
        if (!(access & PB_ACCESS_READ))
                st->st_mode &= ~(mode_t)0444;
        if (!(access & PB_ACCESS_WRITE))
                st->st_mode &= ~(mode_t)0222;
}

static void fill_entry(struct pb_view *v, struct fuse_entry_param *e, struct pb_node *n,
                       const struct stat *st, unsigned access)
{
        memset(e, 0, sizeof(*e));
        e->ino = pb_node_id(v, n);
        e->attr = *st;
        mask_attr(v, &e->attr, access);
        e->attr_timeout = v->attr_timeout;
        e->entry_timeout = v->entry_timeout;
        pb_node_entry_sent(v, n);
}

/* Is node p still at ppath (its path read earlier in this request)? */
static bool still_at(struct pb_view *v, struct pb_node *p, const char *ppath)
{
        char now[PATH_MAX];
        return pb_node_path(v, p, now, sizeof(now)) == 0 && strcmp(now, ppath) == 0;
}

/* Open the child by name (never following), check its real place, answer.
 * The place is ppath/name, ppath being the parent's path read in this
 * request (NULL: unknown, read the new fd's path instead, which costs procfs
 * a new dentry per node: a quarter of the daemon's time in a cold find).
 * LOOKUP also checks that the parent is still there after the open; a
 * listing decides all its names by the place its directory had when the
 * request began, as READDIR does. */
int pb_lookup_child(struct pb_req *q, struct pb_node *p, const char *ppath, bool recheck,
                    const char *name, struct fuse_entry_param *e, const char *op)
{
        struct pb_view *v = q->v;
        char path[PATH_MAX];
        if (pb_is_own_mountpoint(v, p, name))
                return -ENOENT;
        int fd = openat(p->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        int r = -1;
        if (ppath && (!recheck || still_at(v, p, ppath)))
                r = pb_child_path(path, sizeof(path), ppath, name);
        if (r < 0) {
                struct pb_node tmp = {.fd = fd};
                r = pb_node_path(v, &tmp, path, sizeof(path));
        }
        unsigned a = r < 0 ? 0 : pb_view_access(v, q->g, path);
        if (a == 0 || (v->kind == PB_VIEW_DEV && !pb_dev_visible(st.st_mode))) {
                if (a == 0 && r == 0)
                        pb_view_deny(v, q->g, path, op, 0);
                close(fd);
                return -ENOENT; /* invisible, not forbidden */
        }
        struct pb_node *n = pb_node_lookup(v, fd, &st, pb_node_id(v, p), name);
        if (!n)
                return -ENOMEM;
        fill_entry(v, e, n, &st, a);
        return 0;
}

/* READDIRPLUS: the entry for a name just listed, whose access (non-zero)
 * the listing decided by its place, as LOOKUP would. A node the kernel already has is
 * found by the listed inode number and confirmed by a stat of the name (no
 * descriptor opened and closed again per entry); otherwise the name is
 * opened as LOOKUP opens it. */
int pb_lookup_listed(struct pb_req *q, struct pb_node *p, const char *name, uint64_t ino,
                     unsigned access, struct fuse_entry_param *e)
{
        struct pb_view *v = q->v;
        struct stat st;
        struct pb_node *n = pb_node_find(v, p->dev, (ino_t)ino);
        if (n && (fstatat(p->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != n->dev ||
                  st.st_ino != n->ino)) {
                pb_node_forget(v, n, 1); /* replaced or gone: look it up afresh */
                n = NULL;
        }
        if (!n) {
                int fd = openat(p->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return -errno;
                if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
                        int r = -errno;
                        close(fd);
                        return r;
                }
                if (v->kind == PB_VIEW_DEV && !pb_dev_visible(st.st_mode)) {
                        close(fd);
                        return -ENOENT;
                }
                n = pb_node_lookup(v, fd, &st, pb_node_id(v, p), name);
                if (!n)
                        return -ENOMEM;
        } else if (v->kind == PB_VIEW_DEV && !pb_dev_visible(st.st_mode)) {
                pb_node_forget(v, n, 1);
                return -ENOENT;
        } else {
                pb_node_seen(v, n, pb_node_id(v, p), name);
        }
        fill_entry(v, e, n, &st, access);
        return 0;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        struct pb_node *p = pb_node_of(q.v, parent);
        char path[PATH_MAX];
        struct fuse_entry_param e;
        int r = pb_check_name(name, ENOENT);
        if (r < 0)
                return pb_req_fail(&q, -r);
        r = pb_req_check(&q, p, path, sizeof(path), 0, "lookup");
        if (r == 0)
                r = pb_lookup_child(&q, p, path, true, name, &e, "lookup");
        if (r < 0)
                return pb_req_fail(&q, -r);
        pb_prefetch_looked_up(q.v, p);
        if (fuse_reply_entry(req, &e) != 0)
                pb_node_forget(q.v, pb_node_of(q.v, e.ino), 1);
        pb_req_end(&q);
}

void pb_reply_new_entry(struct pb_req *q, struct pb_node *parent, const char *name, int undo)
{
        struct fuse_entry_param e;
        int r = pb_lookup_child(q, parent, NULL, false, name, &e, "create");
        /* Made on the host but no descriptor left to serve it: take it back,
         * so that the error the app gets leaves nothing behind. */
        if (r < 0 && pb_out_of_fds(-r))
                (void)unlinkat(parent->fd, name, undo);
        if (r < 0)
                return pb_req_fail(q, -r);
        if (fuse_reply_entry(q->req, &e) != 0)
                pb_node_forget(q->v, pb_node_of(q->v, e.ino), 1);
        pb_req_end(q);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
        struct pb_view *v = fuse_req_userdata(req);
        pb_node_forget(v, pb_node_of(v, ino), nlookup);
        fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
        struct pb_view *v = fuse_req_userdata(req);
        for (size_t i = 0; i < count; i++)
                pb_node_forget(v, pb_node_of(v, forgets[i].ino), forgets[i].nlookup);
        fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        struct pb_node *n = pb_node_of(q.v, ino);
        char path[PATH_MAX];
        /* Through a writable handle, attributes need write access: with the
         * writeback cache a write() refreshes them first, and must fail. */
        unsigned want = fi && ((struct pb_fh *)(uintptr_t)fi->fh)->writable ? PB_ACCESS_WRITE : 0;
        unsigned access = 0;
        int r = pb_req_check_access(&q, n, path, sizeof(path), want, "getattr", &access);
        if (r < 0)
                return pb_req_fail(&q, -r);
        struct stat st;
        r = fi ? fstat(((struct pb_fh *)(uintptr_t)fi->fh)->fd, &st)
               : fstatat(n->fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
        if (r < 0)
                return pb_req_fail(&q, errno);
        mask_attr(q.v, &st, access);
        fuse_reply_attr(req, &st, q.v->attr_timeout);
        pb_req_end(&q);
}

static int do_setattr(struct pb_node *n, struct stat *attr, int to_set, struct fuse_file_info *fi)
{
        char proc[32];
        pb_proc_path(proc, n->fd);
        int fd = fi ? ((struct pb_fh *)(uintptr_t)fi->fh)->fd : -1;
        if (to_set & FUSE_SET_ATTR_MODE) {
                if (S_ISLNK(n->type))
                        return -EPERM;
                if ((fd >= 0 ? fchmod(fd, attr->st_mode) : chmod(proc, attr->st_mode)) < 0)
                        return -errno;
        }
        if (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
                uid_t u = (to_set & FUSE_SET_ATTR_UID) ? attr->st_uid : (uid_t)-1;
                gid_t g = (to_set & FUSE_SET_ATTR_GID) ? attr->st_gid : (gid_t)-1;
                if (fchownat(n->fd, "", u, g, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
                        return -errno;
        }
        if (to_set & FUSE_SET_ATTR_SIZE) {
                if (!S_ISREG(n->type))
                        return -EINVAL;
                if ((fd >= 0 ? ftruncate(fd, attr->st_size) : truncate(proc, attr->st_size)) < 0)
                        return -errno;
        }
        if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)) {
                struct timespec tv[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_nsec = UTIME_OMIT}};
                if (to_set & FUSE_SET_ATTR_ATIME_NOW)
                        tv[0].tv_nsec = UTIME_NOW;
                else if (to_set & FUSE_SET_ATTR_ATIME)
                        tv[0] = attr->st_atim;
                if (to_set & FUSE_SET_ATTR_MTIME_NOW)
                        tv[1].tv_nsec = UTIME_NOW;
                else if (to_set & FUSE_SET_ATTR_MTIME)
                        tv[1] = attr->st_mtim;
                /* On the O_PATH fd itself: works for symlinks too (tar sets
                 * their times), and never follows one. */
                if ((fd >= 0 ? futimens(fd, tv)
                             : utimensat(n->fd, "", tv, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) < 0)
                        return -errno;
        }
        return 0;
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                       struct fuse_file_info *fi)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        struct pb_node *n = pb_node_of(q.v, ino);
        char path[PATH_MAX];
        if (q.v->kind == PB_VIEW_DEV)
                return pb_req_fail(&q, EROFS);
        int r = pb_req_check(&q, n, path, sizeof(path), PB_ACCESS_WRITE, "setattr");
        if (r == 0)
                r = do_setattr(n, attr, to_set, fi);
        struct stat st;
        if (r == 0 && fstatat(n->fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
                r = -errno;
        if (r < 0)
                return pb_req_fail(&q, -r);
        fuse_reply_attr(req, &st, q.v->attr_timeout);
        pb_req_end(&q);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        struct pb_node *n = pb_node_of(q.v, ino);
        char path[PATH_MAX], buf[PATH_MAX];
        int r = pb_req_check(&q, n, path, sizeof(path), PB_ACCESS_READ, "readlink");
        if (r < 0)
                return pb_req_fail(&q, -r);
        ssize_t len = readlinkat(n->fd, "", buf, sizeof(buf) - 1);
        if (len < 0)
                return pb_req_fail(&q, errno);
        buf[len] = '\0';
        fuse_reply_readlink(req, buf);
        pb_req_end(&q);
}

/* Check write access on parent/name for a call that creates or removes it. */
static int check_child(struct pb_req *q, struct pb_node *p, const char *name, const char *op,
                       char *cpath, size_t len)
{
        char ppath[PATH_MAX];
        if (q->v->kind == PB_VIEW_DEV)
                return -EROFS;
        int r = pb_check_name(name, EINVAL);
        if (r < 0)
                return r;
        if (pb_is_own_mountpoint(q->v, p, name))
                return -EACCES;
        r = pb_req_check(q, p, ppath, sizeof(ppath), 0, op);
        if (r < 0)
                return r;
        r = pb_child_path(cpath, len, ppath, name);
        if (r < 0)
                return r;
        if (pb_view_access(q->v, q->g, cpath) & PB_ACCESS_WRITE)
                return 0;
        pb_view_deny(q->v, q->g, cpath, op, PB_ACCESS_WRITE);
        return -EACCES;
}

/* The host applied the daemon's umask on top of the kernel's; undo that. */
static void fix_mode(struct pb_view *v, int dirfd, const char *name, mode_t mode)
{
        if (mode & v->umask & 07777)
                fchmodat(dirfd, name, mode & 07777, 0);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        struct pb_node *p = pb_node_of(q.v, parent);
        char cpath[PATH_MAX];
        int r = check_child(&q, p, name, "mknod", cpath, sizeof(cpath));
        /* Device nodes are never created through a view (and nodev would make
         * them useless anyway). */
        if (r == 0 && !(S_ISFIFO(mode) || S_ISSOCK(mode) || S_ISREG(mode)))
                r = -EPERM;
        if (r == 0 && mknodat(p->fd, name, mode, 0) < 0)
                r = -errno;
        if (r < 0)
                return pb_req_fail(&q, -r);
        fix_mode(q.v, p->fd, name, mode);
        (void)rdev;
        pb_reply_new_entry(&q, p, name, 0);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        struct pb_node *p = pb_node_of(q.v, parent);
        char cpath[PATH_MAX];
        int r = check_child(&q, p, name, "mkdir", cpath, sizeof(cpath));
        if (r == 0 && mkdirat(p->fd, name, mode) < 0)
                r = -errno;
        if (r < 0)
                return pb_req_fail(&q, -r);
        fix_mode(q.v, p->fd, name, mode);
        pb_reply_new_entry(&q, p, name, AT_REMOVEDIR);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        struct pb_node *p = pb_node_of(q.v, parent);
        char cpath[PATH_MAX];
        int r = check_child(&q, p, name, "symlink", cpath, sizeof(cpath));
        if (r == 0 && symlinkat(link, p->fd, name) < 0)
                r = -errno;
        if (r < 0)
                return pb_req_fail(&q, -r);
        pb_reply_new_entry(&q, p, name, 0);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        struct pb_node *n = pb_node_of(q.v, ino), *p = pb_node_of(q.v, newparent);
        char path[PATH_MAX], cpath[PATH_MAX], proc[32];
        /* A new name must not widen access: the source needs write access too. */
        int r = pb_req_check(&q, n, path, sizeof(path), RW, "link");
        if (r == 0)
                r = check_child(&q, p, newname, "link", cpath, sizeof(cpath));
        pb_proc_path(proc, n->fd);
        if (r == 0 && linkat(AT_FDCWD, proc, p->fd, newname, AT_SYMLINK_FOLLOW) < 0)
                r = -errno;
        if (r < 0)
                return pb_req_fail(&q, -r);
        pb_reply_new_entry(&q, p, newname, 0);
}

static void remove_entry(fuse_req_t req, fuse_ino_t parent, const char *name, int flags,
                         const char *op)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        struct pb_node *p = pb_node_of(q.v, parent);
        char cpath[PATH_MAX];
        int r = check_child(&q, p, name, op, cpath, sizeof(cpath));
        if (r == 0 && unlinkat(p->fd, name, flags) < 0)
                r = -errno;
        pb_req_fail(&q, -r);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
        remove_entry(req, parent, name, 0, "unlink");
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
        remove_entry(req, parent, name, AT_REMOVEDIR, "rmdir");
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
                      const char *newname, unsigned int flags)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        struct pb_node *p = pb_node_of(q.v, parent), *np = pb_node_of(q.v, newparent);
        char a[PATH_MAX], b[PATH_MAX];
        int r = check_child(&q, p, name, "rename", a, sizeof(a));
        if (r == 0)
                r = check_child(&q, np, newname, "rename", b, sizeof(b));
        if (r == 0 && flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE))
                r = -EINVAL;
        if (r == 0 && renameat2(p->fd, name, np->fd, newname, flags) < 0)
                r = -errno;
        pb_req_fail(&q, -r);
}

/* fs.pipe-max-size, or -1 when it cannot be read. */
static long pb_pipe_max_size(void)
{
        FILE *f = fopen("/proc/sys/fs/pipe-max-size", "re");
        long n = -1;
        if (!f)
                return -1;
        if (fscanf(f, "%ld", &n) != 1)
                n = -1;
        fclose(f);
        return n;
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
        struct pb_view *v = userdata;
        /* Writeback cache keeps write()s in the kernel until write-back. It is
         * safe here only because publish (view.c) accepts the write-back of
         * pages dirtied before the revoke while it invalidates them, and a
         * write() after the revoke must first refresh the attributes publish
         * invalidated: that GETATTR is refused, so the write() fails. */
        if (conn->capable & FUSE_CAP_WRITEBACK_CACHE) {
                conn->want |= FUSE_CAP_WRITEBACK_CACHE;
                v->writeback = true;
        }
        if (conn->capable & FUSE_CAP_SPLICE_WRITE)
                conn->want |= FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE;
        if (conn->capable & FUSE_CAP_SPLICE_READ) {
                conn->want |= FUSE_CAP_SPLICE_READ;
                /* libfuse splices a request from /dev/fuse only into a pipe
                 * that holds max_write plus one header page, and it cannot
                 * grow a pipe past fs.pipe-max-size (1 MiB by default)
                 * without CAP_SYS_RESOURCE, which a container lacks: at the
                 * default 1 MiB max_write it silently falls back to read()
                 * into its buffer, one more copy of every written byte.
                 * Capped to what fits, write-back pages reach the host file
                 * by splice, referenced and not copied by the kernel. */
                long pmax = pb_pipe_max_size();
                long page = sysconf(_SC_PAGESIZE);
                if (pmax > 2 * page && conn->max_write > (unsigned)(pmax - page))
                        conn->max_write = (unsigned)(pmax - page);
        }
        if (conn->capable & FUSE_CAP_FLOCK_LOCKS)
                conn->want |= FUSE_CAP_FLOCK_LOCKS;
        if (conn->capable & FUSE_CAP_POSIX_LOCKS)
                conn->want |= FUSE_CAP_POSIX_LOCKS;
        if (conn->capable & FUSE_CAP_PARALLEL_DIROPS)
                conn->want |= FUSE_CAP_PARALLEL_DIROPS;
        if (conn->capable & FUSE_CAP_AUTO_INVAL_DATA)
                conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
        /* Directories open without a round trip (ops-dir.c). */
        v->no_opendir = conn->capable & FUSE_CAP_NO_OPENDIR_SUPPORT;
        /* More write-back and read-ahead requests in flight at once. */
        conn->max_background = 64;
        conn->congestion_threshold = 48;
}

const struct fuse_lowlevel_ops pb_view_path_ops = {
    .init = op_init,
    .lookup = op_lookup,
    .forget = op_forget,
    .forget_multi = op_forget_multi,
    .getattr = op_getattr,
    .setattr = op_setattr,
    .readlink = op_readlink,
    .mknod = op_mknod,
    .mkdir = op_mkdir,
    .symlink = op_symlink,
    .link = op_link,
    .unlink = op_unlink,
    .rmdir = op_rmdir,
    .rename = op_rename,
    .opendir = pb_op_opendir,
    .readdir = pb_op_readdir,
    .readdirplus = pb_op_readdirplus,
    .releasedir = pb_op_releasedir,
    .fsyncdir = pb_op_fsyncdir,
    .statfs = pb_op_statfs,
    .access = pb_op_access,
    .getxattr = pb_op_getxattr,
    .listxattr = pb_op_listxattr,
    .setxattr = pb_op_setxattr,
    .removexattr = pb_op_removexattr,
    .open = pb_op_open,
    .create = pb_op_create,
    .read = pb_op_read,
    .write_buf = pb_op_write_buf,
    .flush = pb_op_flush,
    .release = pb_op_release,
    .fsync = pb_op_fsync,
    .fallocate = pb_op_fallocate,
    .lseek = pb_op_lseek,
    .copy_file_range = pb_op_copy_file_range,
    .getlk = pb_op_getlk,
    .setlk = pb_op_setlk,
    .flock = pb_op_flock,
};
