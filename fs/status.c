/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The status view: plugs/<name> and slots/<name> exist exactly while that
 * endpoint of the snap is connected, so `[ -e $STATUS/plugs/camera ]` works
 * in a shell. Nothing here touches the host. Timeouts are 0 (the kernel asks
 * every time) and publish also drops the names that changed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "view-int.h"

enum { ST_ROOT = FUSE_ROOT_ID, ST_PLUGS = 2, ST_SLOTS = 3, ST_FIRST = 16 };

/* Stable inode number for ("p"|"s", name); the registry only grows. */
static fuse_ino_t name_ino(struct pb_view *v, bool slot, const char *name)
{
        fuse_ino_t ino = 0;
        pthread_mutex_lock(&v->names_lock);
        for (size_t i = 0; i < v->nnames; i++)
                if (v->names[i][0] == (slot ? 's' : 'p') && strcmp(v->names[i] + 1, name) == 0) {
                        ino = ST_FIRST + i;
                        goto out;
                }
        if (v->nnames == v->cap_names) {
                size_t cap = v->cap_names ? v->cap_names * 2 : 16;
                char **n = realloc(v->names, cap * sizeof(*n));
                if (!n)
                        goto out;
                v->names = n;
                v->cap_names = cap;
        }
        size_t len = strlen(name);
        char *s = malloc(len + 2);
        if (!s)
                goto out;
        s[0] = slot ? 's' : 'p';
        memcpy(s + 1, name, len + 1);
        v->names[v->nnames] = s;
        ino = ST_FIRST + v->nnames++;
out:
        pthread_mutex_unlock(&v->names_lock);
        return ino;
}

/* The name of entry ino into buf; false if unknown. */
static bool ino_name(struct pb_view *v, fuse_ino_t ino, bool *slot, char *buf, size_t len)
{
        bool ok = false;
        pthread_mutex_lock(&v->names_lock);
        if (ino >= ST_FIRST && ino - ST_FIRST < v->nnames) {
                const char *s = v->names[ino - ST_FIRST];
                *slot = s[0] == 's';
                ok = strlen(s + 1) < len;
                if (ok)
                        strcpy(buf, s + 1);
        }
        pthread_mutex_unlock(&v->names_lock);
        return ok;
}

static bool connected(const struct pb_grants *g, bool slot, const char *name)
{
        for (size_t i = 0; i < pb_grants_endpoint_count(g); i++) {
                const struct pb_grants_endpoint *e = pb_grants_endpoint(g, i);
                if (e->is_slot == slot && e->connected && strcmp(e->name, name) == 0)
                        return true;
        }
        return false;
}

static int stat_of(struct pb_view *v, const struct pb_grants *g, fuse_ino_t ino, struct stat *st)
{
        memset(st, 0, sizeof(*st));
        st->st_ino = ino;
        st->st_uid = v->uid;
        st->st_gid = v->gid;
        if (ino == ST_ROOT || ino == ST_PLUGS || ino == ST_SLOTS) {
                st->st_mode = S_IFDIR | 0555;
                st->st_nlink = 2;
                return 0;
        }
        char name[NAME_MAX + 1];
        bool slot;
        if (!ino_name(v, ino, &slot, name, sizeof(name)) || !connected(g, slot, name))
                return -ENOENT;
        st->st_mode = S_IFREG | 0444;
        st->st_nlink = 1;
        return 0;
}

