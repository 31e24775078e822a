/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * xrtt: X11 figures for bench/portals-bench.sh, on the display in $DISPLAY:
 * the XSync round trip (median of N means, microseconds; and the median of
 * all single round trips, which a busy machine's preemptions skew less), and PutImage / GetImage
 * of a 500x500 32-bit image to/from a pixmap the client owns (MB/s, median
 * of N). Uses only the core protocol (and BIG-REQUESTS), which an untrusted
 * client has.
 *
 *   xrtt [rounds]     prints: rtt_us=.. put_MBps=.. get_MBps=.. rtt1_us=..
 */
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
        qsort(v, (size_t)n, sizeof(*v), cmp);
        return v[n / 2];
}

int main(int argc, char **argv)
{
        int rounds = argc > 1 ? atoi(argv[1]) : 7;
        if (rounds < 1 || rounds > 1000)
                rounds = 7;
        Display *dpy = XOpenDisplay(NULL);
        if (!dpy) {
                fprintf(stderr, "xrtt: cannot open display\n");
                return 1;
        }
        int scr = DefaultScreen(dpy);
        int depth = DefaultDepth(dpy, scr);
        const int w = 500, h = 500;
        Pixmap pm = XCreatePixmap(dpy, RootWindow(dpy, scr), w, h, (unsigned)depth);
        GC gc = XCreateGC(dpy, pm, 0, NULL);
        char *data = malloc((size_t)w * h * 4);
        if (!data)
                return 1;
        for (size_t i = 0; i < (size_t)w * h * 4; i++)
                data[i] = (char)(i * 7);
        XImage *img = XCreateImage(dpy, DefaultVisual(dpy, scr), (unsigned)depth, ZPixmap, 0, data,
                                   w, h, 32, 0);
        XSync(dpy, False);

        double *rtt = calloc((size_t)rounds, sizeof(double));
        double *put = calloc((size_t)rounds, sizeof(double));
        double *get = calloc((size_t)rounds, sizeof(double));
        const int syncs = 2000, puts = 20, gets = 20;
        double *one = calloc((size_t)rounds * syncs, sizeof(double));
        if (!rtt || !put || !get || !one)
                return 1;
        double bytes = (double)w * h * 4;
        for (int r = 0; r < rounds; r++) {
                double t0 = now(), t = t0;
                for (int i = 0; i < syncs; i++) {
                        XSync(dpy, False);
                        double t1 = now();
                        one[r * syncs + i] = (t1 - t) * 1e6;
                        t = t1;
                }
                rtt[r] = (t - t0) / syncs * 1e6;

                t0 = now();
                for (int i = 0; i < puts; i++)
                        XPutImage(dpy, pm, gc, img, 0, 0, 0, 0, w, h);
                XSync(dpy, False);
                put[r] = bytes * puts / (now() - t0) / 1e6;

                t0 = now();
                for (int i = 0; i < gets; i++) {
                        XImage *g = XGetImage(dpy, pm, 0, 0, w, h, AllPlanes, ZPixmap);
                        if (!g) {
                                fprintf(stderr, "xrtt: GetImage failed\n");
                                return 1;
                        }
                        XDestroyImage(g);
                }
                get[r] = bytes * gets / (now() - t0) / 1e6;
        }
        printf("rtt_us=%.1f put_MBps=%.0f get_MBps=%.0f rtt1_us=%.1f\n", median(rtt, rounds),
               median(put, rounds), median(get, rounds), median(one, rounds * syncs));
        XDestroyImage(img);
        XFreePixmap(dpy, pm);
        XCloseDisplay(dpy);
        free(rtt);
        free(put);
        free(get);
        free(one);
        return 0;
}
