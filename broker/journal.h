/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The state journal: STATE/journal, one JSON record per line, each appended
 * and fdatasync'd before its change is Done. An interface action (connect,
 * disconnect) costs one small durable append instead of rewriting state.json
 * (megabytes with 10,000 connections). state.json is the snapshot; it records
 * the mutation sequence number it includes ("model-seq"); at start the records
 * after it are replayed through the same policy calls, then the daemon writes
 * a fresh snapshot and empties the journal. Installs and removes (rare, and
 * they carry whole snap descriptions) always write a snapshot.
 *
 * Records: {"seq":N,"op":"connect"|"disconnect","plug-snap":…,"plug":…,
 *           "slot-snap":…,"slot":…,"forget":bool,"change":{…}}
 * A torn last line (a crash during its write, so never acknowledged) is
 * ignored; a malformed line before the last one is corruption: the daemon
 * refuses to start, naming the file and line.
 */
#pragma once

#include "daemon.h"

#define PB_JOURNAL_FILE "journal"
/* Write a snapshot instead of appending once the journal has this many
 * records (replay at start stays fast, the file small). */
#define PB_JOURNAL_MAX_RECORDS 2000

/* A record for an interface action (call in the handler, state lock held,
 * right after the model mutation; takes the next mutation sequence number). */
json_object *pb_journal_record(struct pb_broker *b, const char *op, const char *plug_snap,
                               const char *plug, const char *slot_snap, const char *slot,
                               bool forget);
/* Make the change durable: append its record (or write a snapshot when the
 * journal is full). State lock held. */
int pb_journal_commit(struct pb_broker *b, struct pb_change *c, struct pb_error *err);
/* At start, after the snapshot is loaded: replay the records after
 * b->model_seq. Opens the journal for appending. */
int pb_journal_load(struct pb_broker *b, struct pb_error *err);
/* After a snapshot was written: empty the journal. */
void pb_journal_reset(struct pb_broker *b);
