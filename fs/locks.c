/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * POSIX, OFD and flock locks, taken for real on the host.
 *
 * POSIX locks belong to a lock owner (a process, or an open file for OFD
 * locks), not to our handles: each (node, owner) gets a private host fd whose
 * OFD locks stand for that owner's locks, so owners conflict with each other
 * and with host processes as they would natively; the owner's close (FLUSH)
 * drops them, and for OFD owners the release of their handle. flock maps to flock(2) on the
 * handle's own host fd.
 *
 * A waiting lock (F_SETLKW, blocking flock) never occupies a FUSE worker: a
 * small waiter thread retries the non-blocking call with a backoff (1 ms up
 * to 20 ms) until it succeeds, the request is interrupted, or the view stops,
 * and answers the request itself. Otherwise an app could block every worker
 * with lock waits, and a publish whose invalidation needs a worker to accept
 * write-back could never finish. Waiters are capped per view (ENOLCK beyond).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "view-int.h"
#include "workers.h"

#define MAX_WAITERS 64

static struct pb_fh *fh_of(struct fuse_file_info *fi)
{
        return (struct pb_fh *)(uintptr_t)fi->fh;
}

/* A new fd (caller closes) on the OFD that stands for `owner`'s POSIX locks
 * on node n; a dup, so a concurrent FLUSH closing the owner's fd cannot make
 * us use a recycled fd number. -errno on failure, -ENOENT if !create and the
 * owner has none. pid (if > 0) is recorded as the process locking. */
static int owner_fd(struct pb_node *n, uint64_t owner, const struct pb_fh *h, bool create,
                    pid_t pid)
{
        int like_fd = h->fd;
        int fd = -ENOENT;
        pthread_mutex_lock(&n->lock);
        for (struct pb_lock_owner *o = n->owners; o; o = o->next)
                if (o->owner == owner) {
                        if (pid > 0)
                                o->pid = pid;
                        fd = fcntl(o->fd, F_DUPFD_CLOEXEC, 0);
                        pthread_mutex_unlock(&n->lock);
                        return fd < 0 ? -errno : fd;
                }
        if (create) {
                char proc[32];
                pb_proc_path(proc, like_fd);
                int acc = fcntl(like_fd, F_GETFL) & O_ACCMODE;
                int ofd = open(proc, acc | O_CLOEXEC | O_NONBLOCK);
                struct pb_lock_owner *o = ofd >= 0 ? calloc(1, sizeof(*o)) : NULL;
                if (o) {
                        o->owner = owner;
                        o->fd = ofd;
                        o->via = h;
                        o->pid = pid > 0 ? pid : 0;
                        o->next = n->owners;
                        n->owners = o;
                        fd = fcntl(ofd, F_DUPFD_CLOEXEC, 0);
                        if (fd < 0)
                                fd = -errno;
                } else {
                        fd = ofd >= 0 ? -ENOMEM : -errno;
                        if (ofd >= 0)
                                close(ofd);
                }
        }
        pthread_mutex_unlock(&n->lock);
        return fd;
}

void pb_op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        /* close(2) by a lock owner drops its POSIX locks on the file. No access
         * check: closing must always work. */
        struct pb_view *v = fuse_req_userdata(req);
        struct pb_node *n = pb_node_of(v, ino);
        pthread_mutex_lock(&n->lock);
        for (struct pb_lock_owner **pp = &n->owners; *pp; pp = &(*pp)->next)
                if ((*pp)->owner == fi->lock_owner) {
                        struct pb_lock_owner *o = *pp;
                        *pp = o->next;
                        close(o->fd);
                        free(o);
                        break;
                }
        pthread_mutex_unlock(&n->lock);
        fuse_reply_err(req, 0);
}

void pb_locks_release_handle(struct pb_node *n, const struct pb_fh *h)
{
        /* OFD locks are owned by the app's open file, which maps to exactly
         * one handle; POSIX owners using it were already dropped by the
         * FLUSH of the close that led here. */
        pthread_mutex_lock(&n->lock);
        for (struct pb_lock_owner **pp = &n->owners; *pp;) {
                struct pb_lock_owner *o = *pp;
                if (o->via == h) {
                        *pp = o->next;
                        close(o->fd);
                        free(o);
                } else {
                        pp = &o->next;
                }
        }
        pthread_mutex_unlock(&n->lock);
}

/* The process holding `held`, a lock F_OFD_GETLK found in the way, when one
 * of the view's owners holds it, else 0. Our owners' locks are OFD locks on
 * their own host fds, of which the host knows no process; F_GETLK natively
 * names the holder of a POSIX lock. Each other owner's fd is asked the same
 * question, and the one that does not see that lock holds it. */
static pid_t holder_pid(struct pb_node *n, uint64_t asker, const struct flock *held)
{
        pid_t pid = 0;
        pthread_mutex_lock(&n->lock);
        for (struct pb_lock_owner *o = n->owners; o && !pid; o = o->next) {
                if (o->owner == asker || o->pid <= 0)
                        continue;
                struct flock probe = {.l_type = F_WRLCK,
                                      .l_whence = SEEK_SET,
                                      .l_start = held->l_start,
                                      .l_len = held->l_len};
                if (fcntl(o->fd, F_OFD_GETLK, &probe) == 0 &&
                    !(probe.l_type == held->l_type && probe.l_start == held->l_start &&
                      probe.l_len == held->l_len))
                        pid = o->pid;
        }
        pthread_mutex_unlock(&n->lock);
        return pid;
}

