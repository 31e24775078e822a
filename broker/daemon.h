/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The broker's top-level struct (private to broker/; other parts use
 * broker.h). It is the daemon's only mutable global state.
 */
#pragma once

#include "broker.h"
#include "audit.h"
#include "changes.h"
#include "cache.h"
#include "policy/catalogue.h"
#include "policy/declarations.h"
#include "policy/model.h"

#include <json-c/json.h>
#include <pthread.h>

struct pb_catalogue;
struct pb_model;
struct pb_http;

struct pb_broker_config {
        const char *state_dir;
        const char *socket_path;
        const char *snapd_socket_path; /* optional second listening socket */
        const char *declarations_dir;
        const char *interfaces_dir; /* admin drop-ins */
        const char *builtin_interfaces_dir;
};

struct pb_broker {
        struct pb_broker_config cfg;

        /* The state lock: the model, the installed snaps, the change list. */
        pthread_mutex_t lock;
        struct pb_catalogue *cat;
        struct pb_model *model;

        uint64_t generation; /* last grant table generation handed out */
        /* Mutations of the model so far; state.json records how many it
         * includes, the journal holds the ones after (broker/journal.h). */
        uint64_t model_seq;
        int journal_fd;
        struct pb_cache listings; /* broker/cache.h */
        size_t journal_records;

        struct pb_changes changes;

        /* Enforcement registry (lock order: after `lock`). */
        pthread_mutex_t enforcers_lock;
        struct pb_enforcer *enforcers;

        struct pb_audit audit;

        /* The FUSE view sets (broker/sandbox-views.c) for the views API,
         * while the run server lives. views_lock is a leaf guarding the
         * pointer and the count of handlers using it; detaching waits for
         * them (views_idle). */
        pthread_mutex_t views_lock;
        pthread_cond_t views_idle;
        struct pb_view_sets *views;
        unsigned views_users;

        struct pb_http *http;
        int state_dir_fd;
};

/* Set up from cfg: catalogue, declarations check, state. */
int pb_broker_init(struct pb_broker *b, const struct pb_broker_config *cfg, struct pb_error *err);
void pb_broker_fini(struct pb_broker *b);
int pb_broker_load_catalogue(struct pb_broker *b, struct pb_error *err);
/* The declarations directory as it is now (a fresh read). */
struct pb_declarations *pb_broker_load_declarations(struct pb_broker *b);

/* At start: delete staging left by interrupted installs and snap revisions
 * the model does not need (broker/api-snaps.c). */
void pb_broker_gc_files(struct pb_broker *b);

/* Save the state (model + changes) durably. Called with the lock held. */
int pb_broker_save(struct pb_broker *b, struct pb_error *err);

/* Read a regular file (no symlink) of at most max bytes, NUL-terminated. */
int pb_read_file_at(int dirfd, const char *name, size_t max, char **out, size_t *len);
