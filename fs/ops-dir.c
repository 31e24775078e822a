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

/* One host entry as getdents64 returns it (struct linux_dirent64). */
struct host_dirent {
        uint64_t ino;
        int64_t off; /* the position after this entry */
        unsigned short reclen;
        unsigned char type;
        char name[];
};

/* One READDIR or READDIRPLUS answer being filled. */
struct listing {
        struct pb_req *q;
        struct pb_node *dir;
        /* The directory's path and a '/' (plen bytes); each name is appended
         * in place (no formatting per entry: a listing checks thousands). */
        char child[PATH_MAX];
        size_t plen;
        unsigned alike;      /* see entry_access */
        bool plus;           /* READDIRPLUS */
        unsigned bare_every; /* READDIRPLUS: which names go bare (prefetch.c) */
        unsigned bare;       /* names listed bare so far */
};

/* Access of one listed name (0: not shown; "." and ".." always are). In a
 * directory whose entries the table treats alike whatever their names
 * (pb_grants_children_alike), the first name's answer is kept in l->alike
 * for the others: one grant check per READDIR instead of one per name,
 * which took a fifth of the daemon's time in a listing. ENTRY_BY_NAME:
 * check each name; ENTRY_UNASKED: alike, no answer kept yet. */
#define ENTRY_BY_NAME (~0u)
#define ENTRY_UNASKED (~0u - 1)
static unsigned entry_access(struct listing *l, const struct host_dirent *e, int dfd)
{
        struct pb_req *q = l->q;
        if (strcmp(e->name, ".") == 0 || strcmp(e->name, "..") == 0)
                return PB_ACCESS_TRAVERSE;
        if (pb_is_own_mountpoint(q->v, l->dir, e->name))
                return 0;
        if (l->alike != ENTRY_BY_NAME && l->alike != ENTRY_UNASKED)
                return l->alike;
        /* A name is at most NAME_MAX bytes; stpcpy is a library call, not
         * the inlined "rep movs" a memcpy of unknown length becomes here
         * (its start-up cost dominated this loop). */
        if (l->plen + NAME_MAX >= PATH_MAX && l->plen + strlen(e->name) >= PATH_MAX)
                return 0;
        stpcpy(l->child + l->plen, e->name);
        unsigned a = pb_view_access(q->v, q->g, l->child);
        if (l->alike == ENTRY_UNASKED)
                l->alike = a;
        if (a == 0 || q->v->kind != PB_VIEW_DEV)
                return a;
        unsigned char t = e->type;
        if (t == DT_UNKNOWN) {
                struct stat st;
                if (fstatat(dfd, e->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return 0;
                return pb_dev_visible(st.st_mode) ? a : 0;
        }
        return t == DT_CHR || t == DT_BLK || t == DT_DIR ? a : 0;
}

/* A listing in progress: the host directory read with getdents64 into our
 * own buffer (not a DIR stream), so that the next batch of host entries
 * can be read right after a reply, while the kernel and the app digest it
 * (the two CPUs overlap instead of taking turns). Which entries are shown
 * is decided only when a READDIR sends them, with the table of that
 * request: what is read ahead is raw host names, never an answer. */
#define PB_DIRBUF     (64 * 1024)
#define PB_DIRENT_MAX 1024 /* > any host entry (a 255-byte name) */
struct pb_dirstream {
        int fd;
        off_t offset;    /* host position of the next unsent entry */
        size_t pos, len; /* unsent entries: buf[pos..len) */
        bool eof;        /* the host has nothing after buf[len] */
        int err;         /* a read ahead failed: reported by the next READDIR */
        _Alignas(8) char buf[PB_DIRBUF];
};

static void dirstream_close(struct pb_node *n)
{
        if (!n->dir)
                return;
        close(n->dir->fd);
        free(n->dir);
        n->dir = NULL;
}

void pb_node_dir_free(struct pb_node *n)
{
        dirstream_close(n);
}

/* A directory node opened for reading, through its /proc link rather than
 * "." below the O_PATH fd: looking "." up would need search permission,
 * where reading a directory natively needs read permission only. */
static int dir_open(const struct pb_node *n)
{
        char proc[32];
        pb_proc_path(proc, n->fd);
        return open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* The node's open directory stream, made on first use. NULL: *err set. */
static struct pb_dirstream *dirstream_open(struct pb_node *n, int *err)
{
        struct pb_dirstream *d = malloc(sizeof(*d));
        int fd = dir_open(n);
        if (!d || fd < 0) {
                *err = d ? -errno : -ENOMEM;
                if (fd >= 0)
                        close(fd);
                free(d);
                return NULL;
        }
        d->fd = fd;
        d->offset = 0;
        d->pos = d->len = 0;
        d->eof = false;
        d->err = 0;
        return n->dir = d;
}

static void dirstream_seek(struct pb_dirstream *d, off_t off)
{
        d->pos = d->len = 0;
        d->eof = false;
        d->err = 0;
        d->offset = lseek(d->fd, off, SEEK_SET) == (off_t)-1 ? -1 : off;
        if (d->offset < 0)
                d->err = errno;
}

/* Read up to max bytes of host entries behind the unsent ones (at least
 * what one entry needs): 0 or an errno. */
static int dirstream_fill(struct pb_dirstream *d, size_t max)
{
        if (d->err)
                return d->err;
        if (d->eof)
                return 0;
        if (d->pos > 0) {
                memmove(d->buf, d->buf + d->pos, d->len - d->pos);
                d->len -= d->pos;
                d->pos = 0;
        }
        size_t room = sizeof(d->buf) - d->len;
        if (max < PB_DIRENT_MAX)
                max = PB_DIRENT_MAX;
        ssize_t r = getdents64(d->fd, d->buf + d->len, room < max ? room : max);
        if (r < 0)
                return d->err = errno;
        if (r == 0)
                d->eof = true;
        d->len += (size_t)r;
        return 0;
}

/* The next unsent entry, reading the host when none is left (about want
 * bytes of entries); NULL at the end (*err 0) or on error. */
static const struct host_dirent *dirstream_peek(struct pb_dirstream *d, size_t want, int *err)
{
        *err = 0;
        if (d->pos == d->len && (*err = dirstream_fill(d, want)) != 0)
                return NULL;
        if (d->pos == d->len)
                return NULL;
        return (const struct host_dirent *)(d->buf + d->pos);
}

static void dirstream_next(struct pb_dirstream *d, const struct host_dirent *e)
{
        d->offset = e->off;
        d->pos += e->reclen;
}

/* After a reply: top the buffer up now, while the kernel and the app
 * digest the reply, so that the next READDIR finds its entries read. */
static void dirstream_read_ahead(struct pb_dirstream *d)
{
        if (!d->eof && !d->err && sizeof(d->buf) - (d->len - d->pos) >= sizeof(d->buf) / 4)
                (void)dirstream_fill(d, sizeof(d->buf));
}

/* Add one entry; READDIRPLUS looks the name up as LOOKUP would (same
 * checks, one lookup count). 1: added; 0: skipped; -1: does not fit. */
static int add_entry(struct listing *l, unsigned access, const struct host_dirent *de, char *buf,
                     size_t rem, size_t *sz)
{
        struct pb_req *q = l->q;
        struct pb_node *dir = l->dir;
        off_t next = de->off;
        if (!l->plus) {
                /* Only st_ino and st_mode are read; not zeroed per entry. */
                struct stat st;
                st.st_ino = de->ino;
                st.st_mode = (mode_t)de->type << 12;
                *sz = fuse_add_direntry(q->req, buf, rem, de->name, &st, next);
                return *sz > rem ? -1 : 1;
        }
        struct fuse_entry_param e = {
            .attr = {.st_ino = de->ino, .st_mode = (mode_t)de->type << 12}};
        bool dots = strcmp(de->name, ".") == 0 || strcmp(de->name, "..") == 0;
        /* "." and "..": no node (ino 0: the kernel links nothing). A name
         * that vanished or is not visible by its real place is left out;
         * one we have no descriptor left for is listed without a node (the
         * kernel looks it up when it is used), never silently dropped. A
         * name whose entry the kernel still holds (a listing right after
         * the names were made or used) is listed without one too: looking
         * it up again would cost the host an open and a stat, and the
         * kernel a dentry update, to tell it what it knows (a listing of
         * 10,000 names just made: 5.0-7.4 ms instead of 5.7-8.3 ms,
         * PERFORMANCE.md). Entries that timed out are renewed. A name in a
         * directory the user may read but not search is listed without
         * one too, as natively: using it fails when the kernel looks it up.
         * So is a file the walk is not expected to stat (prefetch.c). */
        bool held = dots || pb_node_entry_fresh(q->v, dir->dev, (ino_t)de->ino);
        bool bare = !held && pb_prefetch_bare(q->v, l->bare_every, de->type);
        int r = held || bare ? 0 : pb_lookup_listed(q, dir, de->name, de->ino, access, &e);
        if (r < 0 && r != -EACCES && !pb_out_of_fds(-r))
                return 0;
        *sz = fuse_add_direntry_plus(q->req, buf, rem, de->name, &e, next);
        if (*sz > rem) {
                if (e.ino)
                        pb_node_forget(q->v, pb_node_of(q->v, e.ino), 1);
                return -1;
        }
        l->bare += bare;
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
        if (off != d->offset)
                dirstream_seek(d, off);
        size_t used = 0;
        struct listing l = {.q = &q, .dir = n, .plus = plus};
        l.plen = strcmp(path, "/") == 0 ? 0 : strlen(path);
        memcpy(l.child, path, l.plen + 1); /* "/" is overwritten below */
        l.child[l.plen++] = '/';
        /* Device views decide by node type too: never alike. */
        l.alike = q.v->kind != PB_VIEW_DEV && pb_grants_children_alike(q.g, path) ? ENTRY_UNASKED
                                                                                  : ENTRY_BY_NAME;
        l.bare_every = plus ? pb_prefetch_bare_every(q.v) : 0;
        /* What the host is read for in this request: as many bytes as the
         * reply takes (READDIRPLUS entries are about five times larger
         * than the host's); the rest is read after the reply. */
        size_t want = plus ? size / 4 : size;
        bool end = false;
        for (;;) {
                /* Nothing read ahead is left: send what we have, the host is
                 * read after the reply (unless there is nothing to send). A
                 * READDIRPLUS reply is filled up instead: the kernel asks
                 * for attributes with the first chunk of a listing only, and
                 * a name left to the next (plain) chunk would cost a LOOKUP
                 * when the app stats it. */
                if (d->pos == d->len && used > 0 && !plus)
                        break;
                const struct host_dirent *e = dirstream_peek(d, want, &r);
                if (!e) {
                        end = true;
                        break;
                }
                unsigned a = entry_access(&l, e, d->fd);
                if (a) {
                        size_t sz = 0;
                        int k = add_entry(&l, a, e, buf + used, size - used, &sz);
                        if (k < 0)
                                break; /* keep the entry for the next call */
                        if (k > 0)
                                used += sz;
                }
                dirstream_next(d, e);
        }
        /* The listing is complete (the empty answer that ends it) or
         * broken: the next one starts afresh, and no descriptor stays open
         * for an idle directory. */
        bool done = end && used == 0;
        if (done)
                dirstream_close(n);
        pthread_mutex_unlock(&n->lock);
        if (r && used == 0)
                return pb_req_fail(&q, r);
        /* Kept alive past the reply (the kernel may forget the node as soon
         * as the listing ends); the root lives as long as the view. */
        bool pin = !done && n != &q.v->root;
        if (pin)
                atomic_fetch_add(&n->refs, 1);
        /* Before the answer: once it is sent, a finished listing's node may
         * be forgotten. */
        pb_prefetch_listed(q.v, n, l.bare);
        fuse_reply_buf(req, buf, used);
        pb_req_end(&q);
        if (done)
                return;
        pthread_mutex_lock(&n->lock);
        if (n->dir)
                dirstream_read_ahead(n->dir);
        pthread_mutex_unlock(&n->lock);
        if (pin)
                pb_node_unref(n);
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
        _cleanup_fd_ int fd = r == 0 ? dir_open(pb_node_of(q.v, ino)) : -1;
        if (r == 0 && fd < 0)
                r = -errno;
        if (r == 0 && (datasync ? fdatasync(fd) : fsync(fd)) < 0)
                r = -errno;
        (void)fi;
        pb_req_fail(&q, -r);
}
