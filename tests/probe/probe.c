/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The escape probe: run inside a sandbox, it tries each attack of
 * docs/SECURITY.md and prints one line per attack: "<name> <result>", where
 * result is "OK" (it worked) or the errno name. Syscalls are called with bad
 * pointers or invalid arguments where possible, so that a syscall that is
 * allowed by seccomp fails with EFAULT/EBADF/EINVAL/ENOTTY and one denied by it
 * fails with EPERM (ENOSYS for clone3) -- the bubblewrap try-syscall trick.
 * The tests also run it outside the sandbox, as the same user, to show the
 * difference comes from the sandbox.
 *
 * Usage: pb-probe [all|syscalls|files] [--abstract NAME] [--connect PATH]...
 *        pb-probe euid | argv ARGS... | read PATH | write PATH | hold PATH
 */
#include <stdbool.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#define BAD ((void *)1)

static void result(const char *name, long r)
{
        if (r >= 0)
                printf("%s OK\n", name);
        else
                printf("%s %s\n", name, strerrorname_np(errno) ? strerrorname_np(errno) : "E?");
        fflush(stdout);
}

/* Run f in a child so an attack that succeeds cannot change the probe. */
static void in_child(const char *name, long (*f)(void))
{
        int p[2];
        if (pipe(p) < 0)
                return;
        pid_t pid = fork();
        if (pid == 0) {
                long r = f();
                int e[2] = {(int)(r < 0 ? -1 : 0), errno};
                ssize_t w = write(p[1], e, sizeof(e));
                (void)w;
                _exit(0);
        }
        close(p[1]);
        int e[2] = {-1, EIO};
        ssize_t n = read(p[0], e, sizeof(e));
        close(p[0]);
        waitpid(pid, NULL, 0);
        if (n != (ssize_t)sizeof(e))
                e[0] = -1;
        errno = e[1];
        result(name, e[0]);
}

static long do_unshare_user(void)
{
        return unshare(CLONE_NEWUSER);
}
static long do_unshare_ns(void)
{
        return unshare(CLONE_NEWNS);
}
static long do_clone_user(void)
{
        long r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
        if (r == 0)
                _exit(0);
        if (r > 0)
                waitpid((pid_t)r, NULL, 0);
        return r;
}
static long do_personality(void)
{
        long r = personality(ADDR_NO_RANDOMIZE);
        return r == -1 ? -1 : 0;
}
static long do_ptrace(void)
{
        /* An invalid request: ESRCH/EIO when the syscall runs at all. */
        return syscall(SYS_ptrace, 0x7fff, getppid(), 0, 0);
}

static void ioctl_probe(const char *name, unsigned long cmd)
{
        int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        long r = syscall(SYS_ioctl, fd, cmd, NULL);
        result(name, r);
        close(fd);
}

#ifdef __x86_64__
/* An i386 syscall from a 64-bit process (int $0x80): the kernel runs it with
 * the i386 ABI, so the seccomp filter's i386 branch decides. */
static long int80(long nr, long a, long b, long c)
{
        long ret;
        __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
        return ret;
}

static void compat_result(const char *name, long raw)
{
        if (raw < 0 && raw > -4096) {
                errno = (int)-raw;
                result(name, -1);
        } else {
                result(name, 0);
        }
}

static long do_compat_unshare(void)
{
        long r = int80(310 /* i386 unshare */, CLONE_NEWUSER, 0, 0);
        if (r < 0 && r > -4096) {
                errno = (int)-r;
                return -1;
        }
        return 0;
}

static void compat(void)
{
        compat_result("i386-getpid-allowed", int80(20, 0, 0, 0));
        compat_result("i386-ptrace", int80(26, 0x7fff, 0, 0));
        compat_result("i386-socketcall", int80(102, 1, 0, 0));
        compat_result("i386-mount", int80(21, 1, 1, 1));
        in_child("i386-unshare-user", do_compat_unshare);
        /* x32: the same 64-bit entry with bit 30 set; ptrace is 521 there */
        result("x32-ptrace", syscall(0x40000000 | 521, 0x7fff, 0, 0, 0));
}
#endif

