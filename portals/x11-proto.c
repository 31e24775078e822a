/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "x11-proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint16_t rd16(const uint8_t *b, bool msb)
{
        return msb ? (uint16_t)(b[0] << 8 | b[1]) : (uint16_t)(b[1] << 8 | b[0]);
}

static void wr16(uint8_t *b, uint16_t v, bool msb)
{
        if (msb) {
                b[0] = v >> 8;
                b[1] = v & 0xff;
        } else {
                b[0] = v & 0xff;
                b[1] = v >> 8;
        }
}

static size_t pad4(size_t n)
{
        return (n + 3) & ~(size_t)3;
}

int pb_x11_setup_parse(const uint8_t *b, size_t len, struct pb_x11_setup *s)
{
        if (len < 1)
                return 0;
        if (b[0] != 'B' && b[0] != 'l')
                return -EPROTO;
        if (len < 12)
                return 0;
        s->msb = b[0] == 'B';
        s->major = rd16(b + 2, s->msb);
        s->minor = rd16(b + 4, s->msb);
        s->name_len = rd16(b + 6, s->msb);
        s->data_len = rd16(b + 8, s->msb);
        if (s->name_len > PB_X11_AUTH_FIELD_MAX || s->data_len > PB_X11_AUTH_FIELD_MAX)
                return -EPROTO;
        s->total = 12 + pad4(s->name_len) + pad4(s->data_len);
        if (len < s->total)
                return 0;
        s->name = b + 12;
        s->data = b + 12 + pad4(s->name_len);
        return (int)s->total;
}

size_t pb_x11_setup_build(uint8_t *out, size_t cap, const struct pb_x11_setup *s,
                          const uint8_t *name, uint16_t nlen, const uint8_t *data, uint16_t dlen)
{
        size_t total = 12 + pad4(nlen) + pad4(dlen);
        if (total > cap)
                return 0;
        memset(out, 0, total);
        out[0] = s->msb ? 'B' : 'l';
        wr16(out + 2, s->major, s->msb);
        wr16(out + 4, s->minor, s->msb);
        wr16(out + 6, nlen, s->msb);
        wr16(out + 8, dlen, s->msb);
        memcpy(out + 12, name, nlen);
        memcpy(out + 12 + pad4(nlen), data, dlen);
        return total;
}

size_t pb_x11_setup_failed(uint8_t *out, size_t cap, const struct pb_x11_setup *s,
                           const char *reason)
{
        size_t n = strlen(reason);
        if (n > 255)
                n = 255;
        size_t total = 8 + pad4(n);
        if (total > cap)
                return 0;
        memset(out, 0, total);
        out[0] = 0; /* Failed */
        out[1] = (uint8_t)n;
        wr16(out + 2, s->major, s->msb);
        wr16(out + 4, s->minor, s->msb);
        wr16(out + 6, (uint16_t)(pad4(n) / 4), s->msb);
        memcpy(out + 8, reason, n);
        return total;
}

bool pb_x11_cookie_ok(const struct pb_x11_setup *s, const uint8_t cookie[PB_X11_COOKIE_LEN])
{
        const size_t nl = sizeof(PB_X11_AUTH_NAME) - 1;
        if (s->name_len != nl || s->data_len != PB_X11_COOKIE_LEN)
                return false;
        /* The lengths are public; the bytes are compared without early exit. */
        unsigned diff = 0;
        for (size_t i = 0; i < nl; i++)
                diff |= s->name[i] ^ (uint8_t)PB_X11_AUTH_NAME[i];
        for (size_t i = 0; i < PB_X11_COOKIE_LEN; i++)
                diff |= s->data[i] ^ cookie[i];
        return diff == 0;
}

static size_t put_field(uint8_t *p, const void *v, uint16_t n)
{
        p[0] = n >> 8;
        p[1] = n & 0xff;
        memcpy(p + 2, v, n);
        return 2 + (size_t)n;
}

size_t pb_x11_xauth_entry(uint8_t *out, size_t cap, unsigned display, const char *name,
                          const uint8_t *data, uint16_t dlen)
{
        char num[16];
        int nn = snprintf(num, sizeof(num), "%u", display);
        size_t nlen = strlen(name);
        size_t total = 2 + 2 + 2 + (size_t)nn + 2 + nlen + 2 + dlen;
        if (total > cap || nlen > 0xffff)
                return 0;
        size_t o = 0;
        out[o++] = 0xff; /* FamilyWild: any host, matched by display number */
        out[o++] = 0xff;
        o += put_field(out + o, "", 0);
        o += put_field(out + o, num, (uint16_t)nn);
        o += put_field(out + o, name, (uint16_t)nlen);
        o += put_field(out + o, data, dlen);
        return o;
}

int pb_x11_display_path(const char *display, char *out, size_t cap)
{
        if (!display)
                return -EINVAL;
        const char *p = display;
        if (!strncmp(p, "unix:", 5))
                p += 5;
        else if (*p == ':')
                p += 1;
        else
                return -EINVAL; /* a host name: TCP, not proxied */
        char *end;
        errno = 0;
        unsigned long n = strtoul(p, &end, 10);
        if (end == p || errno || n > 65535 || (*end && *end != '.'))
                return -EINVAL;
        if ((size_t)snprintf(out, cap, "/tmp/.X11-unix/X%lu", n) >= cap)
                return -ENAMETOOLONG;
        return 0;
}
