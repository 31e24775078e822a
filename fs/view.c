/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * View lifecycle and publish (revocation, DESIGN §7).
 *
 * Publish, in order:
 *  1. flush: every node that loses write access and has writable handles gets
 *     its page cache invalidated while the OLD table is still in force, so
 *     dirty pages of shared writable mmaps are written back and accepted, not
 *     refused and lost (reference/FUSE.md: no writeback cache here, but mmap
 *     writeback still exists);
 *  2. swap: take grants_lock for writing — this waits for every request that
 *     was checked against the old table (each holds the read side until it has
 *     replied), so no old-table answer can reach an app after publish returns;
 *  3. invalidate from this (non-FUSE) thread, for every node the kernel knows
 *     whose access shrank: its attributes and pages (mmaps now fault, cached
 *     reads come to us and are refused) and, if it became invisible, its name.
 * Data an app writes to a shared mmap *during* the publish (between 1 and 3)
 * is refused like any write after the revoke; the app sees the error at
 * msync/fsync/close, never a silent success before the revoke returned.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pb-util.h"
#include "ring.h"
#include "view-int.h"
#include "workers.h"

#define FUSECTL_SUPER_MAGIC 0x65735543

static const char *const kind_names[] = {
    [PB_VIEW_HOME] = "home", [PB_VIEW_MEDIA] = "media",   [PB_VIEW_HOST] = "host",
    [PB_VIEW_DEV] = "dev",   [PB_VIEW_STATUS] = "status",
};

const char *pb_view_kind_name(enum pb_view_kind k)
{
        return (unsigned)k < PB_ARRAY_SIZE(kind_names) ? kind_names[k] : "?";
}

int pb_view_kind_from_name(const char *name)
{
        for (size_t i = 0; i < PB_ARRAY_SIZE(kind_names); i++)
                if (name && strcmp(name, kind_names[i]) == 0)
                        return (int)i;
        return -1;
}

static mode_t read_umask(void)
{
        _cleanup_file_ FILE *f = fopen("/proc/self/status", "re");
        char line[256];
        unsigned m = 022;
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "Umask: %o", &m) == 1)
                        break;
        return (mode_t)m;
}

static int load_groups(struct pb_view *v)
{
        struct passwd pw, *res = NULL;
        char buf[4096];
        int n = 64;
        v->groups = calloc((size_t)n, sizeof(gid_t));
        if (!v->groups)
                return -ENOMEM;
        if (getpwuid_r(v->uid, &pw, buf, sizeof(buf), &res) != 0 || !res) {
                v->groups[0] = v->gid;
                v->ngroups = 1;
                return 0;
        }
        if (getgrouplist(pw.pw_name, v->gid, v->groups, &n) < 0) {
                gid_t *g = realloc(v->groups, (size_t)n * sizeof(gid_t));
                if (!g)
                        return -ENOMEM;
                v->groups = g;
                if (getgrouplist(pw.pw_name, v->gid, v->groups, &n) < 0)
                        return -EINVAL;
        }
        v->ngroups = n;
        return 0;
}

static void view_free(struct pb_view *v)
{
        if (!v)
                return;
        /* Handles the kernel never released (stopped with files open); the
         * nodes and their locks go next. */
        for (struct pb_fh *h = v->fhs, *next; h; h = next) {
                next = h->next;
                close(h->fd);
                free(h);
        }
        pb_nodes_free(v);
        if (v->root.fd >= 0)
                close(v->root.fd);
        if (v->proc_fd >= 0)
                close(v->proc_fd);
        for (struct pb_lock_owner *o = v->root.owners, *next; o; o = next) {
                next = o->next;
                close(o->fd);
                free(o);
        }
        if (v->grants)
                pb_grants_unref(v->grants);
        for (size_t i = 0; i < v->nnames; i++)
                free(v->names[i]);
        free(v->names);
        free(v->host_root);
        free(v->mountpoint);
        free(v->mp_name);
        free(v->groups);
        pthread_cond_destroy(&v->prune_cond);
        pthread_mutex_destroy(&v->prune_lock);
        free(v);
}

