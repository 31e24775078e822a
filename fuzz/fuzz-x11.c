/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The X11 connection-setup parser of the display proxy (portals/x11-proto.h):
 * whatever a client sends first is parsed without reading past it; an
 * accepted setup is checked against the cookie, rebuilt with the upstream
 * credentials (which must parse back to the same fields), or refused with a
 * well-formed "failed" reply. */
#include "fuzz-util.h"
#include "x11-proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* An exact-size heap copy: ASan flags any read past the input. */
        uint8_t *b = malloc(size ? size : 1);
        FUZZ_ASSERT(b);
        memcpy(b, data, size);
        struct pb_x11_setup s;
        int r = pb_x11_setup_parse(b, size, &s);
        FUZZ_ASSERT(r <= (int)size);
        if (r > 0) {
                FUZZ_ASSERT((size_t)r == s.total && s.total <= PB_X11_SETUP_MAX);
                static const uint8_t cookie[PB_X11_COOKIE_LEN] = "0123456789abcdef";
                (void)pb_x11_cookie_ok(&s, cookie);
                uint8_t out[PB_X11_SETUP_MAX], reply[512];
                static const char name[] = PB_X11_AUTH_NAME;
                size_t n = pb_x11_setup_build(out, sizeof(out), &s, (const uint8_t *)name,
                                              sizeof(name) - 1, cookie, PB_X11_COOKIE_LEN);
                FUZZ_ASSERT(n > 0);
                struct pb_x11_setup s2;
                FUZZ_ASSERT(pb_x11_setup_parse(out, n, &s2) == (int)n);
                FUZZ_ASSERT(s2.msb == s.msb && s2.major == s.major && s2.minor == s.minor &&
                            s2.data_len == PB_X11_COOKIE_LEN &&
                            memcmp(s2.data, cookie, PB_X11_COOKIE_LEN) == 0);
                FUZZ_ASSERT(pb_x11_setup_failed(reply, sizeof(reply), &s, "denied") > 0);
                /* A truncated buffer is refused, not overrun. */
                FUZZ_ASSERT(pb_x11_setup_build(out, 11, &s, (const uint8_t *)name, sizeof(name) - 1,
                                               cookie, PB_X11_COOKIE_LEN) == 0);
        }
        /* $DISPLAY parsing, from the same bytes. */
        char *disp = fuzz_text(data, size < 64 ? size : 64);
        char path[108];
        (void)pb_x11_display_path(disp, path, sizeof(path));
        free(disp);
        free(b);
        return 0;
}
