/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A small cache of listing results (GET /v2/connections, /v2/interfaces),
 * valid while the model is unchanged: every mutation bumps b->model_seq, and
 * an entry is only used when it was made at the current one. A listing of
 * 10,000 connections costs ~20 ms of CPU to build and ~0 to reuse. State lock
 * held for every call.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define PB_CACHE_ENTRIES   8
#define PB_CACHE_MAX_BYTES (16u << 20) /* entries larger than this are not kept */

struct pb_cache_entry {
        char *key;
        char *text;
        size_t len;
        uint64_t seq;
};

struct pb_cache {
        struct pb_cache_entry e[PB_CACHE_ENTRIES];
        unsigned next;
};

/* The cached text for key at model sequence seq, or NULL. */
const char *pb_cache_get(struct pb_cache *c, const char *key, uint64_t seq, size_t *len);
/* Keep a copy of text for key at seq (best effort). */
void pb_cache_put(struct pb_cache *c, const char *key, uint64_t seq, const char *text, size_t len);
void pb_cache_clear(struct pb_cache *c);
