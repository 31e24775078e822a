/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The portals' event loop: cross-thread calls, deferred frees, close in a
 * batch, events and calls during a busy-poll (pb_loop_expect). */
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop.h"
#include "pb-test.h"

struct ctx {
        struct pb_loop *loop;
        pthread_t caller;
        bool ran_on_loop;
        int calls;
        int events;
        int deferred;
        struct pb_loop_watch a, b;
};

static void note_thread(void *data)
{
        struct ctx *c = data;
        c->ran_on_loop = !pthread_equal(pthread_self(), c->caller) && pb_loop_in_thread(c->loop);
        c->calls++;
}

static void count_deferred(void *data)
{
        ((struct ctx *)data)->deferred++;
}

static struct ctx *gctx;

/* Both watches become readable in the same batch; the first to run closes
 * the other: its event must then be skipped, not delivered. */
static void close_other(struct pb_loop_watch *w, uint32_t events)
{
        struct ctx *c = gctx;
        c->events++;
        struct pb_loop_watch *other = w == &c->a ? &c->b : &c->a;
        pb_loop_close(c->loop, other);
        pb_loop_close(c->loop, w);
        pb_loop_defer(c->loop, count_deferred, c);
}

static void add_pair(void *data)
{
        struct ctx *c = data;
        int s1[2], s2[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, s1) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, s2))
                abort();
        /* Make both readable before the loop sees them. */
        (void)!write(s1[1], "x", 1);
        (void)!write(s2[1], "x", 1);
        pb_loop_add(c->loop, &c->a, s1[0], EPOLLIN, close_other);
        pb_loop_add(c->loop, &c->b, s2[0], EPOLLIN, close_other);
        close(s1[1]);
        close(s2[1]);
}

/* Echoes a byte and asks the loop to busy-poll for the next one: every
 * event and every cross-thread call must still get through while it polls. */
static struct pb_loop_watch echo_w;

static void echo(struct pb_loop_watch *w, uint32_t events)
{
        char b;
        if (read(w->fd, &b, 1) == 1)
                (void)!write(w->fd, &b, 1);
        pb_loop_expect(gctx->loop, w->group, PB_LOOP_SPIN_MAX_NS * 10); /* capped by the loop */
}

static void add_echo(void *data)
{
        echo_w.group = &echo_w;
        pb_loop_add(gctx->loop, &echo_w, *(int *)data, EPOLLIN, echo);
}

static void close_echo(void *data)
{
        (void)data;
        pb_loop_close(gctx->loop, &echo_w);
}

static void nothing(void *data)
{
        (void)data;
}

int main(void)
{
        struct ctx c = {0};
        gctx = &c;
        PB_CHECK(pb_loop_new(&c.loop) == 0);
        c.caller = pthread_self();
        /* Not started: runs inline. */
        pb_loop_call(c.loop, note_thread, &c);
        PB_CHECK(c.calls == 1 && !c.ran_on_loop);
        PB_CHECK(pb_loop_start(c.loop) == 0);
        pb_loop_call(c.loop, note_thread, &c);
        PB_CHECK(c.calls == 2 && c.ran_on_loop);
        pb_loop_call(c.loop, add_pair, &c);
        /* A call is run between batches: once it returns, the batch holding
         * both events is over. */
        for (int i = 0; i < 1000 && c.deferred == 0; i++)
                pb_loop_call(c.loop, nothing, NULL);
        pb_loop_call(c.loop, nothing, NULL);
        PB_CHECK(c.events == 1);   /* the closed watch's event was skipped */
        PB_CHECK(c.deferred == 1); /* and the deferred work ran after the batch */
        PB_CHECK(c.a.dead && c.b.dead);

        int e[2];
        PB_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, e) == 0);
        pb_loop_call(c.loop, add_echo, &e[1]);
        int echoed = 0, calls = c.calls;
        for (int i = 0; i < 200; i++) {
                char b = (char)i, got = 0;
                if (write(e[0], &b, 1) == 1 && read(e[0], &got, 1) == 1 && got == b)
                        echoed++;
                if (i % 20 == 0) /* lands while the loop polls for the next byte */
                        pb_loop_call(c.loop, note_thread, &c);
        }
        PB_CHECK(echoed == 200);
        PB_CHECK(c.calls == calls + 10 && c.ran_on_loop);
        pb_loop_call(c.loop, close_echo, NULL);
        close(e[0]);
        pb_loop_free(c.loop);
        return pb_test_done();
}
