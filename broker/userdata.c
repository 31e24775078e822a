/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "userdata.h"
#include "common/log.h"
#include "common/pb-util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Deeper trees are left in place (and reported): each level holds a
 * directory fd, and a user could make the tree as deep as they like. */
#define MAX_DEPTH 256

static int remove_at(int dfd, const char *name, dev_t dev, int depth);

/* Empty the directory fd (owned: closed here). */
static int empty_dir(int fd, dev_t dev, int depth)
{
        DIR *d = fdopendir(fd);
        if (!d) {
                int e = -errno;
                close(fd);
                return e;
        }
        int r = 0;
        for (;;) {
                errno = 0;
                struct dirent *de = readdir(d);
                if (!de) {
                        if (errno)
                                r = -errno;
                        break;
                }
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                int e = remove_at(dirfd(d), de->d_name, dev, depth + 1);
                if (e < 0 && e != -ENOENT && r == 0)
                        r = e;
        }
        closedir(d);
        return r;
}

static int remove_at(int dfd, const char *name, dev_t dev, int depth)
{
        struct stat st;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return unlinkat(dfd, name, 0) < 0 ? -errno : 0; /* a link goes, not its target */
        if (st.st_dev != dev)
                return -EXDEV; /* a mount point: not ours to empty */
        if (depth >= MAX_DEPTH)
                return -ELOOP;
        /* O_NOFOLLOW: if it was swapped for a link since the fstatat, this
         * fails instead of entering the link's target. */
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ELOOP || errno == ENOTDIR
                           ? (unlinkat(dfd, name, 0) < 0 ? -errno : 0)
                           : -errno;
        struct stat fst;
        if (fstat(fd, &fst) < 0 || fst.st_dev != dev) {
                close(fd);
                return -EXDEV;
        }
        int r = empty_dir(fd, dev, depth);
        if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && r == 0)
                r = -errno;
        return r;
}

int pb_remove_tree_at(int dfd, const char *name)
{
        struct stat st;
        if (fstat(dfd, &st) < 0)
                return -errno;
        return remove_at(dfd, name, st.st_dev, 0);
}

/* Remove <home>/snap/<snap>, home being `name` inside parent (or parent
 * itself when name is NULL). */
static int purge_home(int parent, const char *name, const char *shown, const char *snap)
{
        _cleanup_fd_ int home =
            openat(parent, name ? name : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (home < 0)
                return 0; /* not a directory (or a link): no home there */
        _cleanup_fd_ int snapdir =
            openat(home, "snap", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (snapdir < 0)
                return 0;
        int r = pb_remove_tree_at(snapdir, snap);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                pb_warn("remove --purge: cannot remove all of %s/snap/%s: %s", shown, snap,
                        strerror(-r));
                return 1;
        }
        return 0;
}

int pb_purge_user_data(const char *homes_root, const char *root_home, const char *snap)
{
        if (!snap || !*snap || strchr(snap, '/') || strcmp(snap, ".") == 0 ||
            strcmp(snap, "..") == 0)
                return 0;
        int failed = 0;
        _cleanup_fd_ int root = open(root_home, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (root >= 0)
                failed += purge_home(root, NULL, root_home, snap);
        int hfd = open(homes_root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        DIR *d = hfd >= 0 ? fdopendir(hfd) : NULL;
        if (!d) {
                if (hfd >= 0)
                        close(hfd);
                return failed;
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                char shown[512];
                snprintf(shown, sizeof(shown), "%s/%s", homes_root, de->d_name);
                failed += purge_home(dirfd(d), de->d_name, shown, snap);
        }
        closedir(d);
        return failed;
}
