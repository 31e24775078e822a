/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pulse-proto.h"

#include <errno.h>
#include <string.h>

struct cmd_info {
        const char *name;
        enum pb_pa_policy policy;
};

/*
 * The allow-list, indexed by command number. Anything not listed is denied.
 * Rules: a confined client may manage its own streams (the server itself
 * checks that a channel belongs to the connection), read device lists, and
 * change volume/mute/routing of its own streams only. It may not touch the
 * server (modules, defaults, suspend, ports, cards), other clients (kill,
 * move, volume, info lists that reveal what other apps play or record), nor
 * use extensions or object messages whose effects the proxy cannot bound.
 * Server -> client commands sent by a client are denied too.
 */
static const struct cmd_info cmds[PB_PA_MAX] = {
    [0] = {"ERROR", PB_PA_DENY},
    [1] = {"TIMEOUT", PB_PA_DENY},
    [2] = {"REPLY", PB_PA_DENY},
    [3] = {"CREATE_PLAYBACK_STREAM", PB_PA_ALLOW},
    [4] = {"DELETE_PLAYBACK_STREAM", PB_PA_ALLOW},
    [5] = {"CREATE_RECORD_STREAM", PB_PA_RECORD},
    [6] = {"DELETE_RECORD_STREAM", PB_PA_ALLOW},
    [7] = {"EXIT", PB_PA_DENY},
    [8] = {"AUTH", PB_PA_ALLOW},
    [9] = {"SET_CLIENT_NAME", PB_PA_ALLOW},
    [10] = {"LOOKUP_SINK", PB_PA_ALLOW},
    [11] = {"LOOKUP_SOURCE", PB_PA_ALLOW},
    [12] = {"DRAIN_PLAYBACK_STREAM", PB_PA_ALLOW},
    [13] = {"STAT", PB_PA_ALLOW},
    [14] = {"GET_PLAYBACK_LATENCY", PB_PA_ALLOW},
    [15] = {"CREATE_UPLOAD_STREAM", PB_PA_ALLOW},
    [16] = {"DELETE_UPLOAD_STREAM", PB_PA_ALLOW},
    [17] = {"FINISH_UPLOAD_STREAM", PB_PA_ALLOW},
    [18] = {"PLAY_SAMPLE", PB_PA_ALLOW},
    [19] = {"REMOVE_SAMPLE", PB_PA_DENY}, /* the sample cache is shared */
    [20] = {"GET_SERVER_INFO", PB_PA_ALLOW},
    [21] = {"GET_SINK_INFO", PB_PA_ALLOW},
    [22] = {"GET_SINK_INFO_LIST", PB_PA_ALLOW},
    [23] = {"GET_SOURCE_INFO", PB_PA_ALLOW},
    [24] = {"GET_SOURCE_INFO_LIST", PB_PA_ALLOW},
    [25] = {"GET_MODULE_INFO", PB_PA_DENY},
    [26] = {"GET_MODULE_INFO_LIST", PB_PA_DENY},
    [27] = {"GET_CLIENT_INFO", PB_PA_DENY},
    [28] = {"GET_CLIENT_INFO_LIST", PB_PA_DENY},
    [29] = {"GET_SINK_INPUT_INFO", PB_PA_OWN_SINK_INPUT},
    [30] = {"GET_SINK_INPUT_INFO_LIST", PB_PA_DENY},
    [31] = {"GET_SOURCE_OUTPUT_INFO", PB_PA_OWN_SOURCE_OUTPUT},
    [32] = {"GET_SOURCE_OUTPUT_INFO_LIST", PB_PA_DENY},
    [33] = {"GET_SAMPLE_INFO", PB_PA_ALLOW},
    [34] = {"GET_SAMPLE_INFO_LIST", PB_PA_ALLOW},
    [35] = {"SUBSCRIBE", PB_PA_ALLOW}, /* events are filtered, see pulse.c */
    [36] = {"SET_SINK_VOLUME", PB_PA_DENY},
    [37] = {"SET_SINK_INPUT_VOLUME", PB_PA_OWN_SINK_INPUT},
    [38] = {"SET_SOURCE_VOLUME", PB_PA_DENY},
    [39] = {"SET_SINK_MUTE", PB_PA_DENY},
    [40] = {"SET_SOURCE_MUTE", PB_PA_DENY},
    [41] = {"CORK_PLAYBACK_STREAM", PB_PA_ALLOW},
    [42] = {"FLUSH_PLAYBACK_STREAM", PB_PA_ALLOW},
    [43] = {"TRIGGER_PLAYBACK_STREAM", PB_PA_ALLOW},
    [44] = {"SET_DEFAULT_SINK", PB_PA_DENY},
    [45] = {"SET_DEFAULT_SOURCE", PB_PA_DENY},
    [46] = {"SET_PLAYBACK_STREAM_NAME", PB_PA_ALLOW},
    [47] = {"SET_RECORD_STREAM_NAME", PB_PA_ALLOW},
    [48] = {"KILL_CLIENT", PB_PA_DENY},
    [49] = {"KILL_SINK_INPUT", PB_PA_DENY},
    [50] = {"KILL_SOURCE_OUTPUT", PB_PA_DENY},
    [51] = {"LOAD_MODULE", PB_PA_DENY},
    [52] = {"UNLOAD_MODULE", PB_PA_DENY},
    [57] = {"GET_RECORD_LATENCY", PB_PA_ALLOW},
    [58] = {"CORK_RECORD_STREAM", PB_PA_ALLOW},
    [59] = {"FLUSH_RECORD_STREAM", PB_PA_ALLOW},
    [60] = {"PREBUF_PLAYBACK_STREAM", PB_PA_ALLOW},
    [61] = {"REQUEST", PB_PA_DENY},
    [62] = {"OVERFLOW", PB_PA_DENY},
    [63] = {"UNDERFLOW", PB_PA_DENY},
    [64] = {"PLAYBACK_STREAM_KILLED", PB_PA_DENY},
    [65] = {"RECORD_STREAM_KILLED", PB_PA_DENY},
    [66] = {"SUBSCRIBE_EVENT", PB_PA_DENY},
    [67] = {"MOVE_SINK_INPUT", PB_PA_OWN_SINK_INPUT},
    [68] = {"MOVE_SOURCE_OUTPUT", PB_PA_OWN_SOURCE_OUTPUT},
    [69] = {"SET_SINK_INPUT_MUTE", PB_PA_OWN_SINK_INPUT},
    [70] = {"SUSPEND_SINK", PB_PA_DENY},
    [71] = {"SUSPEND_SOURCE", PB_PA_DENY},
    [72] = {"SET_PLAYBACK_STREAM_BUFFER_ATTR", PB_PA_ALLOW},
    [73] = {"SET_RECORD_STREAM_BUFFER_ATTR", PB_PA_ALLOW},
    [74] = {"UPDATE_PLAYBACK_STREAM_SAMPLE_RATE", PB_PA_ALLOW},
    [75] = {"UPDATE_RECORD_STREAM_SAMPLE_RATE", PB_PA_ALLOW},
    [80] = {"UPDATE_RECORD_STREAM_PROPLIST", PB_PA_ALLOW},
    [81] = {"UPDATE_PLAYBACK_STREAM_PROPLIST", PB_PA_ALLOW},
    [82] = {"UPDATE_CLIENT_PROPLIST", PB_PA_ALLOW},
    [83] = {"REMOVE_RECORD_STREAM_PROPLIST", PB_PA_ALLOW},
    [84] = {"REMOVE_PLAYBACK_STREAM_PROPLIST", PB_PA_ALLOW},
    [85] = {"REMOVE_CLIENT_PROPLIST", PB_PA_ALLOW},
    [87] = {"EXTENSION", PB_PA_DENY},
    [88] = {"GET_CARD_INFO", PB_PA_DENY},
    [89] = {"GET_CARD_INFO_LIST", PB_PA_DENY},
    [90] = {"SET_CARD_PROFILE", PB_PA_DENY},
    [96] = {"SET_SINK_PORT", PB_PA_DENY},
    [97] = {"SET_SOURCE_PORT", PB_PA_DENY},
    [98] = {"SET_SOURCE_OUTPUT_VOLUME", PB_PA_OWN_SOURCE_OUTPUT},
    [99] = {"SET_SOURCE_OUTPUT_MUTE", PB_PA_OWN_SOURCE_OUTPUT},
    [100] = {"SET_PORT_LATENCY_OFFSET", PB_PA_DENY},
    [101] = {"ENABLE_SRBCHANNEL", PB_PA_DENY},
    [102] = {"DISABLE_SRBCHANNEL", PB_PA_DENY},
    [103] = {"REGISTER_MEMFD_SHMID", PB_PA_DENY},
    [104] = {"SEND_OBJECT_MESSAGE", PB_PA_DENY},
};

