/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The audit ring of denials (see pb_broker_audit_denial in broker.h). */
#pragma once

#include <json-c/json.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define PB_AUDIT_RING 1024
/* A repeat of the same (snap, uid, operation, resource) within this many
 * seconds only bumps the count of the existing entry: a confined app that
 * retries in a loop must not flush the ring or cost more than a compare. */
#define PB_AUDIT_MERGE_SECONDS 1

struct pb_audit_entry {
        struct timespec time; /* first occurrence */
        struct timespec last;
        uid_t uid;
        uint32_t count;
        char snap[48];
        char operation[24];
        char interface[48];
        char resource[256];
};

struct pb_audit {
        pthread_mutex_t lock;
        struct pb_audit_entry ring[PB_AUDIT_RING];
        uint64_t head; /* number of entries ever added */
};

void pb_audit_init(struct pb_audit *a);
void pb_audit_destroy(struct pb_audit *a);
void pb_audit_add(struct pb_audit *a, const char *snap, uid_t uid, const char *resource,
                  const char *operation, const char *interface);
/* Entries oldest first, optionally only those of `snap`, as a JSON array of
 * {"time","snap","uid","operation","resource","interface","count"}. */
json_object *pb_audit_to_json(struct pb_audit *a, const char *snap);
