/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers for the policy unit tests: load the shipped interface files (the
 * tests do the file I/O that policy/ itself never does) and install snaps. */
#pragma once

#include "catalogue.h"
#include "model.h"
#include "pb-config.h"
#include "pb-test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline char *pt_read_file(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        if (!f)
                return NULL;
        char *buf = malloc(1 << 16);
        size_t n = buf ? fread(buf, 1, (1 << 16) - 1, f) : 0;
        fclose(f);
        if (buf)
                buf[n] = '\0';
        *len = n;
        return buf;
}

static inline struct pb_catalogue *pt_catalogue(void)
{
        struct pb_catalogue *cat = pb_catalogue_new();
        DIR *d = opendir(PB_SOURCE_INTERFACES_DIR);
        if (!d)
                return cat;
        struct dirent *de;
        while ((de = readdir(d))) {
                size_t n = strlen(de->d_name);
                if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
                        continue;
                char path[1024];
                snprintf(path, sizeof(path), "%s/%s", PB_SOURCE_INTERFACES_DIR, de->d_name);
                size_t len = 0;
                char *text = pt_read_file(path, &len);
                struct pb_perror e = {0};
                if (!text || pb_catalogue_add_json(cat, path, text, len, &e) < 0)
                        printf("# cannot load %s: %s\n", path, e.msg);
                free(text);
        }
        closedir(d);
        return cat;
}

/* Install a snap from YAML text; returns the revision or a negative error. */
static inline int pt_install(struct pb_model *m, const struct pb_declarations *decls,
                             const char *yaml, struct pb_affected *aff, struct pb_perror *e)
{
        struct pb_perror local;
        if (!e)
                e = &local;
        memset(e, 0, sizeof(*e));
        struct pb_snap_info *info = pb_snap_info_parse("snap.yaml", yaml, strlen(yaml), e);
        if (!info)
                return -22;
        struct pb_install in = {.info = info, .decls = decls};
        int rev = 0;
        struct pb_affected a = {0};
        int ret = pb_model_install(m, &in, &rev, aff ? aff : &a, e);
        pb_affected_clear(&a);
        if (ret < 0) {
                pb_snap_info_free(in.info);
                return ret;
        }
        return rev;
}

static inline const char *pt_json(json_object *o)
{
        return o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE)
                 : "(null)";
}

/* Parse what an (opaque, pre-serialised) result object serialises to. */
static inline json_object *pt_reparse(json_object *o)
{
        json_object *r = o ? json_tokener_parse(json_object_to_json_string(o)) : NULL;
        json_object_put(o);
        return r;
}
