/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The sandbox's root, built in a fresh mount namespace by the sandbox's init
 * while it is still root, then pivoted into. Layout (DESIGN §8):
 *   /usr /bin /sbin /lib* /etc   read-only binds of the host (nosuid, nodev)
 *   /proc                        fresh procfs of the new pid namespace
 *   /sys                         fresh sysfs, read-only
 *   /home /root /media /run/media /mnt /var /srv /opt /run /tmp   empty tmpfs
 *   /dev                         the dev view, or a static minimal tmpfs
 *   /snap/NAME/REV               the snap, read-only
 *   + the spec's mounts (views, sockets, plugctl), in order.
 * Host paths are opened relative to the old root with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS), and bound from the fd (open_tree + move_mount), so a
 * symlink planted by a user in a source path is refused, never followed as
 * root. Mount points are created only on our own tmpfs, with O_NOFOLLOW.
 */
#include "launcher.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#define NEWROOT "/newroot"
#define OLDROOT "/oldroot"

static int oldroot_fd = -1, newroot_fd = -1;

/* An O_PATH fd on a host path, refusing any symlink on the way. With
 * `as` set, the lookup runs with that user's filesystem credentials: a FUSE
 * view serves only its user, and a user's own directories are opened with no
 * more rights than the user has. */
static int open_host(const char *path, bool optional, const struct pb_spec *as)
{
        struct open_how how = {.flags = O_PATH | O_CLOEXEC,
                               .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS};
        const char *rel = path[1] ? path + 1 : ".";
        if (as) {
                setfsgid(as->gid);
                setfsuid(as->uid);
        }
        int fd = (int)syscall(SYS_openat2, oldroot_fd, rel, &how, sizeof(how));
        int e = errno;
        if (as) {
                setfsuid(0);
                setfsgid(0);
                if (setfsuid((uid_t)-1) != 0 || setfsgid((gid_t)-1) != 0)
                        die("cannot restore the filesystem credentials");
        }
        errno = e;
        if (fd < 0 && !(optional && (errno == ENOENT || errno == EACCES)))
                die_errno("cannot open host path %s", path);
        return fd;
}

static bool on_tmpfs(int fd)
{
        struct statfs sf;
        return fstatfs(fd, &sf) == 0 && sf.f_type == TMPFS_MAGIC;
}

/* Open (creating on our tmpfs if missing) `path` below the new root. Returns
 * an O_PATH fd, or -1 with errno set. Never follows a symlink. */
static int make_target(const char *path, bool file)
{
        char buf[PATH_MAX];
        if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
                return errno = ENAMETOOLONG, -1;
        int dfd = fcntl(newroot_fd, F_DUPFD_CLOEXEC, 0);
        char *save = NULL;
        char *comp = strtok_r(buf, "/", &save);
        while (comp && dfd >= 0) {
                char *next = strtok_r(NULL, "/", &save);
                bool last = next == NULL;
                int fd = openat(dfd, comp,
                                O_PATH | O_NOFOLLOW | O_CLOEXEC | (last && file ? 0 : O_DIRECTORY));
                if (fd < 0 && errno == ENOENT && on_tmpfs(dfd)) {
                        if (last && file) {
                                int f = openat(dfd, comp,
                                               O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
                                               0444);
                                if (f >= 0)
                                        close(f);
                        } else {
                                mkdirat(dfd, comp, 0755);
                        }
                        fd = openat(dfd, comp,
                                    O_PATH | O_NOFOLLOW | O_CLOEXEC |
                                        (last && file ? 0 : O_DIRECTORY));
                }
                int e = errno;
                close(dfd);
                errno = e;
                dfd = fd;
                comp = next;
        }
        if (dfd >= 0) {
                struct stat st;
                if (fstat(dfd, &st) < 0 || S_ISLNK(st.st_mode)) {
                        close(dfd);
                        return errno = ELOOP, -1;
                }
        }
        return dfd;
}

/* Bind the tree at src_fd (recursively) onto target_fd with the given
 * attributes, all on the detached clone before it becomes visible. */