void pb_op_getlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, struct flock *lock)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        struct pb_node *n = pb_node_of(q.v, ino);
        char path[PATH_MAX];
        int r = pb_req_check(&q, n, path, sizeof(path), 0, "lock");
        int fd = r == 0 ? owner_fd(n, fi->lock_owner, fh_of(fi), true, 0) : r;
        if (fd < 0)
                return pb_req_fail(&q, -fd);
        lock->l_pid = 0;
        r = fcntl(fd, F_OFD_GETLK, lock) < 0 ? errno : 0;
        close(fd);
        if (r)
                return pb_req_fail(&q, r);
        if (lock->l_type != F_UNLCK && lock->l_pid <= 0)
                lock->l_pid = holder_pid(n, fi->lock_owner, lock);
        fuse_reply_lock(req, lock);
        pb_req_end(&q);
}

struct waiter {
        struct pb_view *v;
        fuse_req_t req;
        int fd;
        bool is_flock;
        int flock_op;
        struct flock lk;
};

static int try_once(struct waiter *w)
{
        if (w->is_flock)
                return flock(w->fd, w->flock_op | LOCK_NB) < 0 ? errno : 0;
        struct flock l = w->lk;
        return fcntl(w->fd, F_OFD_SETLK, &l) < 0 ? errno : 0;
}

/* A lock that must not wait: if another holds it, that may be a close the
 * kernel told us of just before (its RELEASE, still being served), so once
 * every earlier request is answered it is tried again. An app that closes
 * one fd and locks through another expects the first one's lock gone. */
static int try_now(struct waiter *w)
{
        int r = try_once(w);
        if (r != EAGAIN && r != EACCES)
                return r;
        pb_fuse_wait_earlier();
        return try_once(w);
}

static void waiter_done(struct pb_view *v)
{
        pthread_mutex_lock(&v->waiters_lock);
        v->waiters--;
        pthread_cond_broadcast(&v->waiters_cond);
        pthread_mutex_unlock(&v->waiters_lock);
}

static void *waiter_main(void *arg)
{
        struct waiter *w = arg;
        long delay_us = 1000;
        int r;
        while ((r = try_once(w)) == EAGAIN || r == EACCES) {
                if (fuse_req_interrupted(w->req) || atomic_load(&w->v->stopping)) {
                        r = EINTR;
                        break;
                }
                struct timespec ts = {.tv_nsec = delay_us * 1000};
                nanosleep(&ts, NULL);
                delay_us = delay_us * 2 > 20000 ? 20000 : delay_us * 2;
        }
        fuse_reply_err(w->req, r);
        close(w->fd);
        struct pb_view *v = w->v;
        free(w);
        waiter_done(v);
        return NULL;
}

/* Take the lock now, or hand the request to a waiter thread. Consumes fd.
 * Called without the grants lock: a lock is not data, and taking it after a
 * revoke grants nothing. */
static void lock_or_wait(struct pb_view *v, fuse_req_t req, struct waiter tmpl)
{
        int r = try_once(&tmpl);
        if (r != EAGAIN && r != EACCES) {
                close(tmpl.fd);
                fuse_reply_err(req, r);
                return;
        }
        struct waiter *w = malloc(sizeof(*w));
        pthread_mutex_lock(&v->waiters_lock);
        bool room = w && v->waiters < MAX_WAITERS && !atomic_load(&v->stopping);
        if (room)
                v->waiters++;
        pthread_mutex_unlock(&v->waiters_lock);
        if (!room) {
                free(w);
                close(tmpl.fd);
                fuse_reply_err(req, ENOLCK);
                return;
        }
        *w = tmpl;
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 64 * 1024);
        if (pthread_create(&t, &attr, waiter_main, w) != 0) {
                free(w);
                close(tmpl.fd);
                fuse_reply_err(req, ENOLCK);
                waiter_done(v);
        }
        pthread_attr_destroy(&attr);
}

void pb_op_setlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, struct flock *lock,
                 int sleep)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        struct pb_node *n = pb_node_of(q.v, ino);
        char path[PATH_MAX];
        int r = pb_req_check(&q, n, path, sizeof(path), 0, "lock");
        if (r < 0)
                return pb_req_fail(&q, -r);
        bool unlock = lock->l_type == F_UNLCK;
        int fd = owner_fd(n, fi->lock_owner, fh_of(fi), !unlock, unlock ? 0 : lock->l_pid);
        if (fd < 0)
                return pb_req_fail(&q, unlock && fd == -ENOENT ? 0 : -fd);
        lock->l_pid = 0;
        struct pb_view *v = q.v;
        pb_req_end(&q);
        struct waiter w = {.v = v, .req = req, .fd = fd, .lk = *lock};
        if (!sleep || unlock) {
                r = try_now(&w);
                close(fd);
                fuse_reply_err(req, r);
                return;
        }
        lock_or_wait(v, req, w);
}

void pb_op_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, int op)
{
        struct pb_req q;
        if (!pb_req_begin(&q, req))
                return;
        char path[PATH_MAX];
        int r = pb_req_check(&q, pb_node_of(q.v, ino), path, sizeof(path), 0, "lock");
        if (r < 0)
                return pb_req_fail(&q, -r);
        int fd = fcntl(fh_of(fi)->fd, F_DUPFD_CLOEXEC, 0);
        if (fd < 0)
                return pb_req_fail(&q, errno);
        struct pb_view *v = q.v;
        pb_req_end(&q);
        struct waiter w = {
            .v = v, .req = req, .fd = fd, .is_flock = true, .flock_op = op & ~LOCK_NB};
        if ((op & LOCK_NB) || (op & LOCK_UN)) {
                r = try_now(&w);
                close(fd);
                fuse_reply_err(req, r);
                return;
        }
        lock_or_wait(v, req, w);
}
