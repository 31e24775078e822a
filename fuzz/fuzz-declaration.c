/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Snap declaration loading (policy/declarations.h). */
#include "declarations.h"
#include "fuzz-util.h"
#include "perror.h"

#include <json-c/json.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = fuzz_text(data, size);
        struct pb_declarations *d = pb_declarations_new();
        FUZZ_ASSERT(d);
        struct pb_perror perr = {0};
        int r = pb_declarations_add_json(d, "fuzz.json", text, size, &perr);
        if (r < 0)
                FUZZ_ASSERT(perr.msg[0] != '\0');
        /* A second file for the same snap replaces the first: exercise it. */
        if (r == 0)
                (void)pb_declarations_add_json(d, "again.json", text, size, &perr);
        pb_declarations_free(d);
        free(text);
        return 0;
}