static void bind_fd(int src_fd, int target_fd, uint64_t attrs, const char *what)
{
        int tree = open_tree(src_fd, "",
                             OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
        if (tree < 0)
                die_errno("cannot clone %s", what);
        struct mount_attr attr = {.attr_set = attrs};
        if (attrs && mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
                die_errno("cannot set mount attributes of %s", what);
        if (move_mount(tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
            0)
                die_errno("cannot mount %s", what);
        close(tree);
}

static void bind_path(const char *src, const char *target, bool file, uint64_t attrs, bool optional,
                      const struct pb_spec *as)
{
        int s = open_host(src, optional, as);
        if (s < 0)
                return;
        int t = make_target(target, file);
        if (t < 0) {
                if (optional)
                        return (void)close(s);
                die_errno("cannot create mount point %s", target);
        }
        bind_fd(s, t, attrs, src);
        close(t);
        close(s);
}

static void mount_tmpfs(const char *target, const char *opts, unsigned long flags)
{
        char p[PATH_MAX];
        int t = make_target(target, false);
        if (t < 0)
                die_errno("cannot create %s", target);
        close(t);
        snprintf(p, sizeof(p), NEWROOT "%s", target);
        if (mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV | flags, opts) < 0)
                die_errno("cannot mount tmpfs on %s", target);
}

static void make_dir(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
        int fd = make_target(path, false);
        if (fd < 0)
                die_errno("cannot create %s", path);
        /* No /proc while we assemble the root: reopen the directory itself. */
        int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fchown(dfd, uid, gid) < 0 || fchmod(dfd, mode) < 0)
                die_errno("cannot set up %s", path);
        close(dfd);
        close(fd);
}

/* Host runtime: read-only, no setuid, no devices. A merged-/usr symlink such
 * as /bin -> usr/bin is recreated as the same symlink. */
static void base_runtime(void)
{
        static const char *dirs[] = {"usr",   "bin",   "sbin",   "lib",
                                     "lib32", "lib64", "libx32", "etc"};
        for (size_t i = 0; i < PB_ARRAY_SIZE(dirs); i++) {
                char link[PATH_MAX], abs[64];
                ssize_t n = readlinkat(oldroot_fd, dirs[i], link, sizeof(link) - 1);
                if (n > 0) {
                        link[n] = '\0';
                        if (symlinkat(link, newroot_fd, dirs[i]) < 0)
                                die_errno("cannot create /%s", dirs[i]);
                        continue;
                }
                snprintf(abs, sizeof(abs), "/%s", dirs[i]);
                bind_path(abs, abs, false, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
                          true, NULL);
        }
}

static void proc_and_sys(void)
{
        int t = make_target("/proc", false);
        if (t < 0 ||
            mount("proc", NEWROOT "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                die_errno("cannot mount /proc");
        close(t);
        /* Kernel knobs stay read-only even if some other layer failed. */
        static const char *ro[] = {"sys", "sysrq-trigger", "irq", "bus"};
        for (size_t i = 0; i < PB_ARRAY_SIZE(ro); i++) {
                char p[64];
                snprintf(p, sizeof(p), NEWROOT "/proc/%s", ro[i]);
                if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) {
                        if (errno == ENOENT)
                                continue;
                        die_errno("cannot bind %s", p);
                }
                if (mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
                          NULL) < 0)
                        die_errno("cannot make %s read-only", p);
        }
        t = make_target("/sys", false);
        if (t < 0 || mount("sysfs", NEWROOT "/sys", "sysfs",
                           MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                die_errno("cannot mount /sys");
        close(t);
}

static const char *dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};

static void dev_common(void)
{
        if (mount("devpts", NEWROOT "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                  "newinstance,ptmxmode=0666,mode=0620") < 0)
                die_errno("cannot mount /dev/pts");
        if (mount("tmpfs", NEWROOT "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
                die_errno("cannot mount /dev/shm");
}

static void dev_setup(const struct pb_spec *s)
{
        if (s->dev_view) {
                /* The view shows the base nodes, pts/ and shm/, plus granted nodes;
                 * it keeps device semantics (no nodev) but never setuid or exec. */
                bind_path(s->dev_view, "/dev", false, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, false,
                          s);
                dev_common();
                return;
        }
        /* nodev on the tmpfs itself: only the bound host nodes (each its own
         * mount, without nodev) are usable devices. */
        mount_tmpfs("/dev", "mode=0755", MS_NOEXEC);
        for (size_t i = 0; i < PB_ARRAY_SIZE(dev_nodes); i++) {
                char p[32];
                snprintf(p, sizeof(p), "/dev/%s", dev_nodes[i]);
                bind_path(p, p, true, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, false, NULL);
        }
        make_dir("/dev/pts", 0755, 0, 0);
        make_dir("/dev/shm", 01777, 0, 0);
        dev_common();
        static const char *links[][2] = {{"ptmx", "pts/ptmx"},
                                         {"fd", "/proc/self/fd"},
                                         {"stdin", "/proc/self/fd/0"},
                                         {"stdout", "/proc/self/fd/1"},
                                         {"stderr", "/proc/self/fd/2"}};
        int dfd = make_target("/dev", false);
        for (size_t i = 0; i < PB_ARRAY_SIZE(links); i++)
                if (symlinkat(links[i][1], dfd, links[i][0]) < 0)
                        die_errno("cannot create /dev/%s", links[i][0]);
        close(dfd);
}

/* A symlink on our tmpfs (e.g. /var/log -> the host view), so that a path
 * whose plug is connected later appears without a new mount. */
static void make_symlink(const char *where, const char *content)
{
        char parent[PATH_MAX];
        snprintf(parent, sizeof(parent), "%s", where);
        char *slash = strrchr(parent, '/');
        const char *name = slash + 1;
        if (slash == parent)
                parent[1] = '\0';
        else
                *slash = '\0';
        int d = make_target(parent, false);
        if (d < 0)
                die_errno("cannot create %s", parent);
        if (!on_tmpfs(d) || (symlinkat(content, d, name) < 0 && errno != EEXIST))
                die_errno("cannot create the symlink %s", where);
        close(d);
}

static void user_mounts(const struct pb_spec *s)
{
        for (size_t i = 0; i < s->n_mounts; i++) {
                const struct pb_mount *m = &s->mounts[i];
                if (m->kind == PB_MOUNT_SYMLINK) {
                        make_symlink(m->target, m->source);
                        continue;
                }
                uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
                if (m->kind == PB_MOUNT_BIND_RO)
                        attrs |= MOUNT_ATTR_RDONLY;
                else if (m->kind == PB_MOUNT_BIND_DEV)
                        attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC;
                bind_path(m->source, m->target, m->file, attrs, m->optional, m->user ? s : NULL);
        }
}

/*
 * The containers that only receive views are made read-only through an fd
 * opened on each container's own tmpfs before anything is mounted on top:
 * mount_setattr on that fd changes exactly that mount. A path-based
 * MS_REMOUNT would reach the view mounted over /media (and without MS_BIND,
 * its FUSE superblock, which the host shares): removable media turned
 * read-only for everybody.
 */
static int open_container(const char *path)
{
        char p[PATH_MAX];
        snprintf(p, sizeof(p), NEWROOT "%s", path);
        int fd = open(p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                die_errno("cannot open %s", path);
        return fd;
}

static void make_container_ro(int fd, const char *path)
{
        struct mount_attr attr = {
            .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
        };
        if (mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
                die_errno("cannot make %s read-only", path);
        close(fd);
}

void pb_rootfs_setup(const struct pb_spec *s)
{
        /* Nothing we mount may propagate back to the host; host unmounts (a view
         * stopped) still propagate in. */
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                die_errno("cannot make / a slave mount");
        /* A scratch tmpfs to pivot into, so the host tree can sit at /oldroot
         * while we assemble /newroot from it. */
        if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") < 0 ||
            mkdir("/tmp/newroot", 0755) < 0 || mkdir("/tmp/oldroot", 0755) < 0)
                die_errno("cannot prepare the scratch root");
        if (syscall(SYS_pivot_root, "/tmp", "/tmp/oldroot") < 0 || chdir("/") < 0)
                die_errno("pivot_root");
        if (mount("tmpfs", NEWROOT, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
                die_errno("cannot mount the new root");
        oldroot_fd = open(OLDROOT, O_PATH | O_DIRECTORY | O_CLOEXEC);
        newroot_fd = open(NEWROOT, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (oldroot_fd < 0 || newroot_fd < 0)
                die_errno("cannot open the roots");

        base_runtime();
        proc_and_sys();
        static const char *empty[] = {"/home", "/root", "/media", "/mnt",
                                      "/var",  "/srv",  "/opt",   "/run"};
        for (size_t i = 0; i < PB_ARRAY_SIZE(empty); i++)
                mount_tmpfs(empty[i], "mode=0755", 0);
        mount_tmpfs("/run/media", "mode=0755", 0);
        static const char *ro[] = {"/home", "/root", "/media", "/run/media",
                                   "/mnt",  "/srv",  "/opt"};
        int ro_fd[PB_ARRAY_SIZE(ro)];
        for (size_t i = 0; i < PB_ARRAY_SIZE(ro); i++)
                ro_fd[i] = open_container(ro[i]);
        mount_tmpfs("/tmp", "mode=1777", 0);
        make_dir("/var/tmp", 01777, 0, 0);
        char rt[64];
        snprintf(rt, sizeof(rt), "/run/user/%u", (unsigned)s->uid);
        make_dir("/run/user", 0755, 0, 0);
        make_dir(rt, 0700, s->uid, s->gid);
        make_dir(s->home, 0755, 0, 0); /* a mount point; the home view goes on it */
        dev_setup(s);

        char snapdir[PATH_MAX];
        snprintf(snapdir, sizeof(snapdir), "/snap/%s/%s", s->snap, s->revision);
        bind_path(s->snap_source, snapdir, false,
                  MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, false, NULL);
        user_mounts(s);

        /* Containers that only receive views: nobody writes into them. */
        for (size_t i = 0; i < PB_ARRAY_SIZE(ro); i++)
                make_container_ro(ro_fd[i], ro[i]);
        close(oldroot_fd);
        close(newroot_fd);

        /* Into the new root; the stacked old root is detached with everything
         * of the host under it. */
        if (chdir(NEWROOT) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
            umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
                die_errno("cannot enter the new root");
        if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) <
            0)
                die_errno("cannot make / read-only");
}
