/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pb_remove_tree_at: removes a tree relative to a dir fd, links as links. */
#include "pb-test.h"
#include "userdata.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static bool exists(const char *p)
{
        struct stat st;
        return lstat(p, &st) == 0;
}

int main(void)
{
        char base[] = "/var/tmp/pb-userdata-XXXXXX";
        PB_CHECK(mkdtemp(base) != NULL);
        char p[4096];
        int dfd = open(base, O_RDONLY | O_DIRECTORY);

        /* a target outside, reached by links from inside the tree */
        snprintf(p, sizeof(p), "%s/outside", base);
        PB_CHECK(mkdir(p, 0755) == 0);
        snprintf(p, sizeof(p), "%s/outside/keep", base);
        FILE *f = fopen(p, "w");
        PB_CHECK(f && fputs("x", f) >= 0 && fclose(f) == 0);
        snprintf(p, sizeof(p), "%s/tree", base);
        PB_CHECK(mkdir(p, 0755) == 0);
        snprintf(p, sizeof(p), "%s/tree/sub", base);
        PB_CHECK(mkdir(p, 0755) == 0);
        snprintf(p, sizeof(p), "%s/tree/sub/file", base);
        PB_CHECK((f = fopen(p, "w")) && fclose(f) == 0);
        char target[4096], link[4096];
        snprintf(target, sizeof(target), "%s/outside", base);
        snprintf(link, sizeof(link), "%s/tree/sub/dirlink", base);
        PB_CHECK(symlink(target, link) == 0);
        snprintf(target, sizeof(target), "%s/outside/keep", base);
        snprintf(link, sizeof(link), "%s/tree/filelink", base);
        PB_CHECK(symlink(target, link) == 0);

        PB_CHECK(pb_remove_tree_at(dfd, "tree") == 0);
        snprintf(p, sizeof(p), "%s/tree", base);
        PB_CHECK(!exists(p));
        snprintf(p, sizeof(p), "%s/outside/keep", base);
        PB_CHECK(exists(p));
        PB_CHECK(pb_remove_tree_at(dfd, "tree") == -ENOENT);

        /* a link as the named entry goes as a link */
        snprintf(link, sizeof(link), "%s/named-link", base);
        snprintf(target, sizeof(target), "%s/outside", base);
        PB_CHECK(symlink(target, link) == 0);
        PB_CHECK(pb_remove_tree_at(dfd, "named-link") == 0);
        PB_CHECK(!exists(link) && exists(target));

        /* deeper than the cap: refused, nothing crashes, the top stays */
        int cur = openat(dfd, ".", O_RDONLY | O_DIRECTORY);
        PB_CHECK(mkdirat(cur, "deep", 0755) == 0);
        int lvl = openat(cur, "deep", O_RDONLY | O_DIRECTORY);
        close(cur);
        for (int i = 0; i < 300 && lvl >= 0; i++) {
                PB_CHECK(mkdirat(lvl, "d", 0755) == 0);
                int next = openat(lvl, "d", O_RDONLY | O_DIRECTORY);
                close(lvl);
                lvl = next;
        }
        if (lvl >= 0)
                close(lvl);
        PB_CHECK(pb_remove_tree_at(dfd, "deep") == -ELOOP);
        snprintf(p, sizeof(p), "%s/deep", base);
        PB_CHECK(exists(p));

        close(dfd);
        snprintf(p, sizeof(p), "rm -rf '%s'", base);
        PB_CHECK(system(p) == 0);
        return pb_test_done();
}
