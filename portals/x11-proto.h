/* SPDX-License-Identifier: GPL-3.0-or-later */
/* X11 connection setup parsing and the Xauthority format: pure functions. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PB_X11_AUTH_NAME      "MIT-MAGIC-COOKIE-1"
#define PB_X11_COOKIE_LEN     16
#define PB_X11_AUTH_FIELD_MAX 256 /* name and data lengths we accept */
#define PB_X11_SETUP_MAX      (12 + PB_X11_AUTH_FIELD_MAX * 2)

struct pb_x11_setup {
        bool msb; /* 'B': big-endian client */
        uint16_t major, minor;
        uint16_t name_len, data_len;
        const uint8_t *name, *data;
        size_t total; /* bytes of the whole setup request */
};

/* 0: incomplete; >0: complete (s filled, returns s->total); -EPROTO: bad
 * byte order byte or oversized fields. */
int pb_x11_setup_parse(const uint8_t *b, size_t len, struct pb_x11_setup *s);
/* The setup request s with name/data replaced; returns its length (<= cap)
 * or 0 if it does not fit. */
size_t pb_x11_setup_build(uint8_t *out, size_t cap, const struct pb_x11_setup *s,
                          const uint8_t *name, uint16_t nlen, const uint8_t *data, uint16_t dlen);
/* A "Failed" setup reply with reason, in the client's byte order. */
size_t pb_x11_setup_failed(uint8_t *out, size_t cap, const struct pb_x11_setup *s,
                           const char *reason);
/* Constant-time equality of the presented auth with the expected cookie. */
bool pb_x11_cookie_ok(const struct pb_x11_setup *s, const uint8_t cookie[PB_X11_COOKIE_LEN]);
/* One Xauthority entry (FamilyWild, any address, display number) into out;
 * returns its length or 0 when cap is too small. */
size_t pb_x11_xauth_entry(uint8_t *out, size_t cap, unsigned display, const char *name,
                          const uint8_t *data, uint16_t dlen);
/* The socket path of a local DISPLAY (":N", ":N.S", "unix:N"); -EINVAL for
 * remote or malformed displays (fail closed: only local sockets). */
int pb_x11_display_path(const char *display, char *out, size_t cap);
