/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <string.h>

#include "pb-test.h"
#include "pulse-proto.h"

static void test_header(void)
{
        uint8_t b[PB_PA_HDR_LEN];
        struct pb_pa_hdr h;
        const char *why;
        pb_pa_hdr_write(b, 100, PB_PA_CHANNEL_PACKET);
        pb_pa_hdr_parse(b, &h);
        PB_CHECK(h.length == 100 && h.channel == PB_PA_CHANNEL_PACKET && h.flags == 0);
        PB_CHECK(pb_pa_hdr_check(&h, PB_PA_FRAME_MAX, &why) == 0);
        h.length = 0;
        PB_CHECK(pb_pa_hdr_check(&h, PB_PA_FRAME_MAX, &why) == -EPROTO);
        PB_CHECK_STR(why, "zero-length frame");
        h.length = PB_PA_FRAME_MAX + 1;
        PB_CHECK(pb_pa_hdr_check(&h, PB_PA_FRAME_MAX, &why) == -EPROTO);
        h.length = 1000;
        PB_CHECK(pb_pa_hdr_check(&h, 999, &why) == -EPROTO);
        h.flags = 1;
        PB_CHECK(pb_pa_hdr_check(&h, PB_PA_FRAME_MAX, &why) == -EPROTO); /* flags on a packet */
        h.channel = 3;
        PB_CHECK(pb_pa_hdr_check(&h, PB_PA_FRAME_MAX, &why) == 0); /* seek mode 1 on audio */
        h.flags = 0x80000000u;
        PB_CHECK(pb_pa_hdr_check(&h, PB_PA_FRAME_MAX, &why) == -EPROTO);
        PB_CHECK_STR(why, "SHM/memfd frame");
        h.flags = 0x20000000u;
        PB_CHECK(pb_pa_hdr_check(&h, PB_PA_FRAME_MAX, &why) == -EPROTO);
        h.flags = 4;
        PB_CHECK(pb_pa_hdr_check(&h, PB_PA_FRAME_MAX, &why) == -EPROTO);
}

static void test_packet_values(void)
{
        uint8_t f[64];
        size_t n = pb_pa_make_packet(f, PB_PA_AUTH, 7, true, 35u | 0xC0000000u);
        PB_CHECK(n == PB_PA_HDR_LEN + 15);
        uint8_t *p = f + PB_PA_HDR_LEN;
        uint32_t v;
        PB_CHECK(pb_pa_packet_u32(p, 15, 0, &v) && v == PB_PA_AUTH);
        PB_CHECK(pb_pa_packet_u32(p, 15, 1, &v) && v == 7);
        PB_CHECK(pb_pa_packet_u32(p, 15, 2, &v) && v == (35u | 0xC0000000u));
        PB_CHECK(!pb_pa_packet_u32(p, 15, 3, &v)); /* absent */
        PB_CHECK(!pb_pa_packet_u32(p, 14, 2, &v)); /* truncated */
        PB_CHECK(pb_pa_packet_set_u32(p, 15, 2, v & ~PB_PA_FLAG_SHM_MASK));
        PB_CHECK(pb_pa_packet_u32(p, 15, 2, &v) && v == 35);
        p[5] = 't'; /* the tag is not a u32 any more: nothing after it is found */
        PB_CHECK(!pb_pa_packet_u32(p, 15, 1, &v));
        PB_CHECK(!pb_pa_packet_u32(p, 15, 2, &v));
        PB_CHECK(!pb_pa_packet_set_u32(p, 15, 2, 1));
}

static void test_policy(void)
{
        PB_CHECK(pb_pa_client_policy(PB_PA_CREATE_PLAYBACK_STREAM) == PB_PA_ALLOW);
        PB_CHECK(pb_pa_client_policy(PB_PA_CREATE_RECORD_STREAM) == PB_PA_RECORD);
        PB_CHECK(pb_pa_client_policy(51) == PB_PA_DENY);           /* LOAD_MODULE */
        PB_CHECK(pb_pa_client_policy(52) == PB_PA_DENY);           /* UNLOAD_MODULE */
        PB_CHECK(pb_pa_client_policy(48) == PB_PA_DENY);           /* KILL_CLIENT */
        PB_CHECK(pb_pa_client_policy(87) == PB_PA_DENY);           /* EXTENSION */
        PB_CHECK(pb_pa_client_policy(104) == PB_PA_DENY);          /* SEND_OBJECT_MESSAGE */
        PB_CHECK(pb_pa_client_policy(44) == PB_PA_DENY);           /* SET_DEFAULT_SINK */
        PB_CHECK(pb_pa_client_policy(67) == PB_PA_OWN_SINK_INPUT); /* MOVE_SINK_INPUT */
        PB_CHECK(pb_pa_client_policy(68) == PB_PA_OWN_SOURCE_OUTPUT);
        PB_CHECK(pb_pa_client_policy(65) == PB_PA_DENY); /* server -> client command */
        PB_CHECK(pb_pa_client_policy(53) == PB_PA_DENY); /* obsolete, unlisted */
        PB_CHECK(pb_pa_client_policy(PB_PA_MAX) == PB_PA_DENY);
        PB_CHECK(pb_pa_client_policy(0xFFFFFFFFu) == PB_PA_DENY);
        PB_CHECK_STR(pb_pa_cmd_name(51), "LOAD_MODULE");
        PB_CHECK_STR(pb_pa_cmd_name(1000), "?");
}

int main(void)
{
        test_header();
        test_packet_values();
        test_policy();
        return pb_test_done();
}
