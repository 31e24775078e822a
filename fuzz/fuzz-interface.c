/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Interface-definition loading (policy/catalogue.h): an administrator's
 * drop-in file is trusted less than the code; a bad one is an error naming
 * it, never a crash, and an accepted one can be described. */
#include "catalogue.h"
#include "fuzz-util.h"
#include "perror.h"

#include <json-c/json.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = fuzz_text(data, size);
        struct pb_catalogue *cat = pb_catalogue_new();
        FUZZ_ASSERT(cat);
        struct pb_perror perr = {0};
        int r = pb_catalogue_add_json(cat, "fuzz.json", text, size, &perr);
        if (r < 0) {
                FUZZ_ASSERT(r == -EINVAL || r == -ENOMEM);
                FUZZ_ASSERT(perr.msg[0] != '\0');
        } else {
                for (size_t i = 0; i < pb_catalogue_count(cat); i++) {
                        const struct pb_interface *f = pb_catalogue_at(cat, i);
                        FUZZ_ASSERT(pb_catalogue_lookup(cat, pb_interface_name(f)) == f);
                        free(pb_interface_grants_text(f));
                        json_object_put(pb_interface_grant_lines(f));
                }
        }
        pb_catalogue_free(cat);
        free(text);
        return 0;
}
