/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * PulseAudio native protocol facts the proxy needs, as pure functions (no
 * I/O), so they are unit tested on their own. Numbers from pulseaudio's
 * src/pulsecore/native-common.h, pstream.c and pulse/def.h (see
 * docs/SECURITY.md for the command policy and why).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PB_PA_HDR_LEN        20u
#define PB_PA_FRAME_MAX      (16u * 1024 * 1024)
#define PB_PA_CHANNEL_PACKET 0xFFFFFFFFu
#define PB_PA_TAG_NONE       0xFFFFFFFFu
/* Tags the proxy uses for requests it injects; client requests carrying a
 * tag in this range are refused so replies can never be confused. */
#define PB_PA_TAG_PROXY_BASE 0xFFFF0000u
#define PB_PA_FLAG_SHM_MASK  0xC0000000u /* PA_PROTOCOL_FLAG_SHM | _MEMFD */
#define PB_PA_SEEK_MASK      0x000000FFu

enum pb_pa_cmd {
        PB_PA_ERROR = 0,
        PB_PA_REPLY = 2,
        PB_PA_CREATE_PLAYBACK_STREAM = 3,
        PB_PA_DELETE_PLAYBACK_STREAM = 4,
        PB_PA_CREATE_RECORD_STREAM = 5,
        PB_PA_DELETE_RECORD_STREAM = 6,
        PB_PA_AUTH = 8,
        PB_PA_CREATE_UPLOAD_STREAM = 15,
        PB_PA_DELETE_UPLOAD_STREAM = 16,
        PB_PA_FINISH_UPLOAD_STREAM = 17,
        PB_PA_PLAYBACK_STREAM_KILLED = 64,
        PB_PA_RECORD_STREAM_KILLED = 65,
        PB_PA_SUBSCRIBE_EVENT = 66,
        PB_PA_MAX = 105,
};

enum pb_pa_err {
        PB_PA_ERR_ACCESS = 1,
        PB_PA_ERR_INVALID = 3,
};

/* What the proxy does with a client -> server command. */
enum pb_pa_policy {
        PB_PA_DENY = 0,          /* answer ERROR(ACCESS) ourselves */
        PB_PA_ALLOW,             /* forward */
        PB_PA_OWN_SINK_INPUT,    /* forward only if the index (3rd value) is one of
                                    this connection's sink inputs */
        PB_PA_OWN_SOURCE_OUTPUT, /* ... one of its source outputs */
        PB_PA_RECORD,            /* forward only while audio-record is granted */
};

enum pb_pa_policy pb_pa_client_policy(uint32_t cmd);
/* Name for logs; "?" for unknown numbers. */
const char *pb_pa_cmd_name(uint32_t cmd);

struct pb_pa_hdr {
        uint32_t length, channel, off_hi, off_lo, flags;
};
void pb_pa_hdr_parse(const uint8_t b[PB_PA_HDR_LEN], struct pb_pa_hdr *h);
void pb_pa_hdr_write(uint8_t b[PB_PA_HDR_LEN], uint32_t length, uint32_t channel);
/* 0, or -EPROTO with a reason: length 0 or > max, SHM flags, bad seek mode,
 * flags on a packet. */
int pb_pa_hdr_check(const struct pb_pa_hdr *h, uint32_t max, const char **why);

/* The i-th tagstruct value of a packet if it is a u32 ('L' + BE u32); only
 * the leading u32s are ever needed. Returns false when absent/other type. */
bool pb_pa_packet_u32(const uint8_t *p, size_t len, unsigned i, uint32_t *v);
/* Overwrites the i-th value, which must be a u32. */
bool pb_pa_packet_set_u32(uint8_t *p, size_t len, unsigned i, uint32_t v);

/* A complete frame (header + packet) "cmd, tag[, u32 arg]" into buf (size
 * >= 35); returns its length. */
size_t pb_pa_make_packet(uint8_t *buf, uint32_t cmd, uint32_t tag, bool has_arg, uint32_t arg);

/* Subscription event facilities (pulse/def.h PA_SUBSCRIPTION_EVENT_*). */
#define PB_PA_FACILITY_MASK 0x0Fu
enum {
        PB_PA_FAC_SINK = 0,
        PB_PA_FAC_SOURCE = 1,
        PB_PA_FAC_SINK_INPUT = 2,
        PB_PA_FAC_SOURCE_OUTPUT = 3,
        PB_PA_FAC_MODULE = 4,
        PB_PA_FAC_CLIENT = 5,
        PB_PA_FAC_SAMPLE_CACHE = 6,
        PB_PA_FAC_SERVER = 7,
        PB_PA_FAC_CARD = 9,
};
