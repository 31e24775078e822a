/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Private: every plug and slot with its active connections, the common base
 * of GET /v2/connections, /v2/interfaces and Plugboard's connections table
 * (model-rest.c, model-table.c).
 */
#pragma once

#include "model-priv.h"

/* An endpoint in a listing, with its active connections. */
struct pb_litem {
        struct pb_ep ep;
        bool slot;
        struct pb_conn **conns; /* in reference order */
        size_t n_conns;
};

struct pb_listing {
        struct pb_litem *plugs, *slots; /* sorted by (snap, name) */
        size_t n_plugs, n_slots;
        struct pb_conn **active; /* sorted by ref */
        size_t n_active;
        struct pb_conn **buf; /* backing store of the items' conns */
};

/* Every plug and slot (system slots included) with its active connections;
 * -ENOMEM (free l in any case). */
int pb_listing_build(const struct pb_model *m, struct pb_listing *l);
void pb_listing_free(struct pb_listing *l);

/* The query of a connections listing, checked as snapd does: select NULL/""
 * or "all" (else 400 "unsupported select qualifier"); *snap empty → NULL,
 * system names → the system snap, unknown → 404 snap-not-found; *iface empty
 * → NULL. Sets *all. 0 or -1 with perr set. */
int pb_listing_query(const struct pb_model *m, const char **snap, const char **iface,
                     const char *select, bool *all, struct pb_perror *perr);

/* snapd's plugOrConnectedSlotMatches / slotOrConnectedPlugMatches (snap:
 * NULL matches all). */
bool pb_litem_matches(const struct pb_litem *it, const char *snap);
/* An established connection in a listing filtered by snap and interface. */
bool pb_conn_matches(const struct pb_conn *c, const char *snap, const char *iface);
