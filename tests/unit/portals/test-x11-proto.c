/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <string.h>

#include "pb-test.h"
#include "x11-proto.h"

static const uint8_t cookie[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static size_t make_setup(uint8_t *b, size_t cap, bool msb, const uint8_t *data, uint16_t dlen)
{
        struct pb_x11_setup s = {.msb = msb, .major = 11, .minor = 0};
        return pb_x11_setup_build(b, cap, &s, (const uint8_t *)PB_X11_AUTH_NAME, 18, data, dlen);
}

static void test_parse_both_orders(void)
{
        for (int msb = 0; msb < 2; msb++) {
                uint8_t b[128];
                size_t n = make_setup(b, sizeof(b), msb, cookie, 16);
                PB_CHECK(n == 12 + 20 + 16);
                PB_CHECK(b[0] == (msb ? 'B' : 'l'));
                struct pb_x11_setup s;
                PB_CHECK(pb_x11_setup_parse(b, 11, &s) == 0); /* incomplete */
                PB_CHECK(pb_x11_setup_parse(b, n - 1, &s) == 0);
                PB_CHECK(pb_x11_setup_parse(b, n, &s) == (int)n);
                PB_CHECK(s.msb == msb && s.major == 11 && s.name_len == 18 && s.data_len == 16);
                PB_CHECK(pb_x11_cookie_ok(&s, cookie));
                uint8_t other[16] = {0};
                PB_CHECK(!pb_x11_cookie_ok(&s, other));
                /* Swap in a 16-byte cookie and re-parse. */
                uint8_t out[128];
                size_t m =
                    pb_x11_setup_build(out, sizeof(out), &s, (const uint8_t *)"AB", 2, other, 16);
                struct pb_x11_setup t;
                PB_CHECK(pb_x11_setup_parse(out, m, &t) == (int)m);
                PB_CHECK(t.msb == msb && t.name_len == 2 && t.data_len == 16 &&
                         memcmp(t.data, other, 16) == 0);
                uint8_t fail[64];
                size_t f = pb_x11_setup_failed(fail, sizeof(fail), &s, "nope");
                PB_CHECK(f == 12 && fail[0] == 0 && fail[1] == 4 && !memcmp(fail + 8, "nope", 4));
        }
}

static void test_hostile_setups(void)
{
        uint8_t b[16] = {'X'};
        struct pb_x11_setup s;
        PB_CHECK(pb_x11_setup_parse(b, 1, &s) == -EPROTO);
        uint8_t big[12] = {'l', 0, 11, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0}; /* name 65535 */
        PB_CHECK(pb_x11_setup_parse(big, 12, &s) == -EPROTO);
        uint8_t wrong_len[128];
        size_t n = make_setup(wrong_len, sizeof(wrong_len), false, cookie, 15);
        PB_CHECK(pb_x11_setup_parse(wrong_len, n, &s) > 0);
        PB_CHECK(!pb_x11_cookie_ok(&s, cookie)); /* length must be exactly 16 */
}

static void test_xauth_and_display(void)
{
        uint8_t b[128];
        size_t n = pb_x11_xauth_entry(b, sizeof(b), 7, PB_X11_AUTH_NAME, cookie, 16);
        PB_CHECK(n == 2 + 2 + 3 + 20 + 18);
        PB_CHECK(b[0] == 0xff && b[1] == 0xff && b[2] == 0 && b[3] == 0);
        PB_CHECK(b[5] == 1 && b[6] == '7');
        PB_CHECK(pb_x11_xauth_entry(b, 10, 7, PB_X11_AUTH_NAME, cookie, 16) == 0);
        char p[108];
        PB_CHECK(pb_x11_display_path(":5", p, sizeof(p)) == 0);
        PB_CHECK_STR(p, "/tmp/.X11-unix/X5");
        PB_CHECK(pb_x11_display_path(":12.0", p, sizeof(p)) == 0);
        PB_CHECK_STR(p, "/tmp/.X11-unix/X12");
        PB_CHECK(pb_x11_display_path("unix:3", p, sizeof(p)) == 0);
        PB_CHECK(pb_x11_display_path("host:0", p, sizeof(p)) == -EINVAL);
        PB_CHECK(pb_x11_display_path(":x", p, sizeof(p)) == -EINVAL);
        PB_CHECK(pb_x11_display_path(":1/../..", p, sizeof(p)) == -EINVAL);
        PB_CHECK(pb_x11_display_path(NULL, p, sizeof(p)) == -EINVAL);
}

int main(void)
{
        test_parse_both_orders();
        test_hostile_setups();
        test_xauth_and_display();
        return pb_test_done();
}
