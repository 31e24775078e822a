/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Private to fs/: the view and its inode table.
 *
 * Lock order: grants_lock (read side, held for a whole request) -> a node's
 * lock (for a directory it guards the listing stream, and READDIRPLUS looks
 * names up under it) -> nodes_lock; nothing takes a node's lock while
 * holding nodes_lock. pb_view_publish() takes grants_lock for writing only
 * to swap the pointer; it never holds it while talking to the kernel
 * (deadlock rule, reference/FUSE.md).
 */
#pragma once

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <time.h>

#include "view.h"

/* A POSIX-lock owner's private host descriptor: its OFD locks stand for the
 * owner's POSIX locks, so different owners conflict on the host as they
 * would natively and a close by the owner (FLUSH) drops them. */
struct pb_lock_owner {
        struct pb_lock_owner *next;
        uint64_t owner;
        int fd;
        const void *via; /* the handle it was first used through */
        pid_t pid;       /* the process that last locked through it (0: none said) */
};

struct pb_node {
        struct pb_node *hnext; /* hash chain, under nodes_lock */
        dev_t dev;
        ino_t ino;
        int fd; /* O_PATH|O_NOFOLLOW, the node's identity */
        mode_t type;
        uint64_t nlookup;       /* kernel's lookup count, under nodes_lock */
        atomic_uint refs;       /* the table's (while nlookup > 0) + publish's */
        atomic_int writers;     /* open handles with write access */
        atomic_uint handles;    /* open handles (prune.c leaves such nodes alone) */
        fuse_ino_t hint_parent; /* last parent+name seen, for entry invalidation */
        char *hint_name;        /* under nodes_lock */
        pthread_mutex_t lock;   /* owners, dir */
        struct pb_lock_owner *owners;
        /* One host write at a time per node: concurrent writes to one host
         * file queue on its inode lock, where the kernel spins for the
         * owner (a third of the daemon's CPU on a 2-CPU machine with the
         * write-back flusher's requests in parallel); a mutex sleeps. */
        pthread_mutex_t write_lock;
        struct pb_dirstream *dir;        /* a listing in progress (ops-dir.c) */
        atomic_bool listed;              /* the kernel may cache a listing of it */
        _Atomic uint64_t entry_sent_ns;  /* last entry (name, attributes) sent for it */
        _Atomic uint64_t bare_listed_ns; /* last listing of it with bare names (prefetch.c) */
};

/* What READDIRPLUS answers carry (prefetch.c). */
struct pb_prefetch {
        atomic_bool names_only; /* files listed bare; false: with attributes */
        atomic_uint tick;       /* sampling in attributes mode */
        atomic_uint bare_names; /* listed bare in this window */
        atomic_uint misses;     /* LOOKUPs right after a bare listing */
        pthread_mutex_t lock;   /* one decision at a time */
};

struct pb_view {
        enum pb_view_kind kind;
        char *host_root;
        size_t host_root_len;
        char *mountpoint;
        uid_t uid;
        gid_t gid;
        gid_t *groups;
        int ngroups;
        mode_t umask;
        int proc_fd; /* /proc/self/fd (O_PATH), for pb_node_path; -1: unknown */
        pb_view_audit_fn audit;
        void *audit_ctx;
        double entry_timeout, attr_timeout;

        pthread_rwlock_t grants_lock;
        struct pb_grants *grants;
        /* During a publish's invalidation: write-back (not write()) of pages
         * dirtied before the revoke is accepted, so no data is lost. */
        atomic_bool laundering;
        struct pb_prefetch prefetch;
        /* Fault injection for the tests, never set by the broker: every
         * RELEASE starts this late (PB_FS_TEST_RELEASE_DELAY_US), so that
         * the race between a close and the next lock (locks.c, try_now)
         * happens every time. Read once at start. */
        long test_release_delay_us;
        bool writeback;            /* the kernel caches writes (set at INIT) */
        bool no_opendir;           /* the kernel opens directories without us (INIT) */
        uint32_t init_flags_add;   /* INIT flags for device-io.c to add to the reply */
        _Atomic time_t fds_warned; /* last "out of file descriptors" warning (ops.c) */
        /* the node pruner (prune.c), started on first use */
        pthread_mutex_t prune_lock;
        pthread_cond_t prune_cond;
        pthread_t prune_thread;
        bool prune_started, prune_stop, prune_kicked;
        size_t prune_want;   /* under prune_lock: names the next round drops */
        size_t prune_cursor; /* under nodes_lock: the bucket the next round starts at */

