/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Host paths of many nodes at once, for publish: it must decide, for every
 * node the kernel knows, whether its access shrinks, and that needs each
 * node's current path. A readlink of /proc/self/fd/N costs 2-3 us here (the
 * proc lookup and a permission check); with 1,000 open files that was most
 * of a revoke.
 *
 * Cheaper and as exact: a node's path is its parent's path plus the name it
 * was last looked up by, *if* the host object is still found there. The
 * check is one fstatat of the name under the parent's O_PATH fd, compared by
 * (dev, ino), and it is taken only where the object has no other name: a
 * directory, or a file with one link on the parent's device (a file with
 * several hard links keeps readlink's answer, which is the name the node's
 * fd holds and the one every request is checked against). Anything else,
 * including a hint that names a node no longer in the snapshot, falls back
 * to readlink. A host rename racing with this is the same race readlink has.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "view-int.h"

struct slot {
        struct pb_node *node;
        size_t index;
};

/* Parents are resolved recursively; deeper chains take readlink, so an app's
 * deep directory tree cannot exhaust the publisher's stack. */
#define MAX_DEPTH 32

struct walk {
        struct pb_view *v;
        struct pb_node **nodes; /* n snapshot nodes; index n is the root */
        size_t n;
        struct slot *sorted;  /* by address, for hint lookups */
        char **paths;         /* NULL: not yet known */
        unsigned char *state; /* 0 new, 1 resolving, 2 done (path or error) */
        int *err;
};

static int cmp_slot(const void *a, const void *b)
{
        uintptr_t x = (uintptr_t)((const struct slot *)a)->node;
        uintptr_t y = (uintptr_t)((const struct slot *)b)->node;
        return x < y ? -1 : x > y;
}

static struct pb_node *node_at(struct walk *w, size_t i)
{
        return i == w->n ? &w->v->root : w->nodes[i];
}

/* Index of node id `id` in the walk, or -1 when it is not a live node of the
 * snapshot (the id may belong to a node already forgotten: never deref). */
static ssize_t index_of(struct walk *w, fuse_ino_t id)
{
        if (id == FUSE_ROOT_ID)
                return (ssize_t)w->n;
        uintptr_t key = (uintptr_t)id;
        size_t lo = 0, hi = w->n;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                uintptr_t k = (uintptr_t)w->sorted[mid].node;
                if (k == key)
                        return (ssize_t)w->sorted[mid].index;
                if (k < key)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return -1;
}

static void by_readlink(struct walk *w, size_t i)
{
        char buf[PATH_MAX];
        int r = pb_node_path(w->v, node_at(w, i), buf, sizeof(buf));
        if (r == 0 && !(w->paths[i] = strdup(buf)))
                r = -ENOMEM;
        w->err[i] = r;
}

static bool by_hint(struct walk *w, size_t i, unsigned depth)
{
        struct pb_view *v = w->v;
        struct pb_node *x = node_at(w, i);
        if (i == w->n || depth > MAX_DEPTH)
                return false;
        char name[NAME_MAX + 1];
        fuse_ino_t parent;
        ssize_t p = pb_node_hint(v, x, &parent, name) ? index_of(w, parent) : -1;
        if (p < 0 || (size_t)p == i || w->state[p] == 1)
                return false;
        if (w->state[p] == 0) {
                w->state[p] = 1;
                if (!by_hint(w, (size_t)p, depth + 1))
                        by_readlink(w, (size_t)p);
                w->state[p] = 2;
        }
        struct pb_node *pn = node_at(w, (size_t)p);
        const char *pp = w->paths[p];
        struct stat st;
        if (!pp || pn->dev != x->dev ||
            fstatat(pn->fd, name, &st, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT) < 0 ||
            st.st_dev != x->dev || st.st_ino != x->ino ||
            !(S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) && st.st_nlink == 1)))
                return false;
        char buf[PATH_MAX];
        if (pb_child_path(buf, sizeof(buf), pp, name) < 0)
                return false;
        w->paths[i] = strdup(buf);
        w->err[i] = w->paths[i] ? 0 : -ENOMEM;
        return true;
}

int pb_nodes_paths(struct pb_view *v, struct pb_node **nodes, size_t n, char ***paths_out,
                   int **err_out)
{
        struct walk w = {.v = v, .nodes = nodes, .n = n};
        w.sorted = malloc((n + 1) * sizeof(*w.sorted));
        w.paths = calloc(n + 1, sizeof(*w.paths));
        w.state = calloc(n + 1, 1);
        w.err = calloc(n + 1, sizeof(*w.err));
        if (!w.sorted || !w.paths || !w.state || !w.err) {
                free(w.sorted);
                free(w.paths);
                free(w.state);
                free(w.err);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++)
                w.sorted[i] = (struct slot){nodes[i], i};
        qsort(w.sorted, n, sizeof(*w.sorted), cmp_slot);
        for (size_t i = 0; i <= n; i++) {
                if (w.state[i] == 2)
                        continue;
                w.state[i] = 1;
                if (!by_hint(&w, i, 0))
                        by_readlink(&w, i);
                w.state[i] = 2;
        }
        free(w.sorted);
        free(w.state);
        *paths_out = w.paths;
        *err_out = w.err;
        return 0;
}
