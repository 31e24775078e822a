/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "changes.h"
#include "daemon.h"
#include "enforcers.h"
#include "journal.h"
#include "common/log.h"
#include "jsonutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Changes kept in memory; older ready ones are dropped (a client polls a
 * change right after submitting it, so this only bounds memory). */
#define PB_CHANGES_MAX 1000

static const char *const status_names[] = {
    [PB_CHANGE_DO] = "Do",       [PB_CHANGE_DOING] = "Doing", [PB_CHANGE_DONE] = "Done",
    [PB_CHANGE_ERROR] = "Error", [PB_CHANGE_HOLD] = "Hold",
};

const char *pb_change_status_name(enum pb_change_status s)
{
        return (unsigned)s < PB_ARRAY_SIZE(status_names) ? status_names[s] : "Default";
}

static int status_from_name(const char *s)
{
        for (size_t i = 0; i < PB_ARRAY_SIZE(status_names); i++)
                if (strcmp(status_names[i], s) == 0)
                        return (int)i;
        return -1;
}

void pb_changes_init(struct pb_changes *cs)
{
        memset(cs, 0, sizeof(*cs));
        pthread_cond_init(&cs->cond, NULL);
}

static void release_data(struct pb_change *c)
{
        if (c->free_data && c->data)
                c->free_data(c->data);
        c->data = NULL;
        c->free_data = NULL;
        c->run = NULL;
        c->after = NULL;
        /* The journal record (and the JSON text json-c caches in it, ~9 KiB
         * with the change) only serves the commit: a history of 1,000 ready
         * changes held 9 MiB of them. */
        if (c->journal) {
                json_object_put(c->journal);
                c->journal = NULL;
        }
}

static void change_free(struct pb_change *c)
{
        if (!c)
                return;
        release_data(c);
        free(c->kind);
        free(c->summary);
        free(c->err);
        for (size_t i = 0; i < c->n_tasks; i++) {
                free(c->tasks[i].kind);
                free(c->tasks[i].summary);
        }
        free(c->tasks);
        pb_strv_free(c->affected);
        if (c->api_data)
                json_object_put(c->api_data);
        if (c->journal)
                json_object_put(c->journal);
        free(c);
}

bool pb_change_ready(const struct pb_change *c)
{
        return c->status == PB_CHANGE_DONE || c->status == PB_CHANGE_ERROR ||
               c->status == PB_CHANGE_HOLD;
}

static void prune(struct pb_changes *cs)
{
        /* Drop the oldest ready changes beyond the limit. */
        struct pb_change **pp = &cs->head, *prev = NULL;
        while (cs->count > PB_CHANGES_MAX && *pp) {
                struct pb_change *c = *pp;
                if (pb_change_ready(c)) {
                        *pp = c->next;
                        if (cs->tail == c)
                                cs->tail = prev;
                        change_free(c);
                        cs->count--;
                } else {
                        prev = c;
                        pp = &c->next;
                }
        }
}

static void append(struct pb_changes *cs, struct pb_change *c)
{
        if (cs->tail)
                cs->tail->next = c;
        else
                cs->head = c;
        cs->tail = c;
        cs->count++;
        prune(cs);
}

static void set_times(struct pb_change *c, bool ready)
{
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        if (ready) {
                c->ready = now;
                for (size_t i = 0; i < c->n_tasks; i++) {
                        c->tasks[i].status = c->status;
                        c->tasks[i].ready = now;
                }
        } else {
                c->spawn = now;
        }
}

struct pb_change *pb_change_new(struct pb_broker *b, const char *kind, const char *summary)
{
        struct pb_change *c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        c->kind = strdup(kind);
        c->summary = strdup(summary);
        if (!c->kind || !c->summary) {
                change_free(c);
                return NULL;
        }
        c->id = ++b->changes.last_id;
        c->status = PB_CHANGE_DO;
        set_times(c, false);
        append(&b->changes, c);
        return c;
}

void pb_change_finish_now(struct pb_change *c)
{
        c->status = PB_CHANGE_DONE;
        set_times(c, true);
        release_data(c);
}

int pb_change_add_task(struct pb_change *c, const char *kind, const char *summary)
{
        struct pb_task *t = realloc(c->tasks, (c->n_tasks + 1) * sizeof(*t));
        if (!t)
                return -ENOMEM;
        c->tasks = t;
        t = &c->tasks[c->n_tasks];
        memset(t, 0, sizeof(*t));
        t->kind = strdup(kind);
        t->summary = strdup(summary);
        if (!t->kind || !t->summary) {
                free(t->kind);
                free(t->summary);
                return -ENOMEM;
        }
        t->status = c->status;
        t->spawn = c->spawn;
        if (pb_change_ready(c))
                t->ready = c->ready;
        c->n_tasks++;
        return 0;
}

void pb_change_submit(struct pb_broker *b, struct pb_change *c)
{
        c->queued = true;
        pthread_cond_broadcast(&b->changes.cond);
}

