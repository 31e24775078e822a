/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The PulseAudio frame/packet parser of the audio proxy (portals/pulse-proto.h),
 * fed a client's byte stream: frames are cut exactly as the proxy cuts them
 * (20-byte header, checked, then `length` bytes of payload); every packet's
 * command, tag and index are read through the same accessors the proxy's
 * policy uses, and rewritten the way the proxy rewrites tags. */
#include "fuzz-util.h"
#include "pulse-proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t off = 0;
        /* A small frame limit so the fuzzer reaches "frame too large" and
         * also fits several whole frames in one input. */
        const uint32_t max = (size & 1) ? PB_PA_FRAME_MAX : 4096;
        while (size - off >= PB_PA_HDR_LEN) {
                struct pb_pa_hdr h;
                pb_pa_hdr_parse(data + off, &h);
                const char *why = NULL;
                int r = pb_pa_hdr_check(&h, max, &why);
                if (r < 0) {
                        FUZZ_ASSERT(why != NULL); /* the proxy logs why, then closes */
                        break;
                }
                FUZZ_ASSERT(h.length > 0 && h.length <= max);
                off += PB_PA_HDR_LEN;
                if (h.length > size - off)
                        break; /* incomplete: the proxy waits for more */
                if (h.channel == PB_PA_CHANNEL_PACKET) {
                        /* A private copy: the proxy rewrites tags in place. */
                        uint8_t *p = malloc(h.length);
                        FUZZ_ASSERT(p);
                        memcpy(p, data + off, h.length);
                        uint32_t cmd = 0, tag = 0, idx = 0;
                        if (pb_pa_packet_u32(p, h.length, 0, &cmd)) {
                                enum pb_pa_policy pol = pb_pa_client_policy(cmd);
                                FUZZ_ASSERT(pol <= PB_PA_RECORD);
                                (void)pb_pa_cmd_name(cmd);
                                if (pb_pa_packet_u32(p, h.length, 1, &tag)) {
                                        FUZZ_ASSERT(pb_pa_packet_set_u32(p, h.length, 1,
                                                                         PB_PA_TAG_PROXY_BASE));
                                        uint32_t back = 0;
                                        FUZZ_ASSERT(pb_pa_packet_u32(p, h.length, 1, &back) &&
                                                    back == PB_PA_TAG_PROXY_BASE);
                                }
                                (void)pb_pa_packet_u32(p, h.length, 2, &idx);
                                /* The proxy's own answer to a denied request. */
                                uint8_t reply[PB_PA_HDR_LEN + 15];
                                size_t n = pb_pa_make_packet(reply, PB_PA_ERROR, tag, true,
                                                             PB_PA_ERR_ACCESS);
                                FUZZ_ASSERT(n == sizeof(reply));
                                struct pb_pa_hdr rh;
                                pb_pa_hdr_parse(reply, &rh);
                                FUZZ_ASSERT(pb_pa_hdr_check(&rh, PB_PA_FRAME_MAX, NULL) == 0);
                        }
                        free(p);
                }
                off += h.length;
        }
        return 0;
}
