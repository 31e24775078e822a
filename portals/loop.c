/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "loop.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pb-util.h"

struct pb_loop_task {
        struct pb_loop_task *next;
        void (*fn)(void *);
        void *data;
        bool done; /* guarded by the loop's lock (cross-thread calls only) */
};

struct pb_loop {
        int epfd;
        int wakefd;
        struct pb_loop_watch wake_watch;
        pthread_t thread;
        bool running;
        bool stop; /* guarded by lock */

        pthread_mutex_t lock;
        pthread_cond_t cond;
        struct pb_loop_task *calls; /* cross-thread calls, guarded by lock */

        struct pb_loop_task *deferred; /* loop thread only */
        /* Loop thread only, see pb_loop_expect: the poll budget, the watch
         * it is for, and how many more batches not to poll after a poll was
         * ended by someone else. */
        uint32_t spin_ns;
        const void *spin_for;
        unsigned spin_off;
};

/* Batches without polling after a poll was ended by another watch. */
#define SPIN_OFF_BATCHES 256

int pb_loop_new(struct pb_loop **out)
{
        struct pb_loop *l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        l->epfd = epoll_create1(EPOLL_CLOEXEC);
        l->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (l->epfd < 0 || l->wakefd < 0) {
                int r = -errno;
                if (l->epfd >= 0)
                        close(l->epfd);
                if (l->wakefd >= 0)
                        close(l->wakefd);
                free(l);
                return r;
        }
        pthread_mutex_init(&l->lock, NULL);
        pthread_cond_init(&l->cond, NULL);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &l->wake_watch};
        l->wake_watch.fd = l->wakefd;
        if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wakefd, &ev) < 0) {
                int r = -errno;
                pb_loop_free(l);
                return r;
        }
        *out = l;
        return 0;
}

bool pb_loop_in_thread(const struct pb_loop *l)
{
        return !l->running || pthread_equal(pthread_self(), l->thread);
}

int pb_loop_add(struct pb_loop *l, struct pb_loop_watch *w, int fd, uint32_t events, pb_loop_cb cb)
{
        w->cb = cb;
        w->fd = fd;
        w->events = events;
        w->dead = false;
        struct epoll_event ev = {.events = events, .data.ptr = w};
        if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
                return -errno;
        return 0;
}

int pb_loop_mod(struct pb_loop *l, struct pb_loop_watch *w, uint32_t events)
{
        if (w->dead || w->events == events)
                return 0;
        struct epoll_event ev = {.events = events, .data.ptr = w};
        if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0)
                return -errno;
        w->events = events;
        return 0;
}

void pb_loop_close(struct pb_loop *l, struct pb_loop_watch *w)
{
        if (w->dead || w->fd < 0)
                return;
        epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
        close(w->fd);
        w->fd = -1;
        w->dead = true;
}

int pb_loop_defer(struct pb_loop *l, void (*fn)(void *), void *data)
{
        struct pb_loop_task *t = calloc(1, sizeof(*t));
        if (!t) {
                /* Better a leak than a use-after-free. */
                pb_err("portals: out of memory deferring a free");
                return -ENOMEM;
        }
        t->fn = fn;
        t->data = data;
        t->next = l->deferred;
        l->deferred = t;
        return 0;
}

void pb_loop_expect(struct pb_loop *l, const void *group, uint32_t ns)
{
        if (l->spin_off == 0 && ns > l->spin_ns) {
                l->spin_ns = ns < PB_LOOP_SPIN_MAX_NS ? ns : PB_LOOP_SPIN_MAX_NS;
                l->spin_for = group;
        }
}

/* Bounded busy-poll (pb_loop_expect): epoll_wait without a timeout until an
 * event is ready or the budget is spent. Returns what epoll_wait returned,
 * 0 when the budget ran out. */
static int spin_wait(struct pb_loop *l, struct epoll_event *evs, int max)
{
        uint64_t end = pb_mono_ns() + l->spin_ns;
        l->spin_ns = 0;
        for (;;) {
                int n = epoll_wait(l->epfd, evs, max, 0);
                if (n > 0) {
                        bool mine = false;
                        /* Ready watches are registered, so alive. */
                        for (int i = 0; i < n && !mine; i++) {
                                const struct pb_loop_watch *w = evs[i].data.ptr;
                                mine = l->spin_for && w->group == l->spin_for;
                        }
                        if (!mine)
                                l->spin_off = SPIN_OFF_BATCHES;
                }
                if (n != 0 || pb_mono_ns() >= end)
                        return n;
                /* Whatever else wants this vCPU (the X server woken here, a
                 * build on a loaded machine) goes first. */
                sched_yield();
        }
}