int pb_change_affects(struct pb_change *c, const char *snap)
{
        for (size_t i = 0; i < c->n_affected; i++)
                if (strcmp(c->affected[i], snap) == 0)
                        return 0;
        char **v = realloc(c->affected, (c->n_affected + 2) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        c->affected = v;
        v[c->n_affected] = strdup(snap);
        if (!v[c->n_affected])
                return -ENOMEM;
        v[++c->n_affected] = NULL;
        return 0;
}

struct pb_change *pb_change_find(struct pb_broker *b, uint64_t id)
{
        for (struct pb_change *c = b->changes.head; c; c = c->next)
                if (c->id == id)
                        return c;
        return NULL;
}

static void fail(struct pb_change *c, enum pb_change_status st, const char *msg)
{
        free(c->err);
        const char *task = c->n_tasks ? c->tasks[0].summary : c->summary;
        if (asprintf(&c->err, "cannot perform the following tasks:\n- %s (%s)", task, msg) < 0)
                c->err = NULL;
        c->status = (enum pb_change_status)st;
        set_times(c, true);
}

int pb_change_abort(struct pb_broker *b, struct pb_change *c)
{
        /* Only a change whose run function has not mutated anything yet can be
         * aborted: one whose model mutation is already made (an interface
         * action) must still be published and saved. */
        if (c->status != PB_CHANGE_DO || !c->run)
                return -EBUSY;
        fail(c, PB_CHANGE_HOLD, "change was aborted");
        release_data(c);
        pthread_cond_broadcast(&b->changes.cond);
        return 0;
}

static struct pb_change *next_queued(struct pb_changes *cs)
{
        for (struct pb_change *c = cs->head; c; c = c->next)
                if (c->status == PB_CHANGE_DO && c->queued)
                        return c;
        return NULL;
}

static void execute(struct pb_broker *b, struct pb_change *c)
{
        struct pb_error err = {0};
        c->status = PB_CHANGE_DOING;
        for (size_t i = 0; i < c->n_tasks; i++)
                c->tasks[i].status = PB_CHANGE_DOING;

        int r = c->run ? c->run(b, c, &err) : 0;
        if (r >= 0)
                r = pb_broker_publish_locked(b, (const char *const *)c->affected, &err);
        if (r >= 0) {
                /* Saved as Done: if the save succeeds that is what it is, and a
                 * crash right after must not show it as unfinished. */
                c->status = PB_CHANGE_DONE;
                set_times(c, true);
                r = c->journal ? pb_journal_commit(b, c, &err) : pb_broker_save(b, &err);
                if (r < 0)
                        pb_err("change %" PRIu64 ": %s", c->id, err.msg);
        }
        if (r < 0)
                fail(c, PB_CHANGE_ERROR, err.msg[0] ? err.msg : strerror(-r));
        else if (c->after)
                c->after(b, c);
        release_data(c);
}

static void *worker(void *arg)
{
        struct pb_broker *b = arg;
        struct pb_changes *cs = &b->changes;
        pthread_mutex_lock(&b->lock);
        for (;;) {
                struct pb_change *c = NULL;
                while (!cs->stop && !(c = next_queued(cs)))
                        pthread_cond_wait(&cs->cond, &b->lock);
                if (cs->stop)
                        break;
                execute(b, c);
                pthread_cond_broadcast(&cs->cond);
        }
        pthread_mutex_unlock(&b->lock);
        return NULL;
}

int pb_changes_start(struct pb_broker *b)
{
        int r = pthread_create(&b->changes.worker, NULL, worker, b);
        if (r != 0)
                return -r;
        b->changes.worker_started = true;
        return 0;
}

void pb_changes_destroy(struct pb_broker *b)
{
        struct pb_changes *cs = &b->changes;
        if (cs->worker_started) {
                pthread_mutex_lock(&b->lock);
                cs->stop = true;
                pthread_cond_broadcast(&cs->cond);
                pthread_mutex_unlock(&b->lock);
                pthread_join(cs->worker, NULL);
                cs->worker_started = false;
        }
        while (cs->head) {
                struct pb_change *c = cs->head;
                cs->head = c->next;
                change_free(c);
        }
        cs->tail = NULL;
        cs->count = 0;
        pthread_cond_destroy(&cs->cond);
}

static json_object *task_json(const struct pb_change *c, size_t i)
{
        const struct pb_task *t = &c->tasks[i];
        json_object *o = json_object_new_object();
        char id[32];
        snprintf(id, sizeof(id), "%" PRIu64, c->id * 1000 + i + 1);
        json_object_object_add(o, "id", json_object_new_string(id));
        json_object_object_add(o, "kind", json_object_new_string(t->kind));
        json_object_object_add(o, "summary", json_object_new_string(t->summary));
        json_object_object_add(o, "status",
                               json_object_new_string(pb_change_status_name(t->status)));
        json_object *p = json_object_new_object();
        bool ready = t->status == PB_CHANGE_DONE || t->status == PB_CHANGE_ERROR ||
                     t->status == PB_CHANGE_HOLD;
        json_object_object_add(p, "label", json_object_new_string(""));
        json_object_object_add(p, "done", json_object_new_int(ready ? 1 : 0));
        json_object_object_add(p, "total", json_object_new_int(1));
        json_object_object_add(o, "progress", p);
        pb_json_add_time(o, "spawn-time", &t->spawn);
        if (ready)
                pb_json_add_time(o, "ready-time", &t->ready);
        return o;
}

json_object *pb_change_to_json(const struct pb_change *c)
{
        json_object *o = json_object_new_object();
        char id[32];
        snprintf(id, sizeof(id), "%" PRIu64, c->id);
        json_object_object_add(o, "id", json_object_new_string(id));
        json_object_object_add(o, "kind", json_object_new_string(c->kind));
        json_object_object_add(o, "summary", json_object_new_string(c->summary));
        json_object_object_add(o, "status",
                               json_object_new_string(pb_change_status_name(c->status)));
        json_object *tasks = json_object_new_array();
        for (size_t i = 0; i < c->n_tasks; i++)
                json_object_array_add(tasks, task_json(c, i));
        json_object_object_add(o, "tasks", tasks);
        json_object_object_add(o, "ready", json_object_new_boolean(pb_change_ready(c)));
        if (c->err)
                json_object_object_add(o, "err", json_object_new_string(c->err));
        pb_json_add_time(o, "spawn-time", &c->spawn);
        if (pb_change_ready(c))
                pb_json_add_time(o, "ready-time", &c->ready);
        if (c->api_data)
                json_object_object_add(o, "data", json_object_get(c->api_data));
        return o;
}

json_object *pb_changes_to_json(struct pb_broker *b)
{
        json_object *arr = json_object_new_array();
        size_t skip = b->changes.count > PB_CHANGES_KEEP ? b->changes.count - PB_CHANGES_KEEP : 0;
        for (struct pb_change *c = b->changes.head; c; c = c->next) {
                if (skip) {
                        skip--;
                        continue;
                }
                json_object_array_add(arr, pb_change_to_json(c));
        }
        return arr;
}

static int load_one(struct pb_broker *b, json_object *o, struct pb_error *err)
{
        const char *id = pb_json_str(o, "id"), *kind = pb_json_str(o, "kind"),
                   *summary = pb_json_str(o, "summary"), *status = pb_json_str(o, "status");
        if (!id || !kind || !summary || !status)
                return pb_error_set(err, EINVAL, "change without id, kind, summary or status");
        int st = status_from_name(status);
        if (st < 0)
                return pb_error_set(err, EINVAL, "change %s: unknown status \"%s\"", id, status);
        struct pb_change *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->id = strtoull(id, NULL, 10);
        c->kind = strdup(kind);
        c->summary = strdup(summary);
        c->status = (enum pb_change_status)st;
        const char *e = pb_json_str(o, "err");
        if (e)
                c->err = strdup(e);
        pb_json_get_time(o, "spawn-time", &c->spawn);
        pb_json_get_time(o, "ready-time", &c->ready);
        json_object *data = NULL;
        if (json_object_object_get_ex(o, "data", &data) &&
            json_object_is_type(data, json_type_object))
                c->api_data = json_object_get(data);
        json_object *tasks = NULL;
        if (json_object_object_get_ex(o, "tasks", &tasks) &&
            json_object_is_type(tasks, json_type_array)) {
                for (size_t i = 0; i < json_object_array_length(tasks); i++) {
                        json_object *t = json_object_array_get_idx(tasks, i);
                        const char *tk = pb_json_str(t, "kind"), *ts = pb_json_str(t, "summary"),
                                   *tst = pb_json_str(t, "status");
                        if (!tk || !ts || pb_change_add_task(c, tk, ts) < 0)
                                continue;
                        struct pb_task *task = &c->tasks[c->n_tasks - 1];
                        int s = tst ? status_from_name(tst) : -1;
                        task->status = s < 0 ? c->status : (enum pb_change_status)s;
                        pb_json_get_time(t, "spawn-time", &task->spawn);
                        pb_json_get_time(t, "ready-time", &task->ready);
                }
        }
        /* A newer record of the same change (from the journal) wins. */
        for (struct pb_change **pp = &b->changes.head, *prev = NULL; *pp;
             prev = *pp, pp = &(*pp)->next) {
                if ((*pp)->id != c->id)
                        continue;
                struct pb_change *old = *pp;
                *pp = old->next;
                if (b->changes.tail == old)
                        b->changes.tail = prev;
                b->changes.count--;
                change_free(old);
                break;
        }
        if (!pb_change_ready(c)) {
                /* Saved while queued: it never ran and never will. */
                fail(c, PB_CHANGE_ERROR, "daemon restarted before the change ran");
        }
        append(&b->changes, c);
        return 0;
}

int pb_changes_load(struct pb_broker *b, json_object *arr, uint64_t last_id, struct pb_error *err)
{
        b->changes.last_id = last_id;
        if (!arr)
                return 0;
        if (!json_object_is_type(arr, json_type_array))
                return pb_error_set(err, EINVAL, "\"changes\" is not a list");
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
                int r = load_one(b, json_object_array_get_idx(arr, i), err);
                if (r < 0)
                        return r;
        }
        for (struct pb_change *c = b->changes.head; c; c = c->next)
                if (c->id > b->changes.last_id)
                        b->changes.last_id = c->id;
        return 0;
}
