/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Changes: every mutation of the model is a change with an id, executed by
 * one worker thread in submission order, so two changes never race on the
 * model. A change is Done only after its effect is published to every
 * enforcement point of the affected snaps and the state is saved.
 */
#pragma once

#include "common/pb-util.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct pb_broker;
struct pb_change;

enum pb_change_status {
        PB_CHANGE_DO,
        PB_CHANGE_DOING,
        PB_CHANGE_DONE,
        PB_CHANGE_ERROR,
        PB_CHANGE_HOLD,
};

const char *pb_change_status_name(enum pb_change_status s);

/* Runs in the change worker with the state lock held, before the publish.
 * May name more snaps whose grants changed with pb_change_affects(). On
 * failure it must leave the model as it was and return a negative errno with
 * *err (the change becomes Error).
 *
 * Most API handlers mutate the model themselves, under the state lock, when
 * they create the change (so resolve errors are synchronous 400s as in snapd)
 * and set no run function: the worker then only publishes, saves and marks
 * the change Done. As the lock serialises handlers and the worker takes
 * changes in order, publishes and saves happen in the order of mutations. */
typedef int (*pb_change_run_fn)(struct pb_broker *b, struct pb_change *c, struct pb_error *err);
/* Runs after the change was saved as Done (e.g. deleting files that the old
 * state referenced). State lock held. */
typedef void (*pb_change_after_fn)(struct pb_broker *b, struct pb_change *c);

struct pb_task {
        char *kind;
        char *summary;
        enum pb_change_status status;
        struct timespec spawn, ready;
};

struct pb_change {
        uint64_t id;
        char *kind;
        char *summary;
        enum pb_change_status status;
        char *err; /* NULL unless Error/Hold */
        struct timespec spawn, ready;
        struct pb_task *tasks;
        size_t n_tasks;
        json_object *journal;  /* the journal record that makes it durable, or NULL: snapshot */
        json_object *api_data; /* the change's "data" member, e.g. {"snap-names":[...]}; owned */

        pb_change_run_fn run;
        pb_change_after_fn after;
        bool queued;
        void *data;
        void (*free_data)(void *data);
        char **affected; /* snap names, NULL-terminated */
        size_t n_affected;

        struct pb_change *next;
};

struct pb_changes {
        struct pb_change *head, *tail; /* every known change, in id order */
        size_t count;
        uint64_t last_id;
        pthread_cond_t cond; /* signalled on submit and on each change becoming ready */
        pthread_t worker;
        bool worker_started;
        bool stop;
};

void pb_changes_init(struct pb_changes *cs);
/* Stops the worker (finishing the current change) and frees every change. */
void pb_changes_destroy(struct pb_broker *b);
int pb_changes_start(struct pb_broker *b);

/* Create a change in status Do (state lock held). Set run/after/data/
 * free_data, add tasks and affected snaps, then pb_change_submit() or
 * pb_change_finish_now(). Returns the change (owned by the list) or NULL. */
struct pb_change *pb_change_new(struct pb_broker *b, const char *kind, const char *summary);
/* Add a task (before submission). */
int pb_change_add_task(struct pb_change *c, const char *kind, const char *summary);
/* Queue it for the worker (state lock held). */
void pb_change_submit(struct pb_broker *b, struct pb_change *c);
/* Mark it Done at once, without the worker (snapd's answer for "already
 * connected": a change with no tasks in Done state). */
void pb_change_finish_now(struct pb_change *c);
/* Record that the grants of `snap` change (from run()). */
int pb_change_affects(struct pb_change *c, const char *snap);

struct pb_change *pb_change_find(struct pb_broker *b, uint64_t id);
bool pb_change_ready(const struct pb_change *c);
/* Abort a change that has not started; -EBUSY if it is running or ready. */
int pb_change_abort(struct pb_broker *b, struct pb_change *c);

/* snapd's JSON form of a change (GET /v2/changes/ID). */
json_object *pb_change_to_json(const struct pb_change *c);
/* Restore a change list saved with pb_change_to_json (ready changes only;
 * a change that was not ready when saved is restored as Error). */
int pb_changes_load(struct pb_broker *b, json_object *arr, uint64_t last_id, struct pb_error *err);
/* The list for the state file: the most recent PB_CHANGES_KEEP changes. */
json_object *pb_changes_to_json(struct pb_broker *b);

#define PB_CHANGES_KEEP 100