        pthread_mutex_t nodes_lock;
        struct pb_node **buckets;
        size_t nbuckets, count;
        struct pb_node root;

        /* The mountpoint as seen from the host side, so a lookup never walks
         * into our own mount (it would call back into this daemon). */
        dev_t mp_parent_dev;
        ino_t mp_parent_ino;
        char *mp_name;

        /* status view: stable inode numbers for endpoint names */
        pthread_mutex_t names_lock;
        char **names;
        size_t nnames, cap_names;

        struct fuse_session *se;
        /* lock waiter threads (locks.c); stop waits for them */
        atomic_bool stopping;
        pthread_mutex_t waiters_lock;
        pthread_cond_t waiters_cond;
        unsigned waiters;
        dev_t conn_dev; /* the mount's st_dev: its fusectl connection */
        pthread_mutex_t fh_lock;
        struct pb_fh *fhs;               /* open file handles */
        struct pb_fuse_workers *workers; /* workers.c */
        struct pb_ring *ring;            /* ring.c; NULL: requests come through /dev/fuse */
        uint32_t init_flags2_add;        /* like init_flags_add, for flags2 */
        bool ring_accepted;              /* the INIT reply said io_uring */
        pthread_mutex_t publish_lock;    /* one publish at a time */
        pthread_mutex_t stats_lock;
        struct pb_view_publish_stats stats;
};

/* ---- prefetch.c ---- */
/* For one READDIRPLUS: 0, no name bare; 1, every file; N, one in N. */
unsigned pb_prefetch_bare_every(struct pb_view *v);
/* Whether this name (of dirent type `type`) is listed bare. */
bool pb_prefetch_bare(struct pb_view *v, unsigned every, unsigned char type);
/* After a READDIRPLUS answer that listed `bare` names of dir bare. */
void pb_prefetch_listed(struct pb_view *v, struct pb_node *dir, unsigned bare);
/* After a LOOKUP that found a name in dir. */
void pb_prefetch_looked_up(struct pb_view *v, struct pb_node *dir);

/* ---- device-io.c ---- */
/* Route the session's device I/O through device-io.c (after the mount). */
int pb_view_use_device_io(struct pb_view *v);
/* In pb_op_create: the request is O_TMPFILE's (no name). */
bool pb_fuse_tmpfile_request(void);
/* Before INIT is processed: note which extra flags the reply gets. */
void pb_view_note_init(struct pb_view *v, const struct fuse_buf *buf);

/* ---- prune.c ---- */
/* Read RLIMIT_NOFILE (after raising it): where pruning starts and stops. */
void pb_prune_set_limits(void);
/* A node descriptor fd was opened (a new node of v) / one was closed. */
void pb_prune_node_opened(struct pb_view *v, int fd);
void pb_prune_node_closed(void);
/* v could not get a descriptor: shed nodes now. */
void pb_prune_out_of_fds(struct pb_view *v);
/* Stop and join v's pruner (before the session goes). */
void pb_prune_stop(struct pb_view *v);

/* ---- nodes.c ---- */
struct pb_node *pb_node_of(struct pb_view *v, fuse_ino_t ino);
static inline fuse_ino_t pb_node_id(struct pb_view *v, struct pb_node *n)
{
        return n == &v->root ? FUSE_ROOT_ID : (fuse_ino_t)(uintptr_t)n;
}
/* The last parent and name the node was seen under (for invalidating that
 * name in the kernel); false when there is none. */
