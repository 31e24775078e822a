/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Shedding nodes. Every node the kernel keeps cached holds one O_PATH
 * descriptor (nodes.c), and the kernel keeps inodes until memory runs short:
 * a walk over a big tree (find, tar, git status) would use up the broker's
 * RLIMIT_NOFILE. So when the process's descriptors pass 5/8 of the limit,
 * the view that grows asks the kernel to drop names it has cached
 * (notify_inval_entry), from a thread of its own, enough to be back at half.
 * It drops names of files nobody has open, never of
 * directories (see idle()); the kernel then evicts their inodes and FORGETs
 * them, and the view closes their descriptors. A dropped name costs one
 * LOOKUP when it is used again. Running out anyway (every cached file open)
 * kicks the pruner too: the failed request is answered ENFILE (ops.c), later
 * ones find room.
 *
 * The pruner never holds a view lock while it talks to the kernel (an
 * invalidation waits for the parent directory's lock, which a request in
 * flight may hold until a worker answers it). A name it copied may belong
 * to a node forgotten meanwhile, whose id the kernel no longer knows or a
 * new node reuses: dropping a cached name is always safe, only a lookup is
 * lost.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "view-int.h"

#define PRUNE_BATCH 4096      /* names dropped per round at most */
#define BRAKE_NS    10000000L /* the longest a new node waits for room */

static atomic_size_t fd_limit;   /* RLIMIT_NOFILE (0: unknown, never prune) */
static atomic_ulong closes;      /* node descriptors closed so far */
static atomic_uint room_waiters; /* requests waiting for a close */
static pthread_once_t room_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t room_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t room_cond; /* a node descriptor was closed (CLOCK_MONOTONIC) */

static void room_init(void)
{
        pthread_condattr_t a;
        pthread_condattr_init(&a);
        pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
        pthread_cond_init(&room_cond, &a);
        pthread_condattr_destroy(&a);
}

void pb_prune_set_limits(void)
{
        struct rlimit rl;
        pthread_once(&room_once, room_init);
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
                atomic_store(&fd_limit, (size_t)rl.rlim_cur);
}

static void kick(struct pb_view *v, size_t want);

/* Past the brake, an app that makes nodes faster than the pruner sheds them
 * (a busy machine starves the pruner) is slowed down to the pace at which
 * descriptors are closed: the new node's request waits for the next close,
 * at most 10 ms. Not longer: the pruner may itself be waiting for this
 * request to end (the kernel holds the directory's lock through a CREATE,
 * and dropping a name in it needs that lock). */
static void wait_for_room(void)
{
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += BRAKE_NS;
        if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&room_lock);
        atomic_fetch_add(&room_waiters, 1);
        unsigned long seen = atomic_load(&closes);
        while (atomic_load(&closes) == seen &&
               pthread_cond_timedwait(&room_cond, &room_lock, &until) == 0)
                ;
        atomic_fetch_sub(&room_waiters, 1);
        pthread_mutex_unlock(&room_lock);
}

/* The pressure is read off the new descriptor's number: the kernel hands out
 * the lowest free one, so at least fd descriptors are open in the process
 * (nodes, open files, every worker's epoll instance and splice pipe, the
 * broker's sockets: all of them count against the same limit). From 5/8 of
 * the limit the view drops names down to 1/2; from 3/4 it also brakes. */
void pb_prune_node_opened(struct pb_view *v, int fd)
{
        size_t lim = atomic_load(&fd_limit), at = fd < 0 ? 0 : (size_t)fd;
        if (!lim || at < lim / 8 * 5)
                return;
        kick(v, at - lim / 2);
        if (at >= lim / 4 * 3)
                wait_for_room();
}

void pb_prune_node_closed(void)
{
        atomic_fetch_add(&closes, 1);
        if (atomic_load(&room_waiters)) {
                pthread_mutex_lock(&room_lock);
                pthread_cond_broadcast(&room_cond);
                pthread_mutex_unlock(&room_lock);
        }
}

void pb_prune_out_of_fds(struct pb_view *v)
{
        size_t lim = atomic_load(&fd_limit);
        kick(v, lim / 2);
}

struct victim {
        fuse_ino_t parent;
        char *name;
};

/* A name worth dropping: a regular file or symlink (the kernel unhashes a
 * dropped name even while it is used: a directory may be someone's cwd,
 * whose getcwd() would then fail; a FIFO or socket may be open without us
 * knowing), and not open through us (an open file keeps its inode anyway,
 * and its /proc fd link would read "(deleted)"). */
static bool idle(struct pb_node *n)
{
        return n->hint_name && (S_ISREG(n->type) || S_ISLNK(n->type)) &&
               atomic_load(&n->handles) == 0;
}

/* Up to max idle cached names of v, from the bucket after the last round's. */
static size_t pick(struct pb_view *v, struct victim *out, size_t max)
{
        size_t k = 0;
        pthread_mutex_lock(&v->nodes_lock);
        size_t nb = v->nbuckets;
        size_t i = v->prune_cursor % nb;
        for (size_t seen = 0; seen < nb && k < max; seen++, i = (i + 1) % nb)
                for (struct pb_node *n = v->buckets[i]; n && k < max; n = n->hnext) {
                        if (!idle(n) || !(out[k].name = strdup(n->hint_name)))
                                continue;
                        out[k++].parent = n->hint_parent;
                }
        v->prune_cursor = i;
        pthread_mutex_unlock(&v->nodes_lock);
        return k;
}

static void prune_round(struct pb_view *v, size_t want)
{
        if (want == 0)
                return;
        if (want > PRUNE_BATCH)
                want = PRUNE_BATCH;
        struct victim *vs = calloc(want, sizeof(*vs));
        if (!vs)
                return;
        size_t k = pick(v, vs, want);
        for (size_t i = 0; i < k; i++) {
                fuse_lowlevel_notify_inval_entry(v->se, vs[i].parent, vs[i].name,
                                                 strlen(vs[i].name));
                free(vs[i].name);
        }
        free(vs);
}

static void *pruner_main(void *arg)
{
        struct pb_view *v = arg;
        pthread_mutex_lock(&v->prune_lock);
        while (!v->prune_stop) {
                if (!v->prune_kicked) {
                        pthread_cond_wait(&v->prune_cond, &v->prune_lock);
                        continue;
                }
                v->prune_kicked = false;
                size_t want = v->prune_want;
                v->prune_want = 0;
                pthread_mutex_unlock(&v->prune_lock);
                prune_round(v, want);
                pthread_mutex_lock(&v->prune_lock);
        }
        pthread_mutex_unlock(&v->prune_lock);
        return NULL;
}

/* Asks the view's pruner to drop want names, started on first use (most
 * views never need one). */
static void kick(struct pb_view *v, size_t want)
{
        pthread_mutex_lock(&v->prune_lock);
        if (!v->prune_stop) {
                v->prune_kicked = true;
                if (want > v->prune_want)
                        v->prune_want = want;
                if (!v->prune_started)
                        v->prune_started =
                            pthread_create(&v->prune_thread, NULL, pruner_main, v) == 0;
                else
                        pthread_cond_signal(&v->prune_cond);
        }
        pthread_mutex_unlock(&v->prune_lock);
}

void pb_prune_stop(struct pb_view *v)
{
        pthread_mutex_lock(&v->prune_lock);
        v->prune_stop = true;
        bool started = v->prune_started;
        pthread_cond_signal(&v->prune_cond);
        pthread_mutex_unlock(&v->prune_lock);
        if (started)
                pthread_join(v->prune_thread, NULL);
}
