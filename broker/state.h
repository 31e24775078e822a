/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The state file: one JSON document, STATE/state.json,
 *   {"schema-version": 1, "model": {...policy's model...},
 *    "last-change-id": N, "changes": [...recent changes...]}
 * written atomically and durably (tmp + fsync + rename + fsync(dir)).
 */
#pragma once

#include "daemon.h"

#define PB_STATE_SCHEMA 1
#define PB_STATE_FILE   "state.json"
#define PB_STATE_MAX    (256u << 20)

/* Open (creating) the state dir and load state.json; no file means the
 * embedded default state (an empty model: the system snap only). A file that
 * cannot be read or parsed is an error naming it; it is left untouched. */
int pb_state_load(struct pb_broker *b, struct pb_error *err);

/* Write all of buf to fd, resuming after EINTR and short writes (the state
 * file and the journal both need every byte down before they fsync).
 * Returns 0 or -errno. */
int pb_write_all(int fd, const char *buf, size_t len);
