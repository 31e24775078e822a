/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Landlock, as defence in depth behind the mount layout: even if a mount flag
 * were lost, the app can read and execute what it sees, write only in its
 * writable places, and never create a device node. With ABI >= 6 it is also
 * scoped: no connecting to abstract unix sockets created outside the sandbox's
 * Landlock domain, no signals to processes outside it.
 *
 * Fail closed: without Landlock at all we refuse to run. Below ABI 6 the
 * abstract-socket boundary rests on the private network namespace alone, so a
 * sandbox that shares the host network (`network` connected) is refused too.
 * Bookworm's headers predate ABI 2, so the constants are spelled out here.
 */
#include "launcher.h"

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule       445
#define __NR_landlock_restrict_self  446
#endif

#define LL_EXECUTE                    (1ull << 0)
#define LL_WRITE_FILE                 (1ull << 1)
#define LL_READ_FILE                  (1ull << 2)
#define LL_READ_DIR                   (1ull << 3)
#define LL_REMOVE_DIR                 (1ull << 4)
#define LL_REMOVE_FILE                (1ull << 5)
#define LL_MAKE_CHAR                  (1ull << 6)
#define LL_MAKE_DIR                   (1ull << 7)
#define LL_MAKE_REG                   (1ull << 8)
#define LL_MAKE_SOCK                  (1ull << 9)
#define LL_MAKE_FIFO                  (1ull << 10)
#define LL_MAKE_BLOCK                 (1ull << 11)
#define LL_MAKE_SYM                   (1ull << 12)
#define LL_REFER                      (1ull << 13) /* ABI 2 */
#define LL_TRUNCATE                   (1ull << 14) /* ABI 3 */
#define LL_IOCTL_DEV                  (1ull << 15) /* ABI 5 */
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ull << 0)  /* ABI 6 */
#define LL_SCOPE_SIGNAL               (1ull << 1)  /* ABI 6 */
#define LL_CREATE_RULESET_VERSION     (1u << 0)
#define LL_RULE_PATH_BENEATH          1

struct ll_ruleset_attr {
        uint64_t handled_access_fs;
        uint64_t handled_access_net; /* ABI 4 */
        uint64_t scoped;             /* ABI 6 */
};

struct ll_path_beneath {
        uint64_t allowed_access;
        int32_t parent_fd;
} __attribute__((packed));

int pb_landlock_abi(void)
{
        long v = syscall(__NR_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
        return v < 0 ? 0 : (int)v;
}

static void add_rule(int ruleset, const char *path, uint64_t access, uint64_t handled)
{
        int fd = open(path, O_PATH | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        return; /* nothing there to grant */
                die_errno("landlock: cannot open %s", path);
        }
        struct ll_path_beneath pb = {.allowed_access = access & handled, .parent_fd = fd};
        if (syscall(__NR_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &pb, 0) < 0)
                die_errno("landlock: cannot add a rule for %s", path);
        close(fd);
}

void pb_landlock_apply(const struct pb_spec *s)
{
        int abi = pb_landlock_abi();
        if (abi < 1)
                die("Landlock is not available in this kernel; refusing to run the app "
                    "without it (docs/SECURITY.md)");
        if (abi < 6 && s->network)
                die("Landlock ABI %d has no abstract-socket scope and `network` is connected: "
                    "refusing to share the host's abstract sockets (docs/SECURITY.md)",
                    abi);

        uint64_t handled = LL_EXECUTE | LL_WRITE_FILE | LL_READ_FILE | LL_READ_DIR | LL_REMOVE_DIR |
                           LL_REMOVE_FILE | LL_MAKE_CHAR | LL_MAKE_DIR | LL_MAKE_REG |
                           LL_MAKE_SOCK | LL_MAKE_FIFO | LL_MAKE_BLOCK | LL_MAKE_SYM;
        if (abi >= 2)
                handled |= LL_REFER;
        if (abi >= 3)
                handled |= LL_TRUNCATE;
        if (abi >= 5)
                handled |= LL_IOCTL_DEV;
        struct ll_ruleset_attr attr = {.handled_access_fs = handled};
        size_t size = sizeof(uint64_t);
        if (abi >= 6) {
                attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
                size = sizeof(attr);
        }
        int rs = (int)syscall(__NR_landlock_create_ruleset, &attr, size, 0);
        if (rs < 0)
                die_errno("landlock_create_ruleset");

        const uint64_t read = LL_EXECUTE | LL_READ_FILE | LL_READ_DIR;
        /* Never LL_MAKE_CHAR / LL_MAKE_BLOCK: no device node is ever created. */
        const uint64_t write = LL_WRITE_FILE | LL_REMOVE_DIR | LL_REMOVE_FILE | LL_MAKE_DIR |
                               LL_MAKE_REG | LL_MAKE_SOCK | LL_MAKE_FIFO | LL_MAKE_SYM | LL_REFER |
                               LL_TRUNCATE;
        add_rule(rs, "/", read, handled);
        char rt[64];
        snprintf(rt, sizeof(rt), "/run/user/%u", (unsigned)s->uid);
        const char *writable[] = {"/tmp", "/var/tmp", "/dev/shm", rt, s->home};
        for (size_t i = 0; i < PB_ARRAY_SIZE(writable); i++)
                add_rule(rs, writable[i], write, handled);
        for (size_t i = 0; i < s->n_mounts; i++) {
                if (s->mounts[i].kind == PB_MOUNT_BIND_RW && !s->mounts[i].file)
                        add_rule(rs, s->mounts[i].target, write, handled);
                /* the dev view: granted nodes are written to and ioctl'd */
                if (s->mounts[i].kind == PB_MOUNT_BIND_DEV)
                        add_rule(rs, s->mounts[i].target,
                                 LL_WRITE_FILE | LL_TRUNCATE | LL_IOCTL_DEV, handled);
        }
        /* Terminals and /dev/null are written to and ioctl'd; the nodes there are
         * exactly the granted ones. /proc/self knobs are written by runtimes. */
        add_rule(rs, "/dev", LL_WRITE_FILE | LL_TRUNCATE | LL_IOCTL_DEV, handled);
        add_rule(rs, "/proc", LL_WRITE_FILE, handled);

        if (syscall(__NR_landlock_restrict_self, rs, 0) < 0)
                die_errno("landlock_restrict_self");
        close(rs);
}
