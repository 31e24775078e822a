/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Round trip of `is-connected` on a control socket: N requests, each on a
 * fresh connection as snapctl does, and prints the median and p90 in
 * microseconds. Usage: pb-launch-rtt SOCKET [N] [NAME]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int cmp(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
        if (argc < 2)
                return 2;
        int n = argc > 2 ? atoi(argv[2]) : 1000;
        const char *name = argc > 3 ? argv[3] : "network";
        if (n < 1 || n > 1000000)
                return 2;
        char body[256], req[512];
        int bl = snprintf(body, sizeof(body),
                          "{\"context-id\":\"x\",\"args\":[\"is-connected\",\"%s\"]}", name);
        int rl = snprintf(req, sizeof(req),
                          "POST /v2/snapctl HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                          "Content-Length: %d\r\n\r\n%s",
                          bl, body);
        double *t = calloc((size_t)n, sizeof(double));
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
        for (int i = 0; i < n; i++) {
                struct timespec a, b;
                clock_gettime(CLOCK_MONOTONIC, &a);
                int fd = socket(AF_UNIX, SOCK_STREAM, 0);
                char buf[4096];
                if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
                    write(fd, req, (size_t)rl) != rl) {
                        perror("control socket");
                        return 1;
                }
                size_t got = 0;
                ssize_t r;
                while ((r = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
                        got += (size_t)r;
                close(fd);
                clock_gettime(CLOCK_MONOTONIC, &b);
                buf[got] = '\0';
                if (!strstr(buf, "HTTP/1.1 200")) {
                        fprintf(stderr, "unexpected answer: %s\n", buf);
                        return 1;
                }
                t[i] = (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3;
        }
        qsort(t, (size_t)n, sizeof(double), cmp);
        printf("is-connected round trip: median %.1f us, p90 %.1f us (%d requests)\n", t[n / 2],
               t[n * 9 / 10], n);
        free(t);
        return 0;
}
