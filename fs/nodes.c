/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The inode table: one O_PATH fd per host object, keyed by (dev, ino), with
 * the kernel's lookup count. The FUSE node id is the node's address (the root
 * is FUSE_ROOT_ID); the kernel never uses an id after its final FORGET, and
 * pb_view_publish() pins the nodes it walks with a reference.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "view-int.h"

static size_t bucket_of(const struct pb_view *v, dev_t dev, ino_t ino)
{
        uint64_t h = (uint64_t)ino * 0x9E3779B97F4A7C15ull ^ (uint64_t)dev;
        return (size_t)(h >> 17) & (v->nbuckets - 1);
}

struct pb_node *pb_node_of(struct pb_view *v, fuse_ino_t ino)
{
        if (ino == FUSE_ROOT_ID)
                return &v->root;
        return (struct pb_node *)(uintptr_t)ino;
}

static void node_free(struct pb_node *n)
{
        if (n->fd >= 0) {
                close(n->fd);
                pb_prune_node_closed();
        }
        for (struct pb_lock_owner *o = n->owners, *next; o; o = next) {
                next = o->next;
                close(o->fd);
                free(o);
        }
        pb_node_dir_free(n);
        pthread_mutex_destroy(&n->lock);
        pthread_mutex_destroy(&n->write_lock);
        free(n->hint_name);
        free(n);
}

void pb_node_unref(struct pb_node *n)
{
        if (atomic_fetch_sub(&n->refs, 1) == 1)
                node_free(n);
}

static int grow(struct pb_view *v)
{
        size_t nb = v->nbuckets * 2;
        struct pb_node **b = calloc(nb, sizeof(*b));
        if (!b)
                return -ENOMEM;
        size_t old = v->nbuckets;
        struct pb_node **ob = v->buckets;
        v->buckets = b;
        v->nbuckets = nb;
        for (size_t i = 0; i < old; i++)
                for (struct pb_node *n = ob[i], *next; n; n = next) {
                        next = n->hnext;
                        size_t k = bucket_of(v, n->dev, n->ino);
                        n->hnext = b[k];
                        b[k] = n;
                }
        free(ob);
        return 0;
}

static void set_hint(struct pb_node *n, fuse_ino_t parent, const char *name)
{
        if (!name)
                return;
        n->hint_parent = parent;
        if (n->hint_name && strcmp(n->hint_name, name) == 0)
                return;
        char *s = strdup(name);
        if (s) {
                free(n->hint_name);
                n->hint_name = s;
        }
}

bool pb_node_hint(struct pb_view *v, struct pb_node *n, fuse_ino_t *parent, char name[NAME_MAX + 1])
{
        *parent = 0;
        pthread_mutex_lock(&v->nodes_lock);
        if (n->hint_name && strlen(n->hint_name) <= NAME_MAX) {
                *parent = n->hint_parent;
                strcpy(name, n->hint_name);
        }
        pthread_mutex_unlock(&v->nodes_lock);
        return *parent != 0;
}

struct pb_node *pb_node_lookup(struct pb_view *v, int fd, const struct stat *st, fuse_ino_t parent,
                               const char *name)
{
        pthread_mutex_lock(&v->nodes_lock);
        size_t k = bucket_of(v, st->st_dev, st->st_ino);
        for (struct pb_node *n = v->buckets[k]; n; n = n->hnext) {
                if (n->dev == st->st_dev && n->ino == st->st_ino) {
                        n->nlookup++;
                        set_hint(n, parent, name);
                        pthread_mutex_unlock(&v->nodes_lock);
                        close(fd);
                        return n;
                }
        }
        struct pb_node *n = calloc(1, sizeof(*n));
        if (!n || (v->count + 1 > v->nbuckets * 2 && grow(v) < 0)) {
                pthread_mutex_unlock(&v->nodes_lock);
                free(n);
                close(fd);
                return NULL;
        }
        k = bucket_of(v, st->st_dev, st->st_ino);
        n->dev = st->st_dev;
        n->ino = st->st_ino;
        n->fd = fd;
        n->type = st->st_mode & S_IFMT;
        n->nlookup = 1;
        atomic_init(&n->refs, 1);
        atomic_init(&n->writers, 0);
        atomic_init(&n->handles, 0);
        pthread_mutex_init(&n->lock, NULL);
        pthread_mutex_init(&n->write_lock, NULL);
        set_hint(n, parent, name);
        n->hnext = v->buckets[k];
        v->buckets[k] = n;
        v->count++;
        pthread_mutex_unlock(&v->nodes_lock);
        pb_prune_node_opened(v, fd);
        return n;
}

/* Under nodes_lock. */
static struct pb_node *find_locked(struct pb_view *v, dev_t dev, ino_t ino)
{
        struct pb_node *n = v->buckets[bucket_of(v, dev, ino)];
        while (n && !(n->dev == dev && n->ino == ino))
                n = n->hnext;
        return n;
}