static void syscalls(void)
{
        ioctl_probe("ioctl-TIOCSTI", TIOCSTI);
        ioctl_probe("ioctl-TIOCSTI-high", TIOCSTI | (1ul << 32));
        ioctl_probe("ioctl-TIOCLINUX", TIOCLINUX);
        ioctl_probe("ioctl-TIOCLINUX-high", TIOCLINUX | (1ul << 32));
        ioctl_probe("ioctl-FIONREAD-allowed", FIONREAD); /* control: not denied */
        result("ptrace", do_ptrace());
        result("process_vm_readv", syscall(SYS_process_vm_readv, getpid(), BAD, 1, BAD, 1, 0));
        result("process_vm_writev", syscall(SYS_process_vm_writev, getpid(), BAD, 1, BAD, 1, 0));
        result("mount", syscall(SYS_mount, BAD, BAD, BAD, 0, BAD));
        result("umount2", syscall(SYS_umount2, BAD, 0));
        result("pivot_root", syscall(SYS_pivot_root, BAD, BAD));
        result("chroot", syscall(SYS_chroot, BAD));
        result("open_tree", syscall(SYS_open_tree, -1, BAD, 0));
        result("move_mount", syscall(SYS_move_mount, -1, BAD, -1, BAD, 0));
        result("fsopen", syscall(SYS_fsopen, BAD, 0));
        result("fsconfig", syscall(SYS_fsconfig, -1, 0, BAD, BAD, 0));
        result("fsmount", syscall(SYS_fsmount, -1, 0, 0));
        result("fspick", syscall(SYS_fspick, -1, BAD, 0));
        result("mount_setattr", syscall(SYS_mount_setattr, -1, BAD, 0, BAD, 0));
        in_child("unshare-user", do_unshare_user);
        in_child("unshare-mount", do_unshare_ns);
        in_child("clone-newuser", do_clone_user);
        result("setns", syscall(SYS_setns, -1, 0));
        result("clone3", syscall(SYS_clone3, BAD, 0));
        result("keyctl", syscall(SYS_keyctl, 0x7fff, 0, 0, 0, 0));
        result("add_key", syscall(SYS_add_key, BAD, BAD, BAD, 0, 0));
        result("request_key", syscall(SYS_request_key, BAD, BAD, BAD, 0));
        result("bpf", syscall(SYS_bpf, 0x7fff, BAD, 0));
        result("perf_event_open", syscall(SYS_perf_event_open, BAD, 0, -1, -1, 0));
        result("userfaultfd", syscall(SYS_userfaultfd, ~0u));
        result("io_uring_setup", syscall(SYS_io_uring_setup, 1, BAD));
        result("io_uring_enter", syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0));
        result("io_uring_register", syscall(SYS_io_uring_register, -1, 0, NULL, 0));
        result("kexec_load", syscall(SYS_kexec_load, 0, 0, BAD, 0));
        result("kexec_file_load", syscall(SYS_kexec_file_load, -1, -1, 0, BAD, 0));
        result("init_module", syscall(SYS_init_module, BAD, 0, BAD));
        result("finit_module", syscall(SYS_finit_module, -1, BAD, 0));
        result("delete_module", syscall(SYS_delete_module, BAD, 0));
        in_child("personality-no-aslr", do_personality);
        result("personality-query-allowed", personality(0xffffffff));
        result("open_by_handle_at", syscall(SYS_open_by_handle_at, -1, BAD, 0));
        result("mknod-char", mknod("/tmp/pb-probe-null", S_IFCHR | 0666, makedev(1, 3)));
        result("mknodat-block",
               mknodat(AT_FDCWD, "/tmp/pb-probe-blk", S_IFBLK | 0666, makedev(8, 0)));
        result("mknod-fifo-allowed", mknod("/tmp/pb-probe-fifo", S_IFIFO | 0600, 0));
        unlink("/tmp/pb-probe-fifo");
        long s = socket(AF_PACKET, SOCK_RAW, 0);
        result("socket-AF_PACKET", s);
        if (s >= 0)
                close((int)s);
        s = socket(40 /* AF_VSOCK */, SOCK_STREAM, 0);
        result("socket-AF_VSOCK", s);
        if (s >= 0)
                close((int)s);
        s = socket(AF_UNIX, SOCK_STREAM, 0);
        result("socket-AF_UNIX-allowed", s);
        if (s >= 0)
                close((int)s);
}