/* The kernel sends INIT as soon as the mount exists: receive and answer it
 * (0), or a negative errno. */
static int answer_init(struct pb_view *v)
{
        struct fuse_buf buf = {.mem = NULL};
        int n;
        while ((n = fuse_session_receive_buf(v->se, &buf)) == -EINTR)
                ;
        if (n > 0) {
                pb_view_note_init(v, &buf);
                fuse_session_process_buf(v->se, &buf);
                v->init_flags_add = 0;
        }
        free(buf.mem);
        if (n <= 0)
                return n < 0 ? n : -ENOTCONN;
        return fuse_session_exited(v->se) ? -EPROTO : 0;
}

/* After INIT: the io_uring queues register, or the view goes on with
 * /dev/fuse alone (the kernel falls back when a registration fails). */
static void start_ring(struct pb_view *v)
{
        if (!v->ring)
                return;
        if (v->ring_accepted && pb_ring_go(v->ring) == 0) {
                pb_debug("fs: %s is served through io_uring", v->mountpoint);
                return;
        }
        if (v->ring_accepted)
                pb_warn("fs: io_uring queues of %s not registered: served through /dev/fuse",
                        v->mountpoint);
        pb_ring_stop(v->ring);
        v->ring = NULL;
}

static int record_mountpoint(struct pb_view *v, struct pb_error *err)
{
        _cleanup_free_ char *a = strdup(v->mountpoint), *b = strdup(v->mountpoint);
        if (!a || !b)
                return pb_error_set(err, ENOMEM, "out of memory");
        struct stat st;
        if (lstat(dirname(a), &st) < 0)
                return pb_error_set(err, errno, "cannot stat the parent of %s: %m", v->mountpoint);
        v->mp_parent_dev = st.st_dev;
        v->mp_parent_ino = st.st_ino;
        v->mp_name = strdup(basename(b));
        return v->mp_name ? 0 : pb_error_set(err, ENOMEM, "out of memory");
}

/* Each node the kernel keeps cached holds one O_PATH fd: lift the soft fd
 * limit to the hard one (services start with a soft limit of 1024). */
static void raise_fd_limit(void)
{
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                setrlimit(RLIMIT_NOFILE, &rl);
        }
}

