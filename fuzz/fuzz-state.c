/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The state loader (policy/model.h pb_model_from_json), over the built-in
 * catalogue: a damaged state file is refused with a message naming the field,
 * never half-loaded; an accepted one serialises back to text that loads again
 * to the same text (what the broker writes, it can read). */
#include "catalogue.h"
#include "fuzz-util.h"
#include "model.h"
#include "pb-config.h"
#include "perror.h"

#include <dirent.h>
#include <json-c/json.h>
#include <stdio.h>

static struct pb_catalogue *cat;

static void load_builtin(void)
{
        cat = pb_catalogue_new();
        FUZZ_ASSERT(cat);
        DIR *d = opendir(PB_SOURCE_INTERFACES_DIR);
        FUZZ_ASSERT(d);
        struct dirent *de;
        while ((de = readdir(d))) {
                size_t l = strlen(de->d_name);
                if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
                        continue;
                char path[4096];
                snprintf(path, sizeof(path), "%s/%s", PB_SOURCE_INTERFACES_DIR, de->d_name);
                FILE *f = fopen(path, "re");
                FUZZ_ASSERT(f);
                char *buf = NULL;
                size_t cap = 0;
                ssize_t n = getdelim(&buf, &cap, '\0', f);
                fclose(f);
                FUZZ_ASSERT(n > 0);
                struct pb_perror perr = {0};
                FUZZ_ASSERT(pb_catalogue_add_json(cat, path, buf, (size_t)n, &perr) == 0);
                free(buf);
        }
        closedir(d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        load_builtin();
        return 0;
}

static json_object *parse(const char *text, size_t len)
{
        json_tokener *tok = json_tokener_new();
        FUZZ_ASSERT(tok);
        json_object *o = json_tokener_parse_ex(tok, text, (int)len);
        if (json_tokener_get_error(tok) != json_tokener_success) {
                json_object_put(o);
                o = NULL;
        }
        json_tokener_free(tok);
        return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > (1u << 20))
                return 0;
        char *text = fuzz_text(data, size);
        json_object *o = parse(text, size);
        free(text);
        if (!o)
                return 0;
        struct pb_perror perr = {0};
        struct pb_model *m = pb_model_from_json(cat, o, &perr);
        json_object_put(o);
        if (!m) {
                FUZZ_ASSERT(perr.msg[0] != '\0');
                return 0;
        }
        size_t len1 = 0, len2 = 0;
        char *t1 = pb_model_state_text(m, &len1);
        FUZZ_ASSERT(t1);
        json_object *o2 = parse(t1, len1);
        FUZZ_ASSERT(o2);
        struct pb_perror perr2 = {0};
        struct pb_model *m2 = pb_model_from_json(cat, o2, &perr2);
        if (!m2)
                fprintf(stderr, "fuzz-state: own output refused: %s\n%s\n", perr2.msg, t1);
        FUZZ_ASSERT(m2);
        json_object_put(o2);
        char *t2 = pb_model_state_text(m2, &len2);
        FUZZ_ASSERT(t2 && len1 == len2 && memcmp(t1, t2, len1) == 0);
        free(t1);
        free(t2);
        pb_model_free(m2);
        pb_model_free(m);
        return 0;
}
