/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "pidns.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "pb-util.h"

bool pb_pidns_of(pid_t pid, struct pb_pidns *out)
{
        char p[64];
        struct stat st;
        snprintf(p, sizeof(p), "/proc/%d/ns/pid", (int)pid);
        if (pid <= 0 || stat(p, &st) < 0)
                return false;
        out->dev = st.st_dev;
        out->ino = st.st_ino;
        return true;
}

void pb_pidns_each(const struct pb_pidns *ns, void (*fn)(pid_t pid, void *data), void *data)
{
        _cleanup_dir_ DIR *d = opendir("/proc");
        struct dirent *de;
        while (d && (de = readdir(d))) {
                char *end = NULL;
                long pid = strtol(de->d_name, &end, 10);
                struct pb_pidns other;
                if (!end || *end || pid <= 0 || !pb_pidns_of((pid_t)pid, &other) ||
                    other.dev != ns->dev || other.ino != ns->ino)
                        continue;
                fn((pid_t)pid, data);
        }
}
