/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private helpers of policy/ (cleanup attributes). Not a public header:
 * policy/ may not include common/, so it keeps its own small copies. */
#pragma once

#include <json-c/json.h>
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
