/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A view's FUSE workers: libfuse's multi-threaded loop (a pool that grows
 * while every worker is busy and shrinks to a few idle ones), plus a short
 * busy-poll of the device after each answer.
 *
 * Why the poll: an app that does metadata work (tar, git, a compiler) sends
 * its next request a few microseconds after it got the answer to the last
 * one. A worker blocked in read(2) then has to be woken, and on a VM whose
 * idle vCPUs halt that wake-up alone costs more than serving a GETATTR. So
 * after answering, one worker per view (never more) keeps reading the
 * non-blocking device for PB_FS_SPIN_NS, yielding the vCPU between tries to
 * anyone runnable; the others wait in epoll_wait with EPOLLEXCLUSIVE, one of
 * them woken per request. A view nobody uses never polls.
 */
#include "workers.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pb-util.h"

/* How long the last worker to answer keeps polling for the next request. */
#define PB_FS_SPIN_NS 50000u

struct worker {
        struct pb_fuse_workers *pool;
        pthread_t thread;
        bool exited; /* under pool->lock: the thread no longer touches the pool */
        struct worker *next;
};

struct pb_fuse_workers {
        struct fuse_session *se;
        int fd;
        pthread_mutex_t lock;
        pthread_cond_t changed; /* a worker exited */
        struct worker *list;    /* every thread not yet joined */
        unsigned workers, idle, max_workers, max_idle;
        atomic_bool spinner; /* a worker is polling the device */
        atomic_bool stopping;
        int stop_fd; /* eventfd, readable once stopping: wakes every waiter */
};

static void *worker_main(void *arg);

/* Under pool->lock. Joins the workers that left (their threads are ending
 * or ended: the join is short), then starts one more. */
static void spawn_locked(struct pb_fuse_workers *p)
{
        for (struct worker **pp = &p->list; *pp;) {
                struct worker *w = *pp;
                if (!w->exited) {
                        pp = &w->next;
                        continue;
                }
                *pp = w->next;
                pthread_join(w->thread, NULL);
                free(w);
        }
        struct worker *w = calloc(1, sizeof(*w));
        if (!w)
                return;
        w->pool = p;
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
                pb_warn("fs: cannot start a FUSE worker thread");
                free(w);
                return;
        }
        w->next = p->list;
        p->list = w;
        p->workers++;
        p->idle++;
}

static bool serving(struct pb_fuse_workers *p)
{
        return !atomic_load(&p->stopping) && !fuse_session_exited(p->se);
}

/* Waits for the device to be readable or the pool to stop; false if the
 * wait itself fails. */
static bool wait_readable(int ep)
{
        struct epoll_event ev;
        int n = epoll_wait(ep, &ev, 1, -1);
        return n >= 0 || errno == EINTR;
}

/* A request was taken: if it was the last idle worker's, start another so
 * that a slow request (a big write, a lock) does not hold up the rest. */
static void took_request(struct pb_fuse_workers *p)
{
        pthread_mutex_lock(&p->lock);
        p->idle--;
        if (p->idle == 0 && p->workers < p->max_workers)
                spawn_locked(p);
        pthread_mutex_unlock(&p->lock);
}

/* Back from a request: true if this worker should leave (too many idle). */
static bool finished_request(struct pb_fuse_workers *p)
{
        pthread_mutex_lock(&p->lock);
        bool leave = p->idle >= p->max_idle;
        if (!leave)
                p->idle++;
        pthread_mutex_unlock(&p->lock);
        return leave;
}

static void stop_spinning(struct pb_fuse_workers *p, uint64_t *spin_until)
{
        if (*spin_until)
                atomic_store(&p->spinner, false);
        *spin_until = 0;
}

/* Serves requests until the pool stops or this worker is one idle worker
 * too many. Returns whether the worker is still counted idle. */