int pb_view_start(const struct pb_view_config *cfg, struct pb_view **out, struct pb_error *err)
{
        if (!cfg || !cfg->mountpoint || cfg->mountpoint[0] != '/' || !cfg->grants ||
            pb_view_kind_name(cfg->kind)[0] == '?')
                return pb_error_set(err, EINVAL, "invalid view configuration");
        if (cfg->kind != PB_VIEW_STATUS && (!cfg->host_root || cfg->host_root[0] != '/'))
                return pb_error_set(err, EINVAL, "a %s view needs an absolute host root",
                                    pb_view_kind_name(cfg->kind));
        struct pb_view *v = calloc(1, sizeof(*v));
        if (!v)
                return pb_error_set(err, ENOMEM, "out of memory");
        v->kind = cfg->kind;
        v->uid = cfg->uid;
        v->gid = cfg->gid;
        v->audit = cfg->audit;
        v->audit_ctx = cfg->audit_ctx;
        v->root.fd = -1;
        v->umask = read_umask();
        raise_fd_limit();
        pb_prune_set_limits();
        v->proc_fd = pb_proc_fd_open();
        pthread_rwlockattr_t ra;
        pthread_rwlockattr_init(&ra);
        /* A publish must not starve behind a stream of readers. */
        pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
        pthread_rwlock_init(&v->grants_lock, &ra);
        pthread_rwlockattr_destroy(&ra);
        pthread_mutex_init(&v->nodes_lock, NULL);
        pthread_mutex_init(&v->names_lock, NULL);
        pthread_mutex_init(&v->stats_lock, NULL);
        pthread_mutex_init(&v->prefetch.lock, NULL);
        const char *delay = getenv("PB_FS_TEST_RELEASE_DELAY_US");
        v->test_release_delay_us = delay ? strtol(delay, NULL, 10) : 0;
        pthread_mutex_init(&v->publish_lock, NULL);
        pthread_mutex_init(&v->waiters_lock, NULL);
        pthread_cond_init(&v->waiters_cond, NULL);
        pthread_mutex_init(&v->fh_lock, NULL);
        pthread_mutex_init(&v->prune_lock, NULL);
        pthread_cond_init(&v->prune_cond, NULL);
        pthread_mutex_init(&v->root.lock, NULL);
        pthread_mutex_init(&v->root.write_lock, NULL);
        v->grants = pb_grants_ref(cfg->grants);
        /* Path views: the kernel may cache names and attributes, because every
         * revoke invalidates them. The dev view asks on every lookup: opening a
         * device node never reaches the daemon, the name is the only gate. The
         * status view is tiny and must be exact. */
        bool paths = cfg->kind != PB_VIEW_STATUS;
        double t = cfg->cache_timeout == 0  ? 5.0
                   : cfg->cache_timeout < 0 ? 0.0
                                            : cfg->cache_timeout;
        v->entry_timeout = (paths && cfg->kind != PB_VIEW_DEV) ? t : 0.0;
        v->attr_timeout = v->entry_timeout;
        v->nbuckets = 256;
        v->buckets = calloc(v->nbuckets, sizeof(*v->buckets));
        v->mountpoint = strdup(cfg->mountpoint);
        int r = 0;
        if (!v->buckets || !v->mountpoint || load_groups(v) < 0) {
                r = pb_error_set(err, ENOMEM, "out of memory");
                goto fail;
        }
        if (paths) {
                v->host_root = realpath(cfg->host_root, NULL);
                if (!v->host_root) {
                        r = pb_error_set(err, errno, "cannot resolve %s: %m", cfg->host_root);
                        goto fail;
                }
                v->host_root_len = strlen(v->host_root);
                if (v->host_root_len == 1)
                        v->host_root_len = 0; /* "/" : every absolute path is below */
                v->root.fd = open(v->host_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
                struct stat st;
                if (v->root.fd < 0 || fstat(v->root.fd, &st) < 0) {
                        r = pb_error_set(err, errno, "cannot open %s: %m", v->host_root);
                        goto fail;
                }
                v->root.dev = st.st_dev;
                v->root.ino = st.st_ino;
                v->root.type = S_IFDIR;
        }
        r = record_mountpoint(v, err);
        if (r < 0)
                goto fail;

        char opts[512];
        snprintf(opts, sizeof(opts),
                 "fsname=plugboard-%s,subtype=plugboard,allow_other,default_permissions,nosuid%s",
                 pb_view_kind_name(v->kind), v->kind == PB_VIEW_DEV ? ",dev" : ",nodev");
        char *argv[] = {"plugboard-view", "-o", opts, cfg->fuse_debug ? "-d" : NULL, NULL};
        struct fuse_args args = FUSE_ARGS_INIT(cfg->fuse_debug ? 4 : 3, argv);
        const struct fuse_lowlevel_ops *ops =
            v->kind == PB_VIEW_STATUS ? &pb_view_status_ops : &pb_view_path_ops;
        v->se = fuse_session_new(&args, ops, sizeof(*ops), v);
        /* fuse_session_new parses args into a heap copy (fuse_opt_parse with
         * outargs); the session keeps its own parsed options, so the copy is
         * ours to free once the mount used them. */
        int mounted = v->se ? fuse_session_mount(v->se, v->mountpoint) : -1;
        fuse_opt_free_args(&args);
        if (!v->se) {
                r = pb_error_set(err, EINVAL, "cannot create the FUSE session");
                goto fail;
        }
        if (mounted != 0) {
                r = pb_error_set(err, EIO, "cannot mount a FUSE view on %s", v->mountpoint);
                goto fail;
        }
        if (pb_view_use_device_io(v) != 0) {
                r = pb_error_set(err, ENOMEM, "cannot set up the view's device I/O");
                fuse_session_unmount(v->se);
                goto fail;
        }
        /* The kernel fails the mount closed (ENOTCONN) when this fd closes; no
         * child of the broker may inherit it. */
        int ffd = fuse_session_fd(v->se);
        fcntl(ffd, F_SETFD, fcntl(ffd, F_GETFD) | FD_CLOEXEC);
        /* Answer INIT here, before the workers start: when this returns the
         * mount is live. (Not by stat()ing the mount from this thread: that
         * blocks one broker thread on another's answer, which deadlocks under
         * valgrind, whose big lock a stat() does not release.) */
        if (v->kind != PB_VIEW_STATUS && v->kind != PB_VIEW_DEV)
                v->ring = pb_ring_prepare(v);
        if ((r = answer_init(v)) < 0) {
                pb_error_set(err, -r, "the view on %s does not answer: %s", v->mountpoint,
                             strerror(-r));
                fuse_session_unmount(v->se);
                goto fail;
        }
        start_ring(v);
        /* Up to 16 workers; some stay idle: a thread that exits and is
         * re-created costs more than the request it serves (and re-does the
         * credential switch), but a broker serves seven views per
         * (snap, uid), so not all sixteen. */
        if (!(v->workers = pb_fuse_workers_start(v->se, 16, 6))) {
                fuse_session_unmount(v->se);
                r = pb_error_set(err, EAGAIN, "cannot start the view's workers");
                goto fail;
        }
        /* The connection's device, from the inode the kernel has (no
         * request: DONT_SYNC). */
        struct statx stx;
        if (statx(AT_FDCWD, v->mountpoint, AT_STATX_DONT_SYNC, 0, &stx) < 0) {
                r = pb_error_set(err, errno, "cannot stat the view on %s: %m", v->mountpoint);
                pb_view_stop(v);
                return r;
        }
        v->conn_dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
        *out = v;
        return 0;
fail:
        pb_ring_stop(v->ring);
        v->ring = NULL;
        if (v->se)
                fuse_session_destroy(v->se);
        view_free(v);
        return r < 0 ? r : -EINVAL;
}

/* Fail every request of the connection (ENOTCONN), as a dead broker would:
 * a lazily detached mount lives on while apps hold files in it, and the
 * workers would otherwise wait for its requests forever. */
static void abort_connection(struct pb_view *v)
{
        char p[96];
        snprintf(p, sizeof(p), "/sys/fs/fuse/connections/%u/abort", minor(v->conn_dev));
        int fd = open(p, O_WRONLY | O_CLOEXEC);
        struct statfs sf;
        /* No such connection: gone already (unmounted with nothing open),
         * unless fusectl is not mounted at all. */
        if (fd < 0 && errno == ENOENT && statfs("/sys/fs/fuse/connections", &sf) == 0 &&
            sf.f_type == FUSECTL_SUPER_MAGIC)
                return;
        if (fd < 0 && errno == ENOENT &&
            mount("fusectl", "/sys/fs/fuse/connections", "fusectl", 0, NULL) == 0)
                fd = open(p, O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
                pb_warn("fs: cannot abort the FUSE connection of %s: %m", v->mountpoint);
                return;
        }
        (void)!write(fd, "1", 1);
        close(fd);
}

void pb_view_stop(struct pb_view *v)
{
        if (!v)
                return;
        if (v->se) {
                /* It notifies the kernel through the session: first. */
                pb_prune_stop(v);
                /* Lock waiters answer their requests and go (within 20 ms). */
                atomic_store(&v->stopping, true);
                pthread_mutex_lock(&v->waiters_lock);
                while (v->waiters > 0)
                        pthread_cond_wait(&v->waiters_cond, &v->waiters_lock);
                pthread_mutex_unlock(&v->waiters_lock);
                fuse_session_exit(v->se);
                /* Before the unmount closes the device the workers read. */
                pb_fuse_workers_stop(v->workers);
                v->workers = NULL;
                pb_ring_stop(v->ring);
                v->ring = NULL;
                fuse_session_unmount(v->se);
                if (v->conn_dev)
                        abort_connection(v);
                fuse_session_destroy(v->se);
        }
        view_free(v);
}

const char *pb_view_mountpoint(const struct pb_view *v)
{
        return v->mountpoint;
}

bool pb_view_ring_served(const struct pb_view *v, uint64_t *served)
{
        *served = pb_ring_served(v->ring);
        return v->ring != NULL;
}

void pb_view_last_publish_stats(struct pb_view *v, struct pb_view_publish_stats *out)
{
        pthread_mutex_lock(&v->stats_lock);
        *out = v->stats;
        pthread_mutex_unlock(&v->stats_lock);
}

struct affected {
        struct pb_node *node;
        unsigned after; /* ~0u: place unknown, treat as gone */
};

static int cmp_affected(const void *a, const void *b)
{
        uintptr_t x = (uintptr_t)((const struct affected *)a)->node;
        uintptr_t y = (uintptr_t)((const struct affected *)b)->node;
        return x < y ? -1 : x > y;
}

/* Is node id `parent` among the affected nodes that became invisible? Only
 * compares addresses: the id may belong to a node already forgotten. */
static bool parent_gone(struct pb_view *v, const struct affected *aff, size_t n, fuse_ino_t parent)
{
        uintptr_t key = parent == FUSE_ROOT_ID ? (uintptr_t)&v->root : (uintptr_t)parent;
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                uintptr_t k = (uintptr_t)aff[mid].node;
                if (k == key)
                        return aff[mid].after == 0 || aff[mid].after == ~0u;
                if (k < key)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return false;
}

static int view_publish(struct pb_view *v, struct pb_grants *g);

static int inval_inode(struct pb_view *v, struct pb_node *n)
{
        int r = fuse_lowlevel_notify_inval_inode(v->se, pb_node_id(v, n), 0, 0);
        return r == -ENOENT ? 0 : r;
}

/* A revoke is the security path and the CLI waits for it: the publishing
 * thread runs at the highest nice level while it decides and invalidates
 * (the kernel's invalidation work runs in this thread too), so a machine
 * busy with other work does not stretch it. Per thread: setpriority on the
 * thread id. Returns the previous level, or INT_MIN when unchanged. */
static int boost_begin(void)
{
        pid_t tid = (pid_t)syscall(SYS_gettid);
        errno = 0;
        int prev = getpriority(PRIO_PROCESS, (id_t)tid);
        if (errno != 0 || prev <= -20 || setpriority(PRIO_PROCESS, (id_t)tid, -20) < 0)
                return INT_MIN;
        return prev;
}

static void boost_end(int prev)
{
        if (prev != INT_MIN)
                setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), prev);
}

