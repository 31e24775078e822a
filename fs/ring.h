/* SPDX-License-Identifier: GPL-3.0-or-later */
/* FUSE over io_uring for one view (ring.c). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct pb_view;
struct pb_ring;

/* The INIT flags2 bit by which the kernel offers, and the daemon accepts,
 * FUSE over io_uring (FUSE_OVER_IO_URING, protocol 7.42, Linux 6.14). */
#define PB_RING_INIT_FLAG2 (1u << 9)

/* Before INIT: the queues' threads, io_urings and buffers, all made now so
 * that nothing but the kernel's own registration can fail once the INIT
 * reply has said "io_uring". NULL when the fuse module does not offer it
 * (its enable_uring parameter) or a resource is missing. */
struct pb_ring *pb_ring_prepare(struct pb_view *v);
/* After an INIT reply that accepted the ring: every queue registers its
 * entries. 0 when all did; otherwise the kernel has gone back to /dev/fuse
 * (a failed registration turns the ring off for the connection) and the
 * ring must be stopped and freed. */
int pb_ring_go(struct pb_ring *r);
/* A reply on its way to the kernel (device-io.c): committed through the
 * ring when it answers a ring request (its length), -ENOENT otherwise. */
ssize_t pb_ring_reply(struct pb_ring *r, const struct iovec *iov, int count);
/* The payload buffer of the ring request this thread serves, when it holds
 * size bytes: a READ is read into it and replied from it, with no copy. */
void *pb_ring_buffer(size_t size);
/* Requests served through the ring so far. */
uint64_t pb_ring_served(const struct pb_ring *r);
/* Lets each queue thread finish its request, then joins them and frees
 * everything. The device must still be open: call before unmounting. */
void pb_ring_stop(struct pb_ring *r);