static void run_deferred(struct pb_loop *l)
{
        while (l->deferred) {
                struct pb_loop_task *t = l->deferred;
                l->deferred = t->next;
                t->fn(t->data);
                free(t);
        }
}

/* Between batches: cross-thread calls, in arrival order. */
static bool run_calls(struct pb_loop *l)
{
        uint64_t v;
        while (read(l->wakefd, &v, sizeof(v)) > 0)
                ;
        pthread_mutex_lock(&l->lock);
        struct pb_loop_task *list = l->calls;
        l->calls = NULL;
        bool stop = l->stop;
        pthread_mutex_unlock(&l->lock);
        /* The list was pushed LIFO; reverse it. */
        struct pb_loop_task *rev = NULL;
        while (list) {
                struct pb_loop_task *n = list->next;
                list->next = rev;
                rev = list;
                list = n;
        }
        while (rev) {
                struct pb_loop_task *t = rev;
                rev = t->next;
                t->fn(t->data);
                run_deferred(l);
                pthread_mutex_lock(&l->lock);
                t->done = true; /* the caller owns t; it may vanish after this */
                pthread_cond_broadcast(&l->cond);
                pthread_mutex_unlock(&l->lock);
        }
        return stop;
}

static void *loop_thread(void *arg)
{
        struct pb_loop *l = arg;
        struct epoll_event evs[64];
        /* splice(2) into a socket whose peer is gone raises SIGPIPE (it has
         * no MSG_NOSIGNAL); the signal is sent to this thread, so blocking it
         * here keeps it from killing the process. See pb_sock_eat_sigpipe. */
        sigset_t pipe_set;
        sigemptyset(&pipe_set);
        sigaddset(&pipe_set, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);
        for (;;) {
                int n = l->spin_ns ? spin_wait(l, evs, PB_ARRAY_SIZE(evs)) : 0;
                if (n == 0)
                        n = epoll_wait(l->epfd, evs, PB_ARRAY_SIZE(evs), -1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        pb_err("portals: epoll_wait: %m");
                        break;
                }
                bool woken = false;
                for (int i = 0; i < n; i++) {
                        struct pb_loop_watch *w = evs[i].data.ptr;
                        if (w == &l->wake_watch) {
                                woken = true;
                                continue;
                        }
                        if (!w->dead && w->cb)
                                w->cb(w, evs[i].events);
                }
                run_deferred(l);
                if (l->spin_off)
                        l->spin_off--;
                if (woken && run_calls(l))
                        break;
        }
        return NULL;
}

int pb_loop_start(struct pb_loop *l)
{
        /* Set before the thread exists so pb_loop_in_thread() is right as
         * soon as the thread runs. */
        l->running = true;
        int r = pthread_create(&l->thread, NULL, loop_thread, l);
        if (r) {
                l->running = false;
                return -r;
        }
        return 0;
}

int pb_loop_call(struct pb_loop *l, void (*fn)(void *), void *data)
{
        if (pb_loop_in_thread(l)) {
                fn(data);
                return 0;
        }
        struct pb_loop_task t = {.fn = fn, .data = data};
        pthread_mutex_lock(&l->lock);
        t.next = l->calls;
        l->calls = &t;
        pthread_mutex_unlock(&l->lock);
        uint64_t one = 1;
        if (write(l->wakefd, &one, sizeof(one)) < 0 && errno != EAGAIN)
                pb_warn("portals: waking the loop: %m");
        pthread_mutex_lock(&l->lock);
        while (!t.done)
                pthread_cond_wait(&l->cond, &l->lock);
        pthread_mutex_unlock(&l->lock);
        return 0;
}

static void set_stop(void *data)
{
        (void)data;
}

void pb_loop_free(struct pb_loop *l)
{
        if (!l)
                return;
        if (l->running && !pthread_equal(pthread_self(), l->thread)) {
                pthread_mutex_lock(&l->lock);
                l->stop = true;
                pthread_mutex_unlock(&l->lock);
                pb_loop_call(l, set_stop, NULL);
                pthread_join(l->thread, NULL);
                l->running = false;
        }
        run_deferred(l);
        close(l->epfd);
        close(l->wakefd);
        pthread_mutex_destroy(&l->lock);
        pthread_cond_destroy(&l->cond);
        free(l);
}
