/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pb_sock_connect against a server whose listen backlog is full: it waits
 * for room (bounded), then connects; a server that never makes room costs
 * at most the bound. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "pb-test.h"
#include "sock.h"

static char path[108];

static int listener(void)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        unlink(path);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 0) < 0)
                return -1;
        return fd;
}

/* Fill the backlog: with listen(fd, 0) one pending connection fills it. */
static int fill(void)
{
        int n = 0;
        for (int i = 0; i < 8; i++) {
                int r = pb_sock_connect(path);
                if (r < 0)
                        break;
                n++;
        }
        return n;
}

struct acceptor {
        int lfd;
        pid_t waiter; /* the thread in pb_sock_connect */
};

/* Accept once the waiter sleeps in its connect (state S in its stat): an
 * event, not a guess at how long it takes to get there. */
static void *accept_when_waiting(void *arg)
{
        struct acceptor *a = arg;
        char p[64], buf[256];
        snprintf(p, sizeof(p), "/proc/self/task/%d/stat", (int)a->waiter);
        for (int i = 0; i < 200000; i++) {
                FILE *f = fopen(p, "re");
                size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
                if (f)
                        fclose(f);
                buf[n] = '\0';
                const char *st = strrchr(buf, ')');
                if (st && st[1] == ' ' && st[2] == 'S')
                        break;
        }
        int c = accept(a->lfd, NULL, NULL);
        if (c >= 0)
                close(c);
        return NULL;
}

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
        snprintf(path, sizeof(path), "/tmp/pb-test-sock-%d", (int)getpid());
        int lfd = listener();
        PB_CHECK(lfd >= 0);
        int held = fill();
        PB_CHECK(held >= 1);

        /* Full backlog, a server that accepts while we wait: connected. */
        struct acceptor a = {.lfd = lfd, .waiter = (pid_t)syscall(SYS_gettid)};
        pthread_t t;
        PB_CHECK(pthread_create(&t, NULL, accept_when_waiting, &a) == 0);
        int fd = pb_sock_connect(path);
        pthread_join(t, NULL);
        PB_CHECK(fd >= 0);

        /* Still full and nobody accepts: -EAGAIN after about the bound. */
        fill();
        double t0 = now();
        int r = pb_sock_connect(path);
        double dt = now() - t0;
        PB_CHECK(r == -EAGAIN);
        PB_CHECK(dt >= PB_SOCK_BACKLOG_WAIT_US / 1e6 * 0.9);
        unlink(path);
        return pb_test_done();
}
