/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private helpers of policy/ (cleanup attributes). Not a public header:
 * policy/ may not include common/, so it keeps its own small copies. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

static inline void pbp_freep(void *p)
{
        free(*(void **)p);
}
static inline void pbp_json_putp(json_object **o)
{
        if (*o)
                json_object_put(*o);
}

#define _pcleanup_free_ __attribute__((cleanup(pbp_freep)))
#define _pcleanup_json_ __attribute__((cleanup(pbp_json_putp)))

static inline void *pbp_steal(void *pp)
{
        void **p = pp;
        void *v = *p;
        *p = NULL;
        return v;
}
#define pstealp(pp) ((__typeof__(*(pp)))pbp_steal(pp))

/* Binary search of base[0..n) (elements of size bytes, sorted, keys unique)
 * for key; cmp(element, key) orders as strcmp. Returns the index of the
 * match with *found set, else the index where key would be inserted.
 * static inline so the compiler can inline cmp on the model's hot lookups. */
static inline size_t pbp_sorted_index(const void *base, size_t n, size_t size, const void *key,
                                      int (*cmp)(const void *element, const void *key), bool *found)
{
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = cmp((const char *)base + mid * size, key);
                if (c == 0) {
                        *found = true;
                        return mid;
                }
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *found = false;
        return lo;
}
