/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The PulseAudio portal: one listening socket per sandbox, proxying the
 * native protocol to an upstream server (PulseAudio or pipewire-pulse).
 *
 * It reassembles frames, forces the inline-audio path (clears the SHM and
 * memfd flags of AUTH so no shared memory, memfd or srbchannel is ever
 * negotiated; ancillary data is never forwarded), applies a command
 * allow-list, tracks the connection's streams to gate audio per channel, and
 * answers CREATE_RECORD_STREAM with an access error unless audio-record is
 * granted. Whole connections need audio-playback.
 *
 * Runs entirely in a pb_loop. pb_pulse_new/free/publish may be called from
 * any thread other than the loop's (or from the loop thread itself).
 */
#pragma once

#include <sys/types.h>

#include "loop.h"
#include "pb-util.h"

struct pb_grants;
struct pb_pulse;

struct pb_pulse_config {
        const char *name;          /* for logs, e.g. the snap name */
        const char *listen_path;   /* socket to create (replaced if it exists) */
        const char *upstream_path; /* the server's socket */
        uid_t owner_uid;           /* owner of the listening socket, or -1 */
        gid_t owner_gid;
        unsigned max_conns; /* concurrent connections; 0: default (16) */
        /* The user the sandbox runs as: the proxy connects upstream with this
         * filesystem identity and sends these credentials (SCM_CREDENTIALS)
         * with AUTH, which the user's own server accepts as "same user" -
         * true, since the app runs as that user. (uid_t)-1: the proxy's own. */
        uid_t upstream_uid;
        gid_t upstream_gid;
};

/* grants: may be NULL (then everything is refused until a publish); the
 * proxy takes its own reference. */
int pb_pulse_new(struct pb_loop *loop, const struct pb_pulse_config *cfg, struct pb_grants *grants,
                 struct pb_pulse **out, struct pb_error *err);
/* Closes every connection and the listening socket, unlinks it. */
void pb_pulse_free(struct pb_pulse *p);

/* Applies a new grant table. Returns once the effects happened: on loss of
 * audio-record every live record stream was deleted upstream (its reply is
 * swallowed), the client was sent RECORD_STREAM_KILLED and queued record
 * data was dropped; on loss of audio-playback every connection is closed. */
int pb_pulse_publish(struct pb_pulse *p, struct pb_grants *grants);

/* Number of open proxied connections (for tests and status). */
unsigned pb_pulse_conn_count(struct pb_pulse *p);
