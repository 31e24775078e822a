/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "api-util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

char *pb_strdupf(const char *fmt, ...)
{
        char *s = NULL;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

struct pb_response *pb_response_perror(const struct pb_perror *perr)
{
        int status = perr->status ? perr->status : 400;
        return pb_response_error(status, perr->kind, perr->value, "%s",
                                 perr->msg[0] ? perr->msg : "internal error");
}

struct pb_response *pb_cached_listing(struct pb_broker *b, const char *key, pb_listing_fn render,
                                      const void *arg)
{
        struct pb_perror perr = {0};
        struct pb_response *resp;
        size_t len = 0;
        pthread_mutex_lock(&b->lock);
        const char *cached = pb_cache_get(&b->listings, key, b->model_seq, &len);
        if (cached) {
                resp = pb_response_sync_text(cached, len);
        } else {
                _cleanup_free_ char *text = render(b->model, arg, &perr);
                if (text) {
                        len = strlen(text);
                        pb_cache_put(&b->listings, key, b->model_seq, text, len);
                        resp = pb_response_sync_text(text, len);
                } else {
                        resp = pb_response_perror(&perr);
                }
        }
        pthread_mutex_unlock(&b->lock);
        return resp;
}

bool pb_is_system_snap_name(const char *s)
{
        return !s || !*s || strcmp(s, "system") == 0 || strcmp(s, "core") == 0 ||
               strcmp(s, "snapd") == 0;
}

struct pb_response *pb_submit_affected(struct pb_broker *b, const char *kind, const char *summary,
                                       const char *task_kind, const struct pb_affected *aff,
                                       json_object *journal)
{
        struct pb_change *c = pb_change_new(b, kind, summary);
        if (!c) {
                if (journal)
                        json_object_put(journal);
                return pb_response_error(500, NULL, NULL, "out of memory");
        }
        c->journal = journal;
        int r = 0;
        for (size_t i = 0; aff && i < aff->n_tasks && r == 0; i++)
                r = pb_change_add_task(c, task_kind, aff->tasks[i].summary);
        for (size_t i = 0; aff && i < aff->n_snaps && r == 0; i++)
                r = pb_change_affects(c, aff->snaps[i]);
        /* Even on ENOMEM the model is already changed: the change must still
         * be published and saved, so it is queued in any case. */
        pb_change_submit(b, c);
        return pb_response_async(c->id);
}

void pb_change_set_snap_name(struct pb_change *c, const char *name)
{
        json_object *d = json_object_new_object(), *a = json_object_new_array();
        json_object_array_add(a, json_object_new_string(name));
        json_object_object_add(d, "snap-names", a);
        /* `snap try` reads the singular form */
        json_object_object_add(d, "snap-name", json_object_new_string(name));
        if (c->api_data)
                json_object_put(c->api_data);
        c->api_data = d;
}
