/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The portals' event loop: one thread, one epoll set, owned by the broker.
 * Every proxy (pulse, x11) and every connection of every sandbox lives here;
 * all their state is touched only from this thread, so proxies need no locks.
 * Other threads reach them through pb_loop_call(), which runs a function on
 * the loop and waits for it (that is how a publish is synchronous).
 *
 * Lifetime rule: an object whose watch may still be in the current epoll
 * batch is never freed inline; pb_loop_defer() frees it after the batch.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

struct pb_loop;
struct pb_loop_watch;

typedef void (*pb_loop_cb)(struct pb_loop_watch *w, uint32_t events);

/* Embedded in the owner; epoll's data.ptr points here. */
struct pb_loop_watch {
        pb_loop_cb cb;
        int fd;
        uint32_t events;   /* currently registered mask */
        bool dead;         /* closed during this batch: ignore further events */
        const void *group; /* set by the owner: whose watch (pb_loop_expect) */
};

int pb_loop_new(struct pb_loop **out);
/* Starts the thread. 0 or -errno. */
int pb_loop_start(struct pb_loop *l);
/* Stops the thread (if running) and frees the loop. Proxies must have been
 * freed before. */
void pb_loop_free(struct pb_loop *l);

/* Loop thread only (or before start). */
int pb_loop_add(struct pb_loop *l, struct pb_loop_watch *w, int fd, uint32_t events, pb_loop_cb cb);
int pb_loop_mod(struct pb_loop *l, struct pb_loop_watch *w, uint32_t events);
/* Removes and closes the fd, marks the watch dead. */
void pb_loop_close(struct pb_loop *l, struct pb_loop_watch *w);
/* Calls fn(data) after the current batch of events (loop thread only). */
int pb_loop_defer(struct pb_loop *l, void (*fn)(void *), void *data);
bool pb_loop_in_thread(const struct pb_loop *l);

/* Loop thread only: something just forwarded expects an answer on a watch
 * whose group is `group` (one connection's watches share it) within
 * about ns (a request to an X server that replies in microseconds). Before
 * it blocks, the loop then polls its epoll set without sleeping for up to
 * the largest ns asked for since it last blocked (capped at
 * PB_LOOP_SPIN_MAX_NS). Any ready event, of any proxy, ends the poll, so it
 * delays no one; it only keeps this vCPU awake, so the answer is not paid
 * with a wake-up of an idle vCPU (expensive in a VM). When a poll is ended
 * by the event of a watch of another group, several connections keep the loop busy anyway
 * and a polling thread only crowds the CPUs they need: the loop stops
 * polling for a while. Never asked for, it costs nothing. */
#define PB_LOOP_SPIN_MAX_NS 100000u
void pb_loop_expect(struct pb_loop *l, const void *group, uint32_t ns);

/* Any thread: runs fn(data) on the loop thread between batches and waits
 * for it to return. Runs inline when called from the loop thread or when
 * the loop is not running. Returns 0 or -errno (-ENOMEM). */
int pb_loop_call(struct pb_loop *l, void (*fn)(void *), void *data);