bool pb_node_hint(struct pb_view *v, struct pb_node *n, fuse_ino_t *parent,
                  char name[NAME_MAX + 1]);
/* Find or insert the node for st; consumes fd either way. Returns NULL on
 * ENOMEM (fd closed). Adds one lookup. */
struct pb_node *pb_node_lookup(struct pb_view *v, int fd, const struct stat *st, fuse_ino_t parent,
                               const char *name);
/* The node of (dev, ino) if the table has it, with one lookup added; NULL
 * otherwise. pb_node_seen records where it was found (its entry hint). */
struct pb_node *pb_node_find(struct pb_view *v, dev_t dev, ino_t ino);
/* An entry for n goes to the kernel now (lookup, create, listing). */
void pb_node_entry_sent(struct pb_view *v, struct pb_node *n);
/* Whether the kernel holds a node for (dev, ino) with an entry that has
 * not timed out yet (no count taken). */
bool pb_node_entry_fresh(struct pb_view *v, dev_t dev, ino_t ino);
void pb_node_seen(struct pb_view *v, struct pb_node *n, fuse_ino_t parent, const char *name);
void pb_node_forget(struct pb_view *v, struct pb_node *n, uint64_t nlookup);
void pb_node_unref(struct pb_node *n);
void pb_nodes_free(struct pb_view *v);
/* The node's current host path (follows renames by anyone); 0 or -errno. */
int pb_node_path(struct pb_view *v, struct pb_node *n, char *buf, size_t len);
/* /proc/self/fd, opened once per view: reading a node's path relative to it
 * saves walking four components on every request. */
int pb_proc_fd_open(void);
/* paths.c: the current host path of nodes[0..n-1] and of the root (index
 * n): (*paths)[i] (NULL on error, then (*errs)[i] < 0). Caller frees each
 * path and both arrays. 0 or -ENOMEM. */
int pb_nodes_paths(struct pb_view *v, struct pb_node **nodes, size_t n, char ***paths, int **errs);
/* All nodes the kernel knows, each with a reference; caller unrefs. */
int pb_nodes_snapshot(struct pb_view *v, struct pb_node ***out, size_t *n);

/* ---- creds.c ---- */
/* Make the calling thread act as the view's user for host accesses. */
void pb_view_become_user(struct pb_view *v);
bool pb_view_is_user(const struct pb_view *v);

/* ---- ops.c / status.c ---- */
extern const struct fuse_lowlevel_ops pb_view_path_ops;
extern const struct fuse_lowlevel_ops pb_view_status_ops;
/* Access a (host) path has in table g for this view. */
unsigned pb_view_access(const struct pb_view *v, const struct pb_grants *g, const char *path);
void pb_view_deny(struct pb_view *v, const struct pb_grants *g, const char *path, const char *op,
                  unsigned want);
/* listings.c: after the swap to g, drop the kernel's cached listings of
 * the directories whose contents may look different under g than under old;
 * 0 or the first -errno of the kernel. */
int pb_listings_publish(struct pb_view *v, const struct pb_grants *old, const struct pb_grants *g);
/* status.c: invalidate entries whose connected state changed. */
void pb_status_publish(struct pb_view *v, const struct pb_grants *old, const struct pb_grants *g);

/* ---- ops.c: the request frame shared by every handler ---- */
struct pb_req {
        struct pb_view *v;
        fuse_req_t req;
        struct pb_grants *g; /* valid until pb_req_end */
        bool locked;
};
/* False when the request was already answered (refused). */
bool pb_req_begin(struct pb_req *q, fuse_req_t req);
void pb_req_end(struct pb_req *q);
/* Reply with an error (err >= 0, an errno) and end the request. */
void pb_req_fail(struct pb_req *q, int err);
/* err means the daemon's descriptors ran out (EMFILE, ENFILE). */
bool pb_out_of_fds(int err);
/* Check the node's current access against want (0: any access at all);
 * fills path. Returns 0 or -EACCES (audited) / -errno. */
