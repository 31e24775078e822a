/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The in-sandbox control socket (portals/control.h), whole: each input is
 * what an app writes to /run/snapd-snap.socket -- HTTP through
 * libmicrohttpd, POST /v2/snapctl's JSON body, the snapctl command
 * (is-connected with its options) and GET /v2/plugboard/wait -- served by a
 * real pb_control on a private socket, with a grant table where some plugs
 * are connected and some are not. */
#include "portals/control.h"
#include "fuzz-util.h"

#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static struct pb_control *ctl;
static char sock_path[108];

static int peer(void *ctx, pid_t pid, char **snap, struct pb_grants **g)
{
        struct pb_grants *mine = ctx;
        if (pid != 4242)
                return -ESRCH;
        *snap = strdup("other");
        *g = pb_grants_ref(mine);
        return *snap ? 0 : -ENOMEM;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        signal(SIGPIPE, SIG_IGN);
        char *dir = fuzz_tmpdir("snapctl");
        snprintf(sock_path, sizeof(sock_path), "%s/snapd-snap.socket", dir);
        struct pb_grants_builder *b = pb_grants_builder_new("vlc", 1);
        FUZZ_ASSERT(b);
        int cam = pb_grants_builder_add_endpoint(b, "camera", "camera", false, true);
        int home = pb_grants_builder_add_endpoint(b, "home", "home", false, false);
        int x11 = pb_grants_builder_add_endpoint(b, "x11", "x11", false, true);
        int pa = pb_grants_builder_add_endpoint(b, "audio-playback", "audio-playback", false, true);
        FUZZ_ASSERT(cam >= 0 && home >= 0 && x11 >= 0 && pa >= 0);
        FUZZ_ASSERT(pb_grants_builder_add_device(b, "video[0-9]*", PB_ACCESS_READ, cam) == 0);
        FUZZ_ASSERT(pb_grants_builder_add_service(b, PB_SERVICE_X11, x11) == 0);
        FUZZ_ASSERT(pb_grants_builder_add_service(b, PB_SERVICE_AUDIO_PLAYBACK, pa) == 0);
        struct pb_grants *g = pb_grants_builder_finish(b);
        FUZZ_ASSERT(g);
        struct pb_control_config cfg = {
            .path = sock_path,
            .uid = getuid(),
            .gid = getgid(),
            .snap = "vlc",
            .grants = g,
            .peer = peer,
            .peer_ctx = g,
        };
        struct pb_error err = {0};
        if (pb_control_start(&cfg, &ctl, &err) < 0) {
                fprintf(stderr, "fuzz-snapctl: %s\n", err.msg);
                abort();
        }
        free(dir);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* A wait for a plug that never connects would (correctly) block: the
         * long poll is bounded by the client, so skip inputs that ask for it. */
        if (fuzz_decoded_contains(data, size, "wait") || size > 128 * 1024)
                return 0;
        static char out[1 << 18];
        fuzz_http_roundtrip(sock_path, data, size, out, sizeof(out));
        return 0;
}
