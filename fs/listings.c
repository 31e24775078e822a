/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Cached directory listings and publish. The kernel keeps a listing the view
 * sent in the directory's page cache (ops-dir.c) and serves it again without
 * asking; a listing shows only the names the table granted, so a publish
 * must drop every cached listing whose names the new table shows
 * differently: revoked names vanish, connected ones appear, at once.
 *
 * Which ones: a name's visibility depends only on rules whose literal leading
 * part (grants.h: path roots) lies above or below it. A rule that is new,
 * gone, or changed its access or connected state can change a listing only of
 * a directory on the same branch as its root (the root itself, above it, or
 * below it). Deny rules are not path roots; they come with an endpoint whose
 * allow rules change with them (the home interface's snap-directory deny and its
 * non-hidden allow), or never change. The dev view's rules are device
 * rules: any change drops all its cached listings (a handful of directories).
 *
 * Only directories read through the view since the kernel learnt them are
 * considered (node->listed, set by READDIR before it replies, under the
 * grants read lock, so a listing made with the old table is marked before
 * the swap completes; the mark is never cleared, so none is ever missed).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "view-int.h"

static bool has_root(const struct pb_grants *g, const struct pb_grants_path_root *r)
{
        for (size_t i = 0, n = pb_grants_path_root_count(g); i < n; i++) {
                const struct pb_grants_path_root *x = pb_grants_path_root(g, i);
                if (x->access == r->access && x->connected == r->connected &&
                    strcmp(x->prefix, r->prefix) == 0)
                        return true;
        }
        return false;
}

/* Is a under b, or equal? (component-wise; "/" is above everything) */
static bool below(const char *a, const char *b)
{
        size_t n = strlen(b);
        while (n > 0 && b[n - 1] == '/')
                n--;
        return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

/* Roots of rules in `from` with no identical rule in `to`, appended to out. */
static size_t changed_roots(const struct pb_grants *from, const struct pb_grants *to,
                            const char **out, size_t k)
{
        for (size_t i = 0, n = pb_grants_path_root_count(from); i < n; i++) {
                const struct pb_grants_path_root *r = pb_grants_path_root(from, i);
                if (!has_root(to, r))
                        out[k++] = r->prefix;
        }
        return k;
}

static bool affected(const char *dir, const char **roots, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (below(dir, roots[i]) || below(roots[i], dir))
                        return true;
        return false;
}

int pb_listings_publish(struct pb_view *v, const struct pb_grants *old, const struct pb_grants *g)
{
        bool all = v->kind == PB_VIEW_DEV;
        size_t cap = pb_grants_path_root_count(old) + pb_grants_path_root_count(g);
        _cleanup_free_ const char **roots = calloc(cap + 1, sizeof(*roots));
        if (!roots)
                all = true; /* fail closed: drop every cached listing */
        size_t nroots = 0;
        if (roots) {
                nroots = changed_roots(old, g, roots, 0);
                nroots = changed_roots(g, old, roots, nroots);
        }
        if (!all && nroots == 0)
                return 0;

        struct pb_node **nodes = NULL;
        size_t n = 0;
        int ret = pb_nodes_snapshot(v, &nodes, &n);
        char path[PATH_MAX];
        for (size_t i = 0; i <= n; i++) {
                struct pb_node *x = i < n && nodes ? nodes[i] : &v->root;
                if (x->type != S_IFDIR || !atomic_load(&x->listed))
                        continue;
                /* A directory whose place is unknown is dropped too. */
                if (!all && pb_node_path(v, x, path, sizeof(path)) == 0 &&
                    !affected(path, roots, nroots))
                        continue;
                int r = fuse_lowlevel_notify_inval_inode(v->se, pb_node_id(v, x), 0, 0);
                if (r < 0 && r != -ENOENT && ret == 0)
                        ret = r;
        }
        for (size_t i = 0; nodes && i < n; i++)
                pb_node_unref(nodes[i]);
        free(nodes);
        return ret;
}