int pb_view_publish(struct pb_view *v, struct pb_grants *g)
{
        int prio = boost_begin();
        int ret = view_publish(v, g);
        boost_end(prio);
        return ret;
}

static int view_publish(struct pb_view *v, struct pb_grants *g)
{
        uint64_t t0 = pb_mono_ns();
        struct pb_view_publish_stats stats = {0};
        pb_grants_ref(g);
        pthread_mutex_lock(&v->publish_lock);
        if (v->kind == PB_VIEW_STATUS) {
                pthread_rwlock_wrlock(&v->grants_lock);
                struct pb_grants *old = v->grants;
                v->grants = g;
                pthread_rwlock_unlock(&v->grants_lock);
                pb_status_publish(v, old, g);
                pb_grants_unref(old);
                goto done;
        }

        struct pb_node **nodes = NULL;
        size_t n = 0;
        int ret = pb_nodes_snapshot(v, &nodes, &n);
        struct affected *aff = ret == 0 ? calloc(n + 1, sizeof(*aff)) : NULL;
        size_t naff = 0;
        struct pb_grants *old = v->grants; /* only publish writes it; we are the publisher */
        char **paths = NULL;
        int *perr = NULL;
        if (aff && pb_nodes_paths(v, nodes, n, &paths, &perr) < 0) {
                free(aff);
                aff = NULL;
        }

        /* Which nodes lose something. */
        for (size_t i = 0; aff && i <= n; i++) {
                struct pb_node *x = i < n ? nodes[i] : &v->root;
                if (!paths[i]) {
                        /* Unknown place: treat as losing everything. */
                        aff[naff++] = (struct affected){x, ~0u};
                        continue;
                }
                unsigned before = pb_view_access(v, old, paths[i]);
                unsigned after = pb_view_access(v, g, paths[i]);
                stats.nodes_checked++;
                if (before & ~after)
                        aff[naff++] = (struct affected){x, after};
        }
        for (size_t i = 0; paths && i <= n; i++)
                free(paths[i]);
        free(paths);
        free(perr);
        if (!aff && ret == 0)
                ret = -ENOMEM;
        stats.check_ns = pb_mono_ns() - t0;
        if (aff)
                qsort(aff, naff, sizeof(*aff), cmp_affected);

        /* Swap. From here until the invalidation below is done, write-back
         * of pages dirtied before the revoke is still accepted (launder). */
        pthread_rwlock_wrlock(&v->grants_lock);
        v->grants = g;
        atomic_store(&v->laundering, true);
        pthread_rwlock_unlock(&v->grants_lock);

        for (size_t i = 0; i < naff; i++) {
                struct pb_node *x = aff[i].node;
                int r = inval_inode(v, x);
                if (r < 0 && ret == 0)
                        ret = r;
                stats.nodes_invalidated++;
                if (aff[i].after != 0 && aff[i].after != ~0u)
                        continue; /* still visible, with less access */
                fuse_ino_t parent;
                char name[NAME_MAX + 1];
                pb_node_hint(v, x, &parent, name);
                /* Dropping a directory's name drops every name below it:
                 * one call for a revoked tree instead of one per node. */
                if (parent && parent_gone(v, aff, naff, parent))
                        continue;
                if (parent) {
                        r = fuse_lowlevel_notify_inval_entry(v->se, parent, name, strlen(name));
                        if (r < 0 && r != -ENOENT && ret == 0)
                                ret = r;
                        stats.entries_invalidated++;
                }
        }
        /* Out of memory for the affected list: fail closed, drop the cached
         * attributes and pages of every node we could list (names stay cached
         * but every operation on them comes back here). */
        for (size_t i = 0; !aff && nodes && i < n; i++)
                inval_inode(v, nodes[i]);
        /* Cached listings the new table shows differently (listings.c). */
        int lr = pb_listings_publish(v, old, g);
        if (lr < 0 && ret == 0)
                ret = lr;
        /* Every affected node's dirty pages are written back now; nothing
         * can dirty them again (writes and faults come to us and fail). */
        pthread_rwlock_wrlock(&v->grants_lock);
        atomic_store(&v->laundering, false);
        pthread_rwlock_unlock(&v->grants_lock);
        for (size_t i = 0; i < n; i++)
                pb_node_unref(nodes[i]);
        free(nodes);
        free(aff);
        pb_grants_unref(old);
        if (ret < 0)
                pb_warn("fs: %s view on %s: invalidation failed: %s", pb_view_kind_name(v->kind),
                        v->mountpoint, strerror(-ret));
        stats.elapsed_ns = pb_mono_ns() - t0;
        pthread_mutex_lock(&v->stats_lock);
        v->stats = stats;
        pthread_mutex_unlock(&v->stats_lock);
        pthread_mutex_unlock(&v->publish_lock);
        return ret;
done:
        stats.elapsed_ns = pb_mono_ns() - t0;
        pthread_mutex_lock(&v->stats_lock);
        v->stats = stats;
        pthread_mutex_unlock(&v->stats_lock);
        pthread_mutex_unlock(&v->publish_lock);
        return 0;
}