static void try_open(const char *name, const char *path, int flags)
{
        int fd = open(path, flags | O_CLOEXEC, 0644);
        result(name, fd);
        if (fd >= 0)
                close(fd);
}

static void files(void)
{
        /* /proc/1 is the sandbox's init: another process, not dumpable. */
        char buf[256];
        result("proc1-root", readlink("/proc/1/root", buf, sizeof(buf)));
        try_open("proc1-root-etc", "/proc/1/root/etc/hostname", O_RDONLY);
        /* Count the processes visible at all: the host's must not be. */
        int n = 0, foreign_ok = 0;
        DIR *d = opendir("/proc");
        struct dirent *de;
        while (d && (de = readdir(d))) {
                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                n++;
                char p[300];
                snprintf(p, sizeof(p), "/proc/%s/root/.", de->d_name);
                if (atoi(de->d_name) != getpid() && access(p, R_OK) == 0)
                        foreign_ok++;
        }
        if (d)
                closedir(d);
        printf("proc-pids %d\nproc-foreign-roots-readable %d\n", n, foreign_ok);
        try_open("write-usr", "/usr/pb-probe", O_WRONLY | O_CREAT);
        try_open("write-etc-passwd", "/etc/passwd", O_WRONLY);
        try_open("write-root-dir", "/pb-probe", O_WRONLY | O_CREAT);
        try_open("write-home-other", "/home/pb-probe", O_WRONLY | O_CREAT);
        char sp[512];
        snprintf(sp, sizeof(sp), "%s/pb-probe", getenv("SNAP") ? getenv("SNAP") : "/snap");
        try_open("write-snap", sp, O_WRONLY | O_CREAT);
        try_open("write-tmp-allowed", "/tmp/pb-probe-file", O_WRONLY | O_CREAT);
        unlink("/tmp/pb-probe-file");
        try_open("read-dev-mem", "/dev/mem", O_RDONLY);
        try_open("read-dev-sda", "/dev/sda", O_RDONLY);
        try_open("read-dev-kmsg", "/dev/kmsg", O_RDONLY);
        try_open("read-dev-null-allowed", "/dev/null", O_RDONLY);
        try_open("read-etc-shadow", "/etc/shadow", O_RDONLY);
}

static void connect_unix(const char *label, const char *path, bool abstract)
{
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        socklen_t len;
        if (abstract) {
                size_t n = strnlen(path, sizeof(a.sun_path) - 1);
                memcpy(a.sun_path + 1, path, n);
                len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
        } else {
                snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
                len = sizeof(a);
        }
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        char name[300];
        snprintf(name, sizeof(name), "%s:%s", label, path);
        result(name, fd < 0 ? -1 : connect(fd, (struct sockaddr *)&a, len));
        if (fd >= 0)
                close(fd);
}

int main(int argc, char **argv)
{
        const char *mode = argc > 1 ? argv[1] : "all";
        if (strcmp(mode, "euid") == 0) {
                printf("euid %d\n", (int)geteuid());
                return 0;
        }
        if (strcmp(mode, "argv") == 0) {
                for (int i = 2; i < argc; i++)
                        printf("arg[%d]=%s\n", i - 2, argv[i]);
                return 0;
        }
        if (argc > 2 && (strcmp(mode, "read") == 0 || strcmp(mode, "write") == 0)) {
                try_open(mode, argv[2], mode[0] == 'r' ? O_RDONLY : O_WRONLY | O_CREAT);
                return 0;
        }
        if (argc > 2 && strcmp(mode, "hold") == 0) {
                /* Open PATH, say so, then wait to be killed (device revocation). */
                int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
                result("hold", fd);
                if (fd < 0)
                        return 1;
                pause();
                return 0;
        }
        bool all = strcmp(mode, "all") == 0;
        if (all || strcmp(mode, "syscalls") == 0)
                syscalls();
        if (all || strcmp(mode, "files") == 0)
                files();
#ifdef __x86_64__
        if (all || strcmp(mode, "compat") == 0)
                compat();
#endif
        for (int i = 1; i + 1 < argc; i++) {
                if (strcmp(argv[i], "--abstract") == 0)
                        connect_unix("connect-abstract", argv[++i], true);
                else if (strcmp(argv[i], "--connect") == 0)
                        connect_unix("connect", argv[++i], false);
        }
        return 0;
}