static void st_lookup(fuse_ino_t parent, const char *name, struct pb_req *q)
{
        struct fuse_entry_param e = {0};
        fuse_ino_t ino = 0;
        int r = pb_check_name(name, ENOENT);
        if (r < 0)
                return pb_req_fail(q, -r);
        if (parent == ST_ROOT && strcmp(name, "plugs") == 0)
                ino = ST_PLUGS;
        else if (parent == ST_ROOT && strcmp(name, "slots") == 0)
                ino = ST_SLOTS;
        else if ((parent == ST_PLUGS || parent == ST_SLOTS) &&
                 connected(q->g, parent == ST_SLOTS, name))
                ino = name_ino(q->v, parent == ST_SLOTS, name);
        if (!ino || stat_of(q->v, q->g, ino, &e.attr) < 0)
                return pb_req_fail(q, ENOENT);
        e.ino = ino;
        fuse_reply_entry(q->req, &e);
        pb_req_end(q);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
        struct pb_req q;
        if (pb_req_begin(&q, req))
                st_lookup(parent, name, &q);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct pb_req q;
        struct stat st;
        if (!pb_req_begin(&q, req))
                return;
        if (stat_of(q.v, q.g, ino, &st) < 0)
                return pb_req_fail(&q, ENOENT);
        fuse_reply_attr(req, &st, 0);
        pb_req_end(&q);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       struct fuse_file_info *fi)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        _cleanup_free_ char *buf = malloc(size);
        if (!buf)
                return pb_req_fail(&q, ENOMEM);
        size_t used = 0;
        off_t i = 0;
        /* Entries: ".", "..", then the children in table order. */
        const struct pb_grants *g = q.g;
        size_t count = ino == ST_ROOT ? 2 : pb_grants_endpoint_count(g);
        if (ino != ST_ROOT && ino != ST_PLUGS && ino != ST_SLOTS)
                return pb_req_fail(&q, ENOTDIR);
        for (i = off; (size_t)i < count + 2; i++) {
                struct stat st = {.st_mode = S_IFDIR};
                const char *name;
                if (i == 0) {
                        name = ".";
                } else if (i == 1) {
                        name = "..";
                } else if (ino == ST_ROOT) {
                        name = i == 2 ? "plugs" : "slots";
                        st.st_ino = i == 2 ? ST_PLUGS : ST_SLOTS;
                } else {
                        const struct pb_grants_endpoint *e = pb_grants_endpoint(g, (size_t)i - 2);
                        if (!e->connected || e->is_slot != (ino == ST_SLOTS))
                                continue;
                        name = e->name;
                        st.st_mode = S_IFREG;
                        st.st_ino = name_ino(q.v, e->is_slot, name);
                }
                size_t sz = fuse_add_direntry(req, buf + used, size - used, name, &st, i + 1);
                if (sz > size - used)
                        break;
                used += sz;
        }
        fuse_reply_buf(req, buf, used);
        pb_req_end(&q);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct pb_req q;
        struct stat st;
        if (!pb_req_begin(&q, req))
                return;
        if (stat_of(q.v, q.g, ino, &st) < 0)
                return pb_req_fail(&q, ENOENT);
        if ((fi->flags & O_ACCMODE) != O_RDONLY)
                return pb_req_fail(&q, EROFS);
        fi->direct_io = 1;
        fuse_reply_open(req, fi);
        pb_req_end(&q);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi)
{
        fuse_reply_buf(req, NULL, 0);
}

void pb_status_publish(struct pb_view *v, const struct pb_grants *old, const struct pb_grants *g)
{
        /* Drop names whose state changed; with timeouts 0 this only hurries
         * the kernel (stale positive dentries would be revalidated anyway). */
        for (int pass = 0; pass < 2; pass++) {
                const struct pb_grants *t = pass ? g : old;
                for (size_t i = 0; i < pb_grants_endpoint_count(t); i++) {
                        const struct pb_grants_endpoint *e = pb_grants_endpoint(t, i);
                        bool was = connected(old, e->is_slot, e->name);
                        bool now = connected(g, e->is_slot, e->name);
                        if (was == now)
                                continue;
                        fuse_ino_t parent = e->is_slot ? ST_SLOTS : ST_PLUGS;
                        fuse_lowlevel_notify_inval_entry(v->se, parent, e->name, strlen(e->name));
                        fuse_lowlevel_notify_inval_inode(v->se, parent, 0, 0);
                }
        }
}

const struct fuse_lowlevel_ops pb_view_status_ops = {
    .lookup = op_lookup,
    .getattr = op_getattr,
    .readdir = op_readdir,
    .open = op_open,
    .read = op_read,
};
