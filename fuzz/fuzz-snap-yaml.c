/* SPDX-License-Identifier: GPL-3.0-or-later */
/* snap.yaml parsing (policy/snap.h): any input gives an info or an error with
 * a message, never a crash; a parsed info survives the JSON round trip that
 * the broker's state uses. */
#include "fuzz-util.h"
#include "perror.h"
#include "snap.h"

#include <json-c/json.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = fuzz_text(data, size);
        struct pb_perror perr = {0};
        struct pb_snap_info *info = pb_snap_info_parse("snap.yaml", text, size, &perr);
        if (!info) {
                FUZZ_ASSERT(perr.msg[0] != '\0');
        } else {
                json_object *o = pb_snap_info_to_json(info);
                FUZZ_ASSERT(o);
                struct pb_perror perr2 = {0};
                struct pb_snap_info *back = pb_snap_info_from_json(o, &perr2);
                FUZZ_ASSERT(back); /* what we wrote we must be able to read */
                pb_snap_info_free(back);
                json_object_put(o);
                pb_snap_info_free(info);
        }
        free(text);
        return 0;
}
