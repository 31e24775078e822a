/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Temporary: entry points not implemented yet fail closed with 501. */
#include "catalogue.h"
#include "compile.h"
#include "declarations.h"
#include "model.h"
#include "snap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTYET(perr) pb_perror_set(perr, ENOSYS, 501, NULL, NULL, "not implemented yet")

struct pb_catalogue {
        int dummy;
};
struct pb_declarations {
        int dummy;
};
struct pb_model {
        const struct pb_catalogue *cat;
};

struct pb_declarations *pb_declarations_new(void)
{
        return calloc(1, sizeof(struct pb_declarations));
}
void pb_declarations_free(struct pb_declarations *d)
{
        free(d);
}
int pb_declarations_add_json(struct pb_declarations *d, const char *origin, const char *text,
                             size_t len, struct pb_perror *perr)
{
        return NOTYET(perr);
}
json_object *pb_declarations_get(const struct pb_declarations *d, const char *snap)
{
        return NULL;
}

void pb_connref_key(const struct pb_connref *r, char *buf, size_t size)
{
        snprintf(buf, size, "%s:%s %s:%s", r->plug_snap, r->plug, r->slot_snap, r->slot);
}
void pb_affected_clear(struct pb_affected *a)
{
        if (!a)
                return;
        for (size_t i = 0; i < a->n_snaps; i++)
                free(a->snaps[i]);
        free(a->snaps);
        free(a->tasks);
        memset(a, 0, sizeof(*a));
}
struct pb_model *pb_model_new(const struct pb_catalogue *cat)
{
        struct pb_model *m = calloc(1, sizeof(*m));
        if (m)
                m->cat = cat;
        return m;
}
void pb_model_free(struct pb_model *m)
{
        free(m);
}
const struct pb_catalogue *pb_model_catalogue(const struct pb_model *m)
{
        return m->cat;
}
int pb_model_next_revision(const struct pb_model *m, const char *name)
{
        return 1;
}
int pb_model_install(struct pb_model *m, struct pb_install *in, int *revision,
                     struct pb_affected *aff, struct pb_perror *perr)
{
        return NOTYET(perr);
}
int pb_model_remove(struct pb_model *m, const char *name, bool purge, struct pb_affected *aff,
                    struct pb_perror *perr)
{
        return NOTYET(perr);
}
size_t pb_model_snap_count(const struct pb_model *m)
{
        return 0;
}
const char *pb_model_snap_name_at(const struct pb_model *m, size_t i)
{
        return NULL;
}
const struct pb_snap_info *pb_model_snap_info(const struct pb_model *m, const char *name)
{
        return NULL;
}
int pb_model_snap_revision(const struct pb_model *m, const char *name)
{
        return -ENOENT;
}
const char *pb_model_snap_source(const struct pb_model *m, const char *name)
{
        return NULL;
}
json_object *pb_model_snap_declaration(const struct pb_model *m, const char *name)
{
        return NULL;
}
int pb_model_connect(struct pb_model *m, const char *plug_snap, const char *plug,
                     const char *slot_snap, const char *slot, struct pb_connref *ref,
                     struct pb_affected *aff, struct pb_perror *perr)
{
        return NOTYET(perr);
}
int pb_model_disconnect(struct pb_model *m, const char *plug_snap, const char *plug,
                        const char *slot_snap, const char *slot, bool forget,
                        struct pb_affected *aff, struct pb_perror *perr)
{
        return NOTYET(perr);
}
int pb_model_is_connected(const struct pb_model *m, const char *snap, const char *name,
                          const char *peer, struct pb_perror *perr)
{
        return NOTYET(perr);
}
bool pb_model_endpoint_connected(const struct pb_model *m, const char *snap, const char *name,
                                 bool is_slot)
{
        return false;
}
json_object *pb_model_connections_json(const struct pb_model *m, const char *snap,
                                       const char *iface, const char *select,
                                       struct pb_perror *perr)
{
        NOTYET(perr);
        return NULL;
}
json_object *pb_model_interfaces_json(const struct pb_model *m, const struct pb_interfaces_query *q,
                                      struct pb_perror *perr)
{
        NOTYET(perr);
        return NULL;
}
json_object *pb_model_snaps_json(const struct pb_model *m, const char *name, struct pb_perror *perr)
{
        NOTYET(perr);
        return NULL;
}
json_object *pb_model_to_json(const struct pb_model *m)
{
        json_object *o = json_object_new_object();
        if (o)
                json_object_object_add(o, "schema", json_object_new_int(PB_MODEL_SCHEMA));
        return o;
}
struct pb_model *pb_model_from_json(const struct pb_catalogue *cat, json_object *o,
                                    struct pb_perror *perr)
{
        NOTYET(perr);
        return NULL;
}

struct pb_grants *pb_compile_grants(const struct pb_model *m, const char *snap,
                                    const struct pb_user *user, uint64_t generation,
                                    struct pb_perror *perr)
{
        NOTYET(perr);
        return NULL;
}
