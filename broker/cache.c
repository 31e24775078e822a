/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cache.h"

#include <stdlib.h>
#include <string.h>

const char *pb_cache_get(struct pb_cache *c, const char *key, uint64_t seq, size_t *len)
{
        for (unsigned i = 0; i < PB_CACHE_ENTRIES; i++) {
                struct pb_cache_entry *e = &c->e[i];
                if (e->key && e->seq == seq && strcmp(e->key, key) == 0) {
                        *len = e->len;
                        return e->text;
                }
        }
        return NULL;
}

static void drop(struct pb_cache_entry *e)
{
        free(e->key);
        free(e->text);
        memset(e, 0, sizeof(*e));
}

void pb_cache_put(struct pb_cache *c, const char *key, uint64_t seq, const char *text, size_t len)
{
        if (len > PB_CACHE_MAX_BYTES)
                return;
        /* Stale entries are useless: reuse them first, then round-robin. */
        struct pb_cache_entry *slot = NULL;
        for (unsigned i = 0; i < PB_CACHE_ENTRIES && !slot; i++)
                if (!c->e[i].key || c->e[i].seq != seq || strcmp(c->e[i].key, key) == 0)
                        slot = &c->e[i];
        if (!slot)
                slot = &c->e[c->next++ % PB_CACHE_ENTRIES];
        drop(slot);
        slot->key = strdup(key);
        slot->text = malloc(len + 1);
        if (!slot->key || !slot->text) {
                drop(slot);
                return;
        }
        memcpy(slot->text, text, len);
        slot->text[len] = '\0';
        slot->len = len;
        slot->seq = seq;
}

void pb_cache_clear(struct pb_cache *c)
{
        for (unsigned i = 0; i < PB_CACHE_ENTRIES; i++)
                drop(&c->e[i]);
}