struct pb_node *pb_node_find(struct pb_view *v, dev_t dev, ino_t ino)
{
        pthread_mutex_lock(&v->nodes_lock);
        struct pb_node *n = find_locked(v, dev, ino);
        if (n)
                n->nlookup++;
        pthread_mutex_unlock(&v->nodes_lock);
        return n;
}

void pb_node_entry_sent(struct pb_view *v, struct pb_node *n)
{
        if (v->entry_timeout > 0)
                atomic_store(&n->entry_sent_ns, pb_mono_ns());
}

bool pb_node_entry_fresh(struct pb_view *v, dev_t dev, ino_t ino)
{
        if (v->entry_timeout <= 0)
                return false;
        /* Stamped before the reply: the kernel's entry outlives it. */
        uint64_t now = pb_mono_ns(), valid = (uint64_t)(v->entry_timeout * 1e9);
        pthread_mutex_lock(&v->nodes_lock);
        struct pb_node *n = find_locked(v, dev, ino);
        bool fresh = n && n->nlookup > 0 && now - atomic_load(&n->entry_sent_ns) < valid;
        pthread_mutex_unlock(&v->nodes_lock);
        return fresh;
}

void pb_node_seen(struct pb_view *v, struct pb_node *n, fuse_ino_t parent, const char *name)
{
        pthread_mutex_lock(&v->nodes_lock);
        set_hint(n, parent, name);
        pthread_mutex_unlock(&v->nodes_lock);
}

void pb_node_forget(struct pb_view *v, struct pb_node *n, uint64_t nlookup)
{
        if (n == &v->root)
                return;
        pthread_mutex_lock(&v->nodes_lock);
        if (nlookup > n->nlookup)
                nlookup = n->nlookup;
        n->nlookup -= nlookup;
        bool gone = n->nlookup == 0;
        if (gone) {
                struct pb_node **pp = &v->buckets[bucket_of(v, n->dev, n->ino)];
                while (*pp && *pp != n)
                        pp = &(*pp)->hnext;
                if (*pp)
                        *pp = n->hnext;
                v->count--;
        }
        pthread_mutex_unlock(&v->nodes_lock);
        if (gone)
                pb_node_unref(n);
}

void pb_nodes_free(struct pb_view *v)
{
        pb_node_dir_free(&v->root);
        for (size_t i = 0; i < v->nbuckets; i++)
                for (struct pb_node *n = v->buckets[i], *next; n; n = next) {
                        next = n->hnext;
                        pb_node_unref(n);
                }
        free(v->buckets);
        v->buckets = NULL;
}

int pb_proc_fd_open(void)
{
        return open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
}

int pb_node_path(struct pb_view *v, struct pb_node *n, char *buf, size_t len)
{
        char proc[32];
        ssize_t r;
        if (v && v->proc_fd >= 0) {
                snprintf(proc, sizeof(proc), "%d", n->fd);
                r = readlinkat(v->proc_fd, proc, buf, len - 1);
        } else {
                snprintf(proc, sizeof(proc), "/proc/self/fd/%d", n->fd);
                r = readlink(proc, buf, len - 1);
        }
        if (r < 0)
                return -errno;
        if ((size_t)r >= len - 1)
                return -ENAMETOOLONG;
        buf[r] = '\0';
        if (buf[0] != '/')
                return -ENOENT; /* not a path in our namespace */
        /* An unlinked object keeps its last name with " (deleted)" appended;
         * only strip it when the object really is unlinked, so a file that is
         * *named* "x (deleted)" keeps its name. */
        static const char suffix[] = " (deleted)";
        size_t sl = sizeof(suffix) - 1;
        if ((size_t)r > sl && memcmp(buf + r - sl, suffix, sl) == 0) {
                struct stat st;
                if (fstatat(n->fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == 0 &&
                    st.st_nlink == 0)
                        buf[r - sl] = '\0';
        }
        return 0;
}

int pb_nodes_snapshot(struct pb_view *v, struct pb_node ***out, size_t *n)
{
        pthread_mutex_lock(&v->nodes_lock);
        struct pb_node **arr = malloc((v->count + 1) * sizeof(*arr));
        if (!arr) {
                pthread_mutex_unlock(&v->nodes_lock);
                return -ENOMEM;
        }
        size_t k = 0;
        for (size_t i = 0; i < v->nbuckets; i++)
                for (struct pb_node *x = v->buckets[i]; x; x = x->hnext) {
                        atomic_fetch_add(&x->refs, 1);
                        arr[k++] = x;
                }
        pthread_mutex_unlock(&v->nodes_lock);
        *out = arr;
        *n = k;
        return 0;
}
