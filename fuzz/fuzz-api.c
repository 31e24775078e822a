/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The broker's API request handler, whole: each input is the raw bytes a
 * client writes to the API socket (request line, headers, body, possibly
 * several pipelined requests). They go through libmicrohttpd, the route
 * table, the JSON body decoding and the handlers of a real in-process broker
 * (state in /dev/shm, the built-in catalogue, the vlc example installed, the
 * change worker running). The fuzzer is root, so root-only routes run too.
 *
 * One exclusion: snap installation and removal (POST .../snaps...) run
 * unsquashfs/cp on a host path named in the body; fuzzing that would make
 * the fuzzer read and copy arbitrary host trees. Inputs that could reach it
 * are skipped (see excluded()). */
#include "daemon.h"
#include "fuzz-util.h"
#include "http.h"
#include "pb-config.h"

#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef PB_FUZZ_EXAMPLES_DIR
#error "PB_FUZZ_EXAMPLES_DIR must name the examples/ directory"
#endif

static struct pb_broker broker;
static char sock_path[108];

static int listen_on(const char *path)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        FUZZ_ASSERT(fd >= 0);
        FUZZ_ASSERT(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
        FUZZ_ASSERT(listen(fd, 64) == 0);
        return fd;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        signal(SIGPIPE, SIG_IGN);
        char *dir = fuzz_tmpdir("api");
        static char state[256], decl[256], ifaces[256];
        snprintf(state, sizeof(state), "%s/state", dir);
        snprintf(decl, sizeof(decl), "%s/declarations", dir);
        snprintf(ifaces, sizeof(ifaces), "%s/interfaces", dir);
        snprintf(sock_path, sizeof(sock_path), "%s/api.socket", dir);
        FUZZ_ASSERT(mkdir(decl, 0755) == 0 && mkdir(ifaces, 0755) == 0);
        struct pb_broker_config cfg = {
            .state_dir = state,
            .socket_path = sock_path,
            .declarations_dir = decl,
            .interfaces_dir = ifaces,
            .builtin_interfaces_dir = PB_SOURCE_INTERFACES_DIR,
        };
        struct pb_error err = {0};
        if (pb_broker_init(&broker, &cfg, &err) < 0) {
                fprintf(stderr, "fuzz-api: broker init: %s\n", err.msg);
                abort();
        }
        int fd = listen_on(sock_path);
        FUZZ_ASSERT(pb_changes_start(&broker) == 0);
        FUZZ_ASSERT(pb_http_start(&broker, &fd, 1, &broker.http, &err) == 0);
        /* Something to connect: install the vlc example (a queued change). */
        char req[512], body[256], out[4096];
        int bl = snprintf(body, sizeof(body), "{\"action\":\"install\",\"path\":\"%s/vlc\"}",
                          PB_FUZZ_EXAMPLES_DIR);
        int rl = snprintf(req, sizeof(req),
                          "POST /v2/snaps HTTP/1.1\r\nHost: x\r\nContent-Type: "
                          "application/json\r\nContent-Length: %d\r\n\r\n%s",
                          bl, body);
        fuzz_http_roundtrip(sock_path, (const uint8_t *)req, (size_t)rl, out, sizeof(out));
        FUZZ_ASSERT(strstr(out, " 202 ") || strstr(out, " 200 "));
        free(dir);
        return 0;
}

/* Could this input reach POST /v2/snaps or /v2/snaps/NAME? (libmicrohttpd
 * unescapes the path, so look at the percent-decoded, case-folded bytes.) */
static bool excluded(const uint8_t *data, size_t size)
{
        return fuzz_decoded_contains(data, size, "snaps") &&
               fuzz_decoded_contains(data, size, "post");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > PB_HTTP_MAX_BODY + 8192 || excluded(data, size))
                return 0;
        static char out[1 << 20];
        size_t n = fuzz_http_roundtrip(sock_path, data, size, out, sizeof(out));
        /* Anything that looks like a request gets an HTTP answer; garbage may
         * just be closed. Either way the daemon is still there (the next
         * connect would abort otherwise). */
        (void)n;
        return 0;
}