static bool serve(struct pb_fuse_workers *p, int ep)
{
        struct fuse_buf buf = {.mem = NULL};
        uint64_t spin_until = 0;
        bool idle = true;
        while (serving(p)) {
                int r = fuse_session_receive_buf(p->se, &buf);
                if (r == -EAGAIN || r == -EINTR) {
                        if (spin_until && pb_mono_ns() < spin_until) {
                                sched_yield();
                                continue;
                        }
                        stop_spinning(p, &spin_until);
                        if (!wait_readable(ep))
                                break;
                        continue;
                }
                stop_spinning(p, &spin_until);
                if (r <= 0) /* 0: unmounted or aborted (libfuse ended the session) */
                        break;
                took_request(p);
                pb_fuse_process(p->se, &buf);
                if (finished_request(p)) {
                        idle = false; /* one idle worker too many: counted out */
                        break;
                }
                if (!atomic_exchange(&p->spinner, true))
                        spin_until = pb_mono_ns() + PB_FS_SPIN_NS;
        }
        stop_spinning(p, &spin_until);
        free(buf.mem);
        return idle;
}

static void *worker_main(void *arg)
{
        struct worker *w = arg;
        struct pb_fuse_workers *p = w->pool;
        /* One epoll instance per worker: EPOLLEXCLUSIVE wakes one of the
         * instances waiting on the device, not every worker. */
        int ep = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event dev = {.events = EPOLLIN | EPOLLEXCLUSIVE};
        struct epoll_event stop = {.events = EPOLLIN};
        bool idle = true;
        if (ep >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, p->fd, &dev) == 0 &&
            epoll_ctl(ep, EPOLL_CTL_ADD, p->stop_fd, &stop) == 0)
                idle = serve(p, ep);
        else
                pb_warn("fs: a FUSE worker cannot wait on the device: %m");
        if (ep >= 0)
                close(ep);
        pthread_mutex_lock(&p->lock);
        if (idle)
                p->idle--;
        p->workers--;
        w->exited = true;
        pthread_cond_signal(&p->changed);
        pthread_mutex_unlock(&p->lock);
        return NULL;
}

struct pb_fuse_workers *pb_fuse_workers_start(struct fuse_session *se, unsigned max_workers,
                                              unsigned max_idle)
{
        struct pb_fuse_workers *p = calloc(1, sizeof(*p));
        if (!p)
                return NULL;
        p->se = se;
        p->fd = fuse_session_fd(se);
        p->max_workers = max_workers ? max_workers : 1;
        p->max_idle = max_idle ? max_idle : 1;
        p->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        int fl = fcntl(p->fd, F_GETFL);
        if (p->stop_fd < 0 || fl < 0 || fcntl(p->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
                if (p->stop_fd >= 0)
                        close(p->stop_fd);
                free(p);
                return NULL;
        }
        pthread_mutex_init(&p->lock, NULL);
        pthread_cond_init(&p->changed, NULL);
        pthread_mutex_lock(&p->lock);
        spawn_locked(p);
        bool started = p->workers > 0;
        pthread_mutex_unlock(&p->lock);
        if (!started) {
                pb_fuse_workers_stop(p);
                return NULL;
        }
        return p;
}

void pb_fuse_workers_stop(struct pb_fuse_workers *p)
{
        if (!p)
                return;
        atomic_store(&p->stopping, true);
        uint64_t one = 1;
        (void)!write(p->stop_fd, &one, sizeof(one));
        pthread_mutex_lock(&p->lock);
        /* Each worker finishes the request it serves and leaves; new ones
         * are only started by a worker that is still serving. */
        while (p->workers > 0)
                pthread_cond_wait(&p->changed, &p->lock);
        while (p->list) {
                struct worker *w = p->list;
                p->list = w->next;
                pthread_join(w->thread, NULL);
                free(w);
        }
        pthread_mutex_unlock(&p->lock);
        pthread_cond_destroy(&p->changed);
        pthread_mutex_destroy(&p->lock);
        close(p->stop_fd);
        free(p);
}