enum pb_pa_policy pb_pa_client_policy(uint32_t cmd)
{
        return cmd < PB_PA_MAX ? cmds[cmd].policy : PB_PA_DENY;
}

const char *pb_pa_cmd_name(uint32_t cmd)
{
        return cmd < PB_PA_MAX && cmds[cmd].name ? cmds[cmd].name : "?";
}

static uint32_t be32(const uint8_t *b)
{
        return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void put_be32(uint8_t *b, uint32_t v)
{
        b[0] = v >> 24;
        b[1] = v >> 16;
        b[2] = v >> 8;
        b[3] = v;
}

void pb_pa_hdr_parse(const uint8_t b[PB_PA_HDR_LEN], struct pb_pa_hdr *h)
{
        h->length = be32(b);
        h->channel = be32(b + 4);
        h->off_hi = be32(b + 8);
        h->off_lo = be32(b + 12);
        h->flags = be32(b + 16);
}

void pb_pa_hdr_write(uint8_t b[PB_PA_HDR_LEN], uint32_t length, uint32_t channel)
{
        memset(b, 0, PB_PA_HDR_LEN);
        put_be32(b, length);
        put_be32(b + 4, channel);
}

int pb_pa_hdr_check(const struct pb_pa_hdr *h, uint32_t max, const char **why)
{
        const char *w = NULL;
        if (h->length == 0)
                w = "zero-length frame";
        else if (h->length > max)
                w = "frame too large";
        else if (h->channel == PB_PA_CHANNEL_PACKET && (h->flags || h->off_hi || h->off_lo))
                w = "flags on a packet";
        else if (h->flags & ~PB_PA_SEEK_MASK)
                w = "SHM/memfd frame";
        else if ((h->flags & PB_PA_SEEK_MASK) > 3)
                w = "bad seek mode";
        if (why)
                *why = w;
        return w ? -EPROTO : 0;
}

static bool locate_u32(const uint8_t *p, size_t len, unsigned i, size_t *at)
{
        size_t off = (size_t)i * 5;
        if (off + 5 > len || p[off] != 'L')
                return false;
        /* Every earlier value must be a u32 too for the offset to be right. */
        for (unsigned k = 0; k < i; k++)
                if (p[(size_t)k * 5] != 'L')
                        return false;
        *at = off + 1;
        return true;
}

bool pb_pa_packet_u32(const uint8_t *p, size_t len, unsigned i, uint32_t *v)
{
        size_t at;
        if (!locate_u32(p, len, i, &at))
                return false;
        *v = be32(p + at);
        return true;
}

bool pb_pa_packet_set_u32(uint8_t *p, size_t len, unsigned i, uint32_t v)
{
        size_t at;
        if (!locate_u32(p, len, i, &at))
                return false;
        put_be32(p + at, v);
        return true;
}

size_t pb_pa_make_packet(uint8_t *buf, uint32_t cmd, uint32_t tag, bool has_arg, uint32_t arg)
{
        uint8_t *p = buf + PB_PA_HDR_LEN;
        size_t n = 0;
        uint32_t vals[3] = {cmd, tag, arg};
        for (unsigned i = 0; i < (has_arg ? 3u : 2u); i++) {
                p[n] = 'L';
                put_be32(p + n + 1, vals[i]);
                n += 5;
        }
        pb_pa_hdr_write(buf, (uint32_t)n, PB_PA_CHANNEL_PACKET);
        return PB_PA_HDR_LEN + n;
}
