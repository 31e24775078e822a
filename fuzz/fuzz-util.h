/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared helpers of the libFuzzer targets (the fuzz-NAME.c files). */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A NUL-terminated copy (the parsers take text + length; some read up to the
 * NUL, so give them one, and let ASan catch a read past `size`). */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);
        if (!s)
                abort();
        memcpy(s, data, size);
        s[size] = '\0';
        return s;
}

/* A fatal invariant violation: crash so libFuzzer records the input. */
#define FUZZ_ASSERT(cond)                                                                          \
        do {                                                                                       \
                if (!(cond))                                                                       \
                        __builtin_trap();                                                          \
        } while (0)

/* Socket round trip for the HTTP targets: send `data` as one raw request on
 * a fresh connection to `path`, half-close, read the answer until EOF (or a
 * 2 s deadline, which is a hang: abort). Returns the bytes read. */
size_t fuzz_http_roundtrip(const char *path, const uint8_t *data, size_t size, char *out,
                           size_t out_cap);
/* Whether the bytes, percent-decoded (up to 3 levels) and lower-cased,
 * contain `needle` (lower case). For skipping inputs that would reach an
 * operation the fuzzer must not run (see the targets). */
bool fuzz_decoded_contains(const uint8_t *data, size_t size, const char *needle);
/* A fresh private directory under /dev/shm (or /tmp), removed at exit (one
 * per process). */
char *fuzz_tmpdir(const char *tag);
