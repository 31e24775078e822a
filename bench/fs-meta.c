/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fs-meta DIR N: create, stat (cold: right after create; warm: again),
 * readdir and unlink N empty files in DIR; prints "op seconds" lines.
 * Built and run by bench/fs-bench.sh (in-process timing, so the numbers are
 * the file system's, not a shell's).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
        if (argc != 3)
                return 2;
        int dfd = open(argv[1], O_RDONLY | O_DIRECTORY);
        int n = atoi(argv[2]);
        char name[64];
        struct stat st;
        if (dfd < 0)
                return 1;
        double t = now();
        for (int i = 0; i < n; i++) {
                snprintf(name, sizeof(name), "f%07d", i);
                int fd = openat(dfd, name, O_CREAT | O_WRONLY | O_EXCL, 0644);
                if (fd < 0)
                        return perror("create"), 1;
                close(fd);
        }
        printf("create %.6f\n", now() - t);
        for (int pass = 0; pass < 2; pass++) {
                t = now();
                for (int i = 0; i < n; i++) {
                        snprintf(name, sizeof(name), "f%07d", i);
                        if (fstatat(dfd, name, &st, 0) < 0)
                                return perror("stat"), 1;
                }
                printf("%s %.6f\n", pass ? "stat_warm" : "stat_first", now() - t);
        }
        t = now();
        DIR *d = fdopendir(dup(dfd));
        int count = 0;
        while (readdir(d))
                count++;
        closedir(d);
        printf("readdir %.6f\n", now() - t);
        if (count < n)
                return fprintf(stderr, "readdir saw %d\n", count), 1;
        t = now();
        for (int i = 0; i < n; i++) {
                snprintf(name, sizeof(name), "f%07d", i);
                if (unlinkat(dfd, name, 0) < 0)
                        return perror("unlink"), 1;
        }
        printf("unlink %.6f\n", now() - t);
        return 0;
}
