/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The seccomp filter: default allow, EPERM for the families an app never
 * needs and an attacker always wants (ISSUE-4 item 2, docs/SECURITY.md). A
 * denylist is not the only layer (mount namespace, no capabilities,
 * NO_NEW_PRIVS, Landlock come first); it closes what those leave open to an
 * unprivileged process: ptrace of siblings, TIOCSTI, new namespaces, io_uring,
 * userfaultfd, keyrings, AF_VSOCK.
 *
 * Arch: the filter covers the native ABI and, on x86_64, the i386 and x32
 * compat ABIs (libseccomp emits the arch check and per-arch numbers); any
 * other arch is killed (SCMP_FLTATR_ACT_BADARCH).
 *
 * libseccomp compiles it at build time (pb-seccomp-gen, run by meson, exports
 * the BPF into seccomp-filter.h); the launcher only loads the program
 * (seccomp-load.c). Compiling three ABIs' worth of conditional rules took
 * ~1.4 ms of every launch.
 */
#include "seccomp-rules.h"

#include <errno.h>
#define PB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#include <stdarg.h>
#include <stdio.h>

#include <linux/sched.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/ioctl.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* Denied outright. */
static const char *deny[] = {
    /* debugging and reading other processes */
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "process_madvise",
    /* the mount table, old and new API */
    "mount", "umount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen",
    "fsconfig", "fsmount", "fspick", "mount_setattr",
    /* joining namespaces */
    "setns",
    /* kernel keyrings */
    "keyctl", "add_key", "request_key",
    /* kernel attack surface an app does not need */
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "kexec_load", "kexec_file_load", "init_module", "finit_module",
    "delete_module", "open_by_handle_at", "acct", "swapon", "swapoff", "reboot", "syslog", "uselib",
    "vhangup", "quotactl", "quotactl_fd", "lookup_dcookie", "nfsservctl", "iopl", "ioperm",
    "fanotify_init", "vm86", "vm86old",
    /* i386's multiplexer hides the socket family from the filter (see
     * SECURITY.md); direct socket() calls are filtered below. */
    "socketcall"};

static const unsigned long ns_flags[] = {CLONE_NEWNS,     CLONE_NEWUTS, CLONE_NEWIPC,
                                         CLONE_NEWUSER,   CLONE_NEWPID, CLONE_NEWNET,
                                         CLONE_NEWCGROUP, CLONE_NEWTIME};

/* personality(2) flags that weaken exploit mitigations. */
static const unsigned long bad_persona[] = {
    0x0040000 /* ADDR_NO_RANDOMIZE */,  0x0100000 /* MMAP_PAGE_ZERO */,
    0x0200000 /* ADDR_COMPAT_LAYOUT */, 0x0400000 /* READ_IMPLIES_EXEC */,
    0x0800000 /* ADDR_LIMIT_32BIT */,   0x8000000 /* ADDR_LIMIT_3GB */};

static char *errbuf;
static size_t errlen;
static int failed;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        if (!failed)
                vsnprintf(errbuf, errlen, fmt, ap);
        va_end(ap);
        failed = 1;
}

static void rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n,
                 const struct scmp_arg_cmp *cmp)
{
        int nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR) {
                die("seccomp: libseccomp does not know %s", name);
                return;
        }
        int r = seccomp_rule_add_array(ctx, action, nr, n, cmp);
        /* -EDOM/-EINVAL for a pseudo syscall absent from every arch in the
         * filter (e.g. vm86 on x86_64 alone) is fine: nothing to deny. */
        if (r < 0 && !(nr < 0 && (r == -EDOM || r == -EINVAL)))
                die("seccomp: cannot add a rule for %s: %s", name, strerror(-r));
}

scmp_filter_ctx pb_seccomp_build(char *err, size_t len, bool notify_connect)
{
        errbuf = err;
        errlen = len;
        failed = 0;
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx) {
                die("seccomp_init failed");
                return NULL;
        }
        if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0)
                die("seccomp: cannot set the bad-arch action");
        if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
                int r = seccomp_arch_add(ctx, SCMP_ARCH_X86);
                if (r < 0 && r != -EEXIST)
                        die("seccomp: cannot add the i386 ABI");
                r = seccomp_arch_add(ctx, SCMP_ARCH_X32);
                if (r < 0 && r != -EEXIST)
                        die("seccomp: cannot add the x32 ABI");
        }
        const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
        for (size_t i = 0; i < PB_ARRAY_SIZE(deny); i++)
                rule(ctx, eperm, deny[i], 0, NULL);

        /* clone3 passes its flags in memory, out of the filter's sight: answer
         * ENOSYS so libc falls back to clone(2), whose flags we can check. */
        rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL);
        for (size_t i = 0; i < PB_ARRAY_SIZE(ns_flags); i++) {
                struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]);
                rule(ctx, eperm, "unshare", 1, &c);
                rule(ctx, eperm, "clone", 1, &c);
        }

        /* TIOCSTI pushes input into the terminal (CVE-2017-5226, the bubblewrap
         * escape); TIOCLINUX can do the same on a VT. The kernel compares only
         * the low 32 bits of the command, so a value with high bits set must be
         * denied too: a masked compare on the low 32 bits. */
        const unsigned long ioctls[] = {TIOCSTI, TIOCLINUX};
        for (size_t i = 0; i < PB_ARRAY_SIZE(ioctls); i++) {
                struct scmp_arg_cmp c = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, ioctls[i]);
                rule(ctx, eperm, "ioctl", 1, &c);
        }

        /* Device nodes: never created, whatever the capabilities say. */
        const unsigned long devtypes[] = {S_IFCHR, S_IFBLK};
        for (size_t i = 0; i < PB_ARRAY_SIZE(devtypes); i++) {
                struct scmp_arg_cmp c1 = SCMP_A1(SCMP_CMP_MASKED_EQ, S_IFMT, devtypes[i]);
                struct scmp_arg_cmp c2 = SCMP_A2(SCMP_CMP_MASKED_EQ, S_IFMT, devtypes[i]);
                rule(ctx, eperm, "mknod", 1, &c1);
                rule(ctx, eperm, "mknodat", 1, &c2);
        }

        /* Raw packets and host-guest sockets. */
        const unsigned long families[] = {AF_PACKET, AF_VSOCK};
        for (size_t i = 0; i < PB_ARRAY_SIZE(families); i++) {
                struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_EQ, families[i]);
                rule(ctx, eperm, "socket", 1, &c);
        }

        /* Personality flags that turn off ASLR or make data executable; plain
         * queries (0xffffffff) and PER_LINUX/PER_LINUX32 stay allowed. The low
         * byte is the persona; a flag counts when the persona byte is 0 or 8. */
        for (size_t i = 0; i < PB_ARRAY_SIZE(bad_persona); i++) {
                for (unsigned long base = 0; base <= 8; base += 8) {
                        struct scmp_arg_cmp c =
                            SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu & (bad_persona[i] | 0xff),
                                    bad_persona[i] | base);
                        rule(ctx, eperm, "personality", 1, &c);
                }
        }

        /* The X11 portal's variant: every connect(2) waits for the broker,
         * which hands an X client a socket connected to the X server itself
         * and lets everything else go on (portals/connect-notify.c, portals/x11.c). */
        if (notify_connect)
                rule(ctx, SCMP_ACT_NOTIFY, "connect", 0, NULL);

        if (failed) {
                seccomp_release(ctx);
                return NULL;
        }
        return ctx;
}
