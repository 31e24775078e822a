/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Whether a READDIRPLUS answer carries the attributes of the files it lists.
 *
 * Attributes cost the host an open and a stat per name, and on a cold cache
 * a read of the name's inode from the disk: work a walk that only wants
 * names (find without -size, -newer...) never uses, and a native walk never
 * does (it reads d_type from the directory). A walk that stats every name
 * (du, ls -l) saves a LOOKUP round trip per name with them. The kernel
 * cannot tell the two apart for a directory's first chunk; the view learns
 * it from what the walk does next:
 *
 * - Directories always get their attributes (every walk descends into
 *   them); other names may be listed bare (node id 0: the kernel looks them
 *   up if and when they are used).
 * - Attributes mode (the start): one name in BARE_SAMPLE is listed bare.
 * - Names mode: every name but directories is listed bare.
 * - A LOOKUP in a directory listed bare in the last entry timeout counts as
 *   a miss (its name was wanted). Every WINDOW bare names the view decides:
 *   at least half were missed: attributes mode; fewer than one in eight:
 *   names mode; else it stays. WINDOW misses decide for attributes at once:
 *   a walk that stats names the kernel keeps in a cached listing (du after
 *   find) lists nothing new to count.
 *
 * Measured on the FUSE bench's tree (9,000 names in 840 directories, page
 * cache dropped; PERFORMANCE.md): find 178-235 ms with files listed bare
 * against 247-273 ms with attributes (native 86-121 ms), while du with
 * files bare paid a LOOKUP per name: 426-529 ms against 279-313 ms. The
 * counters are approximate (relaxed atomics): a wrong guess costs speed,
 * never correctness, since a bare name is looked up like any other.
 */
#include "view-int.h"

#define BARE_SAMPLE 16 /* attributes mode: one name in this many is bare */
#define WINDOW      64 /* bare names per decision */

unsigned pb_prefetch_bare_every(struct pb_view *v)
{
        if (v->kind == PB_VIEW_DEV)
                return 0;
        return atomic_load_explicit(&v->prefetch.names_only, memory_order_relaxed) ? 1
                                                                                   : BARE_SAMPLE;
}

bool pb_prefetch_bare(struct pb_view *v, unsigned every, unsigned char type)
{
        /* DT_UNKNOWN may be a directory: it keeps its attributes too. */
        if (every == 0 || type == DT_DIR || type == DT_UNKNOWN)
                return false;
        if (every == 1)
                return true;
        return atomic_fetch_add_explicit(&v->prefetch.tick, 1, memory_order_relaxed) % every == 0;
}

static bool window_full(struct pb_prefetch *p)
{
        return atomic_load_explicit(&p->bare_names, memory_order_relaxed) >= WINDOW ||
               atomic_load_explicit(&p->misses, memory_order_relaxed) >= WINDOW;
}

static void decide(struct pb_view *v)
{
        struct pb_prefetch *p = &v->prefetch;
        /* One thread decides; the others go on counting into the next
         * window. */
        if (!window_full(p) || pthread_mutex_trylock(&p->lock) != 0)
                return;
        if (window_full(p)) {
                unsigned names = atomic_exchange_explicit(&p->bare_names, 0, memory_order_relaxed);
                unsigned misses = atomic_exchange_explicit(&p->misses, 0, memory_order_relaxed);
                if (misses * 2 >= names)
                        atomic_store_explicit(&p->names_only, false, memory_order_relaxed);
                else if (misses * 8 < names)
                        atomic_store_explicit(&p->names_only, true, memory_order_relaxed);
        }
        pthread_mutex_unlock(&p->lock);
}

void pb_prefetch_listed(struct pb_view *v, struct pb_node *dir, unsigned bare)
{
        if (bare == 0)
                return;
        atomic_store_explicit(&dir->bare_listed_ns, pb_mono_ns(), memory_order_relaxed);
        atomic_fetch_add_explicit(&v->prefetch.bare_names, bare, memory_order_relaxed);
        decide(v);
}

void pb_prefetch_looked_up(struct pb_view *v, struct pb_node *dir)
{
        uint64_t at = atomic_load_explicit(&dir->bare_listed_ns, memory_order_relaxed);
        uint64_t window = v->entry_timeout > 0 ? (uint64_t)(v->entry_timeout * 1e9) : 0;
        if (at == 0 || pb_mono_ns() - at > window)
                return;
        atomic_fetch_add_explicit(&v->prefetch.misses, 1, memory_order_relaxed);
        decide(v);
}

const char *pb_view_prefetch_mode(struct pb_view *v)
{
        return atomic_load(&v->prefetch.names_only) ? "names" : "attributes";
}
