/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Socket helpers of the HTTP fuzz targets. */
#include "fuzz-util.h"

#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static char *tmpdir_to_remove;

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        remove(path);
        return 0;
}

static void rm_tmpdir(void)
{
        if (tmpdir_to_remove)
                nftw(tmpdir_to_remove, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Removed at exit (a crash leaves it for the post-mortem). */
char *fuzz_tmpdir(const char *tag)
{
        char tmpl[128];
        snprintf(tmpl, sizeof(tmpl), "%s/pb-fuzz-%s-XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", tag);
        char *d = mkdtemp(tmpl);
        if (!d)
                abort();
        tmpdir_to_remove = strdup(d);
        atexit(rm_tmpdir);
        return strdup(d);
}

static long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t fuzz_http_roundtrip(const char *path, const uint8_t *data, size_t size, char *out,
                           size_t out_cap)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                abort(); /* the server under test went away: a bug */
        size_t off = 0;
        while (off < size) {
                ssize_t n = send(fd, data + off, size - off, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break; /* the server closed early (e.g. 413): fine */
                off += (size_t)n;
        }
        shutdown(fd, SHUT_WR);
        size_t got = 0;
        long deadline = now_ms() + 5000;
        for (;;) {
                long left = deadline - now_ms();
                if (left <= 0) {
                        fprintf(stderr, "fuzz: no answer within 5 s (server hang)\n");
                        abort();
                }
                struct pollfd p = {.fd = fd, .events = POLLIN};
                int r = poll(&p, 1, (int)left);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        continue;
                char tmp[4096];
                ssize_t n = recv(fd, tmp, sizeof(tmp), 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                size_t k = (size_t)n < out_cap - got - 1 ? (size_t)n : out_cap - got - 1;
                memcpy(out + got, tmp, k);
                got += k;
        }
        out[got] = '\0';
        close(fd);
        return got;
}

static int unhex(int c)
{
        return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

bool fuzz_decoded_contains(const uint8_t *data, size_t size, const char *needle)
{
        char *d = malloc(size + 1);
        if (!d)
                abort();
        size_t n = 0;
        for (size_t i = 0; i < size; i++) {
                int c = data[i];
                for (int round = 0; round < 3 && c == '%' && i + 2 < size; round++) {
                        int h = unhex(data[i + 1]), l = unhex(data[i + 2]);
                        if (h < 0 || l < 0)
                                break;
                        c = h * 16 + l;
                        i += 2;
                }
                d[n++] = (char)tolower(c);
        }
        d[n] = '\0';
        bool found = memmem(d, n, needle, strlen(needle)) != NULL;
        free(d);
        return found;
}
