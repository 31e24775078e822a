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
 * after answering, a worker keeps reading the non-blocking device for
 * PB_FS_SPIN_NS, yielding the vCPU between tries to anyone runnable.
 *
 * One worker at a time watches the device (the watcher: polling it, or
 * waiting on it in epoll); the other idle ones wait on an eventfd. Every
 * waiter on the device is woken by every request, even one the polling
 * watcher takes: with the idle workers waiting on the device, each request
 * of a sequential app cost a second thread's wake-up and context switches
 * (a third of a GETATTR's round trip, measured). The watcher gives the role
 * up when it takes a request and asks a waiting worker to take it over
 * only when that is needed: when more requests are queued (parallel apps),
 * or when the request may take long (data, fsync, locks); otherwise it
 * serves the request and watches again. A view nobody uses never polls.
 */
#include "workers.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
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
        atomic_bool watching;     /* a worker watches the device */
        atomic_bool wake_pending; /* wake_fd holds a token nobody took yet */
        atomic_bool stopping;
        int stop_fd; /* eventfd, readable once stopping: wakes every waiter */
        int wake_fd; /* eventfd (semaphore): one idle worker, become the watcher */
        int dev_ep;  /* epoll: the device and stop_fd; only the watcher waits */
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

/* Waits for an event of ep (or the pool to stop); false if the wait itself
 * fails. */
static bool wait_on(int ep)
{
        struct epoll_event ev;
        int n = epoll_wait(ep, &ev, 1, -1);
        return n >= 0 || errno == EINTR;
}

/* Asks one idle worker to become the watcher (tokens do not pile up: one
 * pending is enough, the new watcher asks again if it needs to). */
static void wake_one(struct pb_fuse_workers *p)
{
        uint64_t one = 1;
        if (!atomic_exchange(&p->wake_pending, true))
                (void)!write(p->wake_fd, &one, sizeof(one));
}

/* Is another request queued on the device? */
static bool pending(int fd)
{
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        return poll(&pfd, 1, 0) > 0;
}

/* Requests that may take long: data (a spliced request is a big write),
 * syncs, locks, truncation. Opcodes and layout of <linux/fuse.h> (the
 * protocol's ABI): the opcode is the header's second word, a SETATTR's
 * "valid" mask the first word after the 40-byte header. */
static bool may_take_long(const struct fuse_buf *buf)
{
        if (buf->flags & FUSE_BUF_IS_FD || buf->size < 8)
                return true;
        uint32_t opcode, valid = 0;
        memcpy(&opcode, (const char *)buf->mem + 4, sizeof(opcode));
        if (opcode == 4) { /* FUSE_SETATTR: a truncation can take long */
                if (buf->size < 44)
                        return true;
                memcpy(&valid, (const char *)buf->mem + 40, sizeof(valid));
                return valid & (1u << 3); /* FATTR_SIZE */
        }
        return opcode == 15     /* FUSE_READ */
               || opcode == 16  /* FUSE_WRITE */
               || opcode == 20  /* FUSE_FSYNC */
               || opcode == 30  /* FUSE_FSYNCDIR */
               || opcode == 31  /* FUSE_GETLK */
               || opcode == 32  /* FUSE_SETLK */
               || opcode == 33  /* FUSE_SETLKW */
               || opcode == 43  /* FUSE_FALLOCATE */
               || opcode == 47; /* FUSE_COPY_FILE_RANGE */
}

static bool is_release(const struct fuse_buf *buf)
{
        uint32_t opcode;
        if (buf->flags & FUSE_BUF_IS_FD || buf->size < 8)
                return false;
        memcpy(&opcode, (const char *)buf->mem + 4, sizeof(opcode));
        return opcode == 18 /* FUSE_RELEASE */;
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

/* As the watcher: the next request (> 0), or <= 0 when the session ended
 * or the pool stops. Polls until spin_until (0: no polling), then waits. */
static int watch(struct pb_fuse_workers *p, struct fuse_buf *buf, uint64_t spin_until)
{
        while (serving(p)) {
                int r = fuse_session_receive_buf(p->se, buf);
                if (r != -EAGAIN && r != -EINTR)
                        return r;
                if (spin_until && pb_mono_ns() < spin_until) {
                        sched_yield();
                        continue;
                }
                spin_until = 0;
                if (!wait_on(p->dev_ep))
                        return -errno;
        }
        return 0;
}

/* Serves requests until the pool stops or this worker is one idle worker
 * too many. Returns whether the worker is still counted idle. */
static bool serve(struct pb_fuse_workers *p, int wake_ep)
{
        struct fuse_buf buf = {.mem = NULL};
        bool idle = true, answered = false;
        while (serving(p)) {
                if (atomic_exchange(&p->watching, true)) {
                        /* Someone watches: wait until asked to. */
                        answered = false;
                        if (!wait_on(wake_ep))
                                break;
                        uint64_t n;
                        if (read(p->wake_fd, &n, sizeof(n)) == sizeof(n))
                                atomic_store(&p->wake_pending, false);
                        continue;
                }
                int r = watch(p, &buf, answered ? pb_mono_ns() + PB_FS_SPIN_NS : 0);
                atomic_store(&p->watching, false);
                if (r <= 0) {
                        /* 0: unmounted or aborted (libfuse ended the session):
                         * the next watcher finds out, and leaves too. */
                        wake_one(p);
                        break;
                }
                /* A RELEASE (async in the kernel) is served before whatever
                 * the app sent after its close(): an OFD or flock lock the
                 * close dropped must be gone for the app's next lock. */
                if (may_take_long(&buf) || (!is_release(&buf) && pending(p->fd)))
                        wake_one(p);
                took_request(p);
                fuse_session_process_buf(p->se, &buf);
                answered = true;
                if (finished_request(p)) {
                        idle = false; /* one idle worker too many: counted out */
                        if (!atomic_load(&p->watching))
                                wake_one(p);
                        break;
                }
        }
        /* The session ended: the idle workers wait on wake_fd, not on the
         * device, so they learn it one after the other from here. */
        if (!serving(p))
                wake_one(p);
        free(buf.mem);
        return idle;
}

static void *worker_main(void *arg)
{
        struct worker *w = arg;
        struct pb_fuse_workers *p = w->pool;
        /* One epoll instance per worker for the wake-ups: EPOLLEXCLUSIVE
         * wakes one of the instances waiting, not every idle worker. */
        int ep = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event wake = {.events = EPOLLIN | EPOLLEXCLUSIVE};
        struct epoll_event stop = {.events = EPOLLIN};
        bool idle = true;
        if (ep >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, p->wake_fd, &wake) == 0 &&
            epoll_ctl(ep, EPOLL_CTL_ADD, p->stop_fd, &stop) == 0)
                idle = serve(p, ep);
        else
                pb_warn("fs: a FUSE worker cannot wait: %m");
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

static void close_fds(struct pb_fuse_workers *p)
{
        if (p->stop_fd >= 0)
                close(p->stop_fd);
        if (p->wake_fd >= 0)
                close(p->wake_fd);
        if (p->dev_ep >= 0)
                close(p->dev_ep);
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
        p->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE);
        p->dev_ep = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event dev = {.events = EPOLLIN}, stop = {.events = EPOLLIN};
        int fl = fcntl(p->fd, F_GETFL);
        if (p->stop_fd < 0 || p->wake_fd < 0 || p->dev_ep < 0 || fl < 0 ||
            fcntl(p->fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
            epoll_ctl(p->dev_ep, EPOLL_CTL_ADD, p->fd, &dev) < 0 ||
            epoll_ctl(p->dev_ep, EPOLL_CTL_ADD, p->stop_fd, &stop) < 0) {
                close_fds(p);
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
        close_fds(p);
        free(p);
}
