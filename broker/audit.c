/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "audit.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void pb_audit_init(struct pb_audit *a)
{
        memset(a, 0, sizeof(*a));
        pthread_mutex_init(&a->lock, NULL);
}

void pb_audit_destroy(struct pb_audit *a)
{
        pthread_mutex_destroy(&a->lock);
}

static void copy(char *dst, size_t n, const char *src)
{
        snprintf(dst, n, "%s", src ? src : "");
}

static bool same(const struct pb_audit_entry *e, const char *snap, uid_t uid, const char *resource,
                 const char *operation)
{
        return e->uid == uid && strncmp(e->snap, snap, sizeof(e->snap) - 1) == 0 &&
               strncmp(e->operation, operation, sizeof(e->operation) - 1) == 0 &&
               strncmp(e->resource, resource, sizeof(e->resource) - 1) == 0;
}

void pb_audit_add(struct pb_audit *a, const char *snap, uid_t uid, const char *resource,
                  const char *operation, const char *interface)
{
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        snap = snap ? snap : "";
        resource = resource ? resource : "";
        operation = operation ? operation : "";

        pthread_mutex_lock(&a->lock);
        /* Look back over the last few entries only: cheap, and enough to
         * catch an app hammering the same path. */
        for (uint64_t i = 0; i < 8 && i < a->head; i++) {
                struct pb_audit_entry *e = &a->ring[(a->head - 1 - i) % PB_AUDIT_RING];
                if (same(e, snap, uid, resource, operation) &&
                    now.tv_sec - e->last.tv_sec <= PB_AUDIT_MERGE_SECONDS) {
                        if (e->count < UINT32_MAX)
                                e->count++;
                        e->last = now;
                        pthread_mutex_unlock(&a->lock);
                        return;
                }
        }
        struct pb_audit_entry *e = &a->ring[a->head % PB_AUDIT_RING];
        e->time = now;
        e->last = now;
        e->uid = uid;
        e->count = 1;
        copy(e->snap, sizeof(e->snap), snap);
        copy(e->operation, sizeof(e->operation), operation);
        copy(e->interface, sizeof(e->interface), interface);
        copy(e->resource, sizeof(e->resource), resource);
        a->head++;
        pthread_mutex_unlock(&a->lock);
}

static json_object *entry_json(const struct pb_audit_entry *e)
{
        char ts[64];
        struct tm tm;
        gmtime_r(&e->time.tv_sec, &tm);
        size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(ts + n, sizeof(ts) - n, ".%03ldZ", e->time.tv_nsec / 1000000);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "time", json_object_new_string(ts));
        json_object_object_add(o, "snap", json_object_new_string(e->snap));
        json_object_object_add(o, "uid", json_object_new_int64(e->uid));
        json_object_object_add(o, "operation", json_object_new_string(e->operation));
        json_object_object_add(o, "resource", json_object_new_string(e->resource));
        json_object_object_add(o, "interface", json_object_new_string(e->interface));
        json_object_object_add(o, "count", json_object_new_int64(e->count));
        return o;
}

json_object *pb_audit_to_json(struct pb_audit *a, const char *snap)
{
        json_object *arr = json_object_new_array();
        pthread_mutex_lock(&a->lock);
        uint64_t first = a->head > PB_AUDIT_RING ? a->head - PB_AUDIT_RING : 0;
        for (uint64_t i = first; i < a->head; i++) {
                const struct pb_audit_entry *e = &a->ring[i % PB_AUDIT_RING];
                if (snap && *snap && strcmp(e->snap, snap) != 0)
                        continue;
                json_object_array_add(arr, entry_json(e));
        }
        pthread_mutex_unlock(&a->lock);
        return arr;
}