int pb_req_check(struct pb_req *q, struct pb_node *n, char *path, size_t len, unsigned want,
                 const char *op);
/* The same, also giving the node's access bits (when the path was read). */
int pb_req_check_access(struct pb_req *q, struct pb_node *n, char *path, size_t len, unsigned want,
                        const char *op, unsigned *access);
void pb_proc_path(char buf[32], int fd);

/* ---- ops-file.c ---- */
struct pb_fh {
        int fd;
        bool writable;
        /* the view's open handles (fh_lock): those the kernel never released
         * (a view stopped with files still open) are freed with the view */
        struct pb_fh *prev, *next;
};
void pb_op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void pb_op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
                  struct fuse_file_info *fi);
void pb_op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi);
void pb_op_write_buf(fuse_req_t req, fuse_ino_t ino, struct fuse_bufvec *in, off_t off,
                     struct fuse_file_info *fi);
void pb_op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void pb_op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void pb_op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);
void pb_op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, struct fuse_file_info *fi);
void pb_op_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
                           struct fuse_file_info *fi_in, fuse_ino_t ino_out, off_t off_out,
                           struct fuse_file_info *fi_out, size_t len, int flags);
void pb_op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
                     struct fuse_file_info *fi);
void pb_op_getlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, struct flock *lock);
void pb_op_setlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, struct flock *lock,
                 int sleep);
void pb_op_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, int op);
/* locks.c: a handle is released: drop the OFD lock owners it carried (the
 * kernel tells us nothing else when the last fd of an open file closes). */
void pb_locks_release_handle(struct pb_node *n, const struct pb_fh *h);
/* ops-dir.c, ops-xattr.c */
void pb_node_dir_free(struct pb_node *n);
void pb_op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void pb_op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                   struct fuse_file_info *fi);
void pb_op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       struct fuse_file_info *fi);
void pb_op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void pb_op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);
void pb_op_statfs(fuse_req_t req, fuse_ino_t ino);
void pb_op_access(fuse_req_t req, fuse_ino_t ino, int mask);
void pb_op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size);
void pb_op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void pb_op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
                    size_t size, int flags);
void pb_op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);
/* ops.c: the name of the view's own mountpoint in its parent (never shown) */
bool pb_is_own_mountpoint(struct pb_view *v, struct pb_node *parent, const char *name);
/* ops.c: what the dev view shows (directories and device nodes) */
bool pb_dev_visible(mode_t type);
/* ops.c: answer a new name with an entry (creates the node). */
/* Answer a name just made on the host (undo: unlinkat flags to take it back
 * if no descriptor is left to serve it). */
void pb_reply_new_entry(struct pb_req *q, struct pb_node *parent, const char *name, int undo);
/* ops.c: open parent/name (never following), check its real place, fill e
 * and add one lookup to its node; -ENOENT when invisible. ppath: the
 * parent's path as read in this request, or NULL; recheck: confirm the
 * parent is still there after the open. */
int pb_lookup_child(struct pb_req *q, struct pb_node *p, const char *ppath, bool recheck,
                    const char *name, struct fuse_entry_param *e, const char *op);
/* ops.c: READDIRPLUS's lookup of a listed name (ops-dir.c decided its
 * access by its place in the listing); one lookup added, or -errno. */
int pb_lookup_listed(struct pb_req *q, struct pb_node *p, const char *name, uint64_t ino,
                     unsigned access, struct fuse_entry_param *e);
/* 0 for a name the daemon handles; -ENAMETOOLONG (as the host would say)
 * for one longer than NAME_MAX; -bad for "", ".", ".." or one with a '/'. */
int pb_check_name(const char *name, int bad);
int pb_child_path(char *buf, size_t len, const char *parent, const char *name);
