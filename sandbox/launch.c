/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * plugboard-launch: builds one sandbox and runs one app in it.
 *
 * Run as root by the broker (never setuid: DESIGN §8), with the app's stdio on
 * fds 0-2 and the spec channel on fd 3 (see spec.h for the wire format). Three
 * processes:
 *   launcher (host pid ns, root): reads the spec, creates ~/snap/NAME/{REV,common}
 *     as the user, clones the sandbox init, relays "signal N" requests from the
 *     broker and reports "pid"/"exit" back;
 *   init (pid 1 of the new pid ns): builds the root as root, drops to the user,
 *     forks the app, forwards signals to its process group, reaps orphans, and
 *     passes the app's wait status up; when it exits the kernel kills whatever
 *     is left in the namespace, so nothing of the sandbox outlives the app;
 *   app: confines itself (pb_confine) and execs the command.
 */
#include "launcher.h"
#include "unix-socket.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/resource.h>
#include <string.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static noreturn void vdie(int errnum, const char *fmt, va_list ap)
{
        char buf[1024];
        vsnprintf(buf, sizeof(buf), fmt, ap);
        if (errnum)
                dprintf(STDERR_FILENO, "plugboard-launch: %s: %s\n", buf, strerror(errnum));
        else
                dprintf(STDERR_FILENO, "plugboard-launch: %s\n", buf);
        _exit(PB_LAUNCH_SETUP_FAILED);
}

void die(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vdie(0, fmt, ap);
}

void die_errno(const char *fmt, ...)
{
        int e = errno;
        va_list ap;
        va_start(ap, fmt);
        vdie(e, fmt, ap);
}

/* Signals the broker may relay to the app (what a terminal or `kill` sends). */
static const int relayed[] = {SIGINT,  SIGTERM,  SIGHUP,  SIGQUIT, SIGUSR1,
                              SIGUSR2, SIGWINCH, SIGCONT, SIGALRM};

/* The length word may carry the app's stdin/stdout/stderr (SCM_RIGHTS): the
 * broker keeps a launcher spawned ahead of time, before the caller is known,
 * and hands it the caller's stdio with the spec. Without them (a plain pipe or
 * file, or a launcher spawned for this caller) the inherited 0-2 stay. */
static bool read_length(int fd, uint32_t *len)
{
        int fds[3];
        size_t n = 0;
        int ret = pb_frame_recv_len(fd, len, fds, 3, &n);
        if (ret == -ENOTSOCK)
                return pb_read_full(fd, len, sizeof(*len)) == 0;
        if (ret < 0)
                return false;
        if (n == 0)
                return true;
        if (n != 3)
                die("unexpected ancillary data with the spec");
        for (int i = 0; i < 3; i++) {
                if (dup2(fds[i], i) < 0) /* dup2 clears CLOEXEC on the copy */
                        die_errno("cannot take the app's stdio");
        }
        for (int i = 0; i < 3; i++)
                if (fds[i] > 2)
                        close(fds[i]);
        return true;
}

static struct pb_spec *read_spec(int fd)
{
        uint32_t len = 0;
        struct pb_error err = {0};
        struct pb_spec *s = NULL;
        if (!read_length(fd, &len))
                die("cannot read the spec length");
        if (len == 0 || len > PB_SPEC_MAX_BYTES)
                die("spec length %u out of range", len);
        _cleanup_free_ char *buf = malloc(len + 1);
        if (!buf)
                die("out of memory");
        if (pb_read_full(fd, buf, len) < 0)
                die("short spec");
        buf[len] = '\0';
        if (pb_spec_parse(buf, len, &s, &err) < 0)
                die("%s", err.msg);
        return s;
}

static void report(int fd, const char *fmt, ...) PB_PRINTF(2, 3);
static void report(int fd, const char *fmt, ...)
{
        char buf[256];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        /* The channel may be a plain file or pipe when run by hand: ignore errors. */
        if (n > 0 && send(fd, buf, (size_t)n, MSG_NOSIGNAL) < 0 && errno == ENOTSOCK) {
                ssize_t w = write(fd, buf, (size_t)n);
                (void)w;
        }
}

/* ~/snap/NAME/REV and ~/snap/NAME/common, created by a child that has become
 * the user: nothing here runs with more rights than the user has, and each step
 * is relative to the previous directory fd with O_NOFOLLOW, so a planted
 * symlink is refused rather than followed. */
/* Whether ~/snap/NAME/{REV,common} are already directories (no symlink on
 * the way): then there is nothing to create and no child to fork. Looking
 * is harmless as root; creating is done only as the user. */
static bool user_dirs_exist(const struct pb_spec *s)
{
        int fd = open(s->home, O_PATH | O_DIRECTORY | O_CLOEXEC);
        const char *parts[] = {"snap", s->snap};
        for (size_t i = 0; fd >= 0 && i < PB_ARRAY_SIZE(parts); i++) {
                int nfd = openat(fd, parts[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                close(fd);
                fd = nfd;
        }
        struct stat a, b;
        bool ok = fd >= 0 && fstatat(fd, s->revision, &a, AT_SYMLINK_NOFOLLOW) == 0 &&
                  S_ISDIR(a.st_mode) && fstatat(fd, "common", &b, AT_SYMLINK_NOFOLLOW) == 0 &&
                  S_ISDIR(b.st_mode);
        if (fd >= 0)
                close(fd);
        return ok;
}

static void make_user_dirs(const struct pb_spec *s)
{
        if (user_dirs_exist(s))
                return;
        pid_t pid = fork();
        if (pid < 0)
                die_errno("fork");
        if (pid == 0) {
                if (setgroups(s->n_groups, s->groups) < 0 ||
                    setresgid(s->gid, s->gid, s->gid) < 0 || setresuid(s->uid, s->uid, s->uid) < 0)
                        die_errno("cannot become uid %u", (unsigned)s->uid);
                int fd = open(s->home, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        die_errno("cannot open home %s", s->home);
                const char *parts[] = {"snap", s->snap};
                for (size_t i = 0; i < PB_ARRAY_SIZE(parts); i++) {
                        if (mkdirat(fd, parts[i], 0755) < 0 && errno != EEXIST)
                                die_errno("cannot create ~/snap/%s", s->snap);
                        int nfd =
                            openat(fd, parts[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (nfd < 0)
                                die_errno("cannot open ~/snap/%s", s->snap);
                        close(fd);
                        fd = nfd;
                }
                if ((mkdirat(fd, s->revision, 0755) < 0 && errno != EEXIST) ||
                    (mkdirat(fd, "common", 0755) < 0 && errno != EEXIST))
                        die_errno("cannot create ~/snap/%s/{%s,common}", s->snap, s->revision);
                _exit(0);
        }
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                _exit(PB_LAUNCH_SETUP_FAILED); /* the child printed why */
}

static int block_signals(bool with_chld)
{
        sigset_t set;
        sigemptyset(&set);
        for (size_t i = 0; i < PB_ARRAY_SIZE(relayed); i++)
                sigaddset(&set, relayed[i]);
        if (with_chld)
                sigaddset(&set, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
                die_errno("sigprocmask");
        int fd = signalfd(-1, &set, SFD_CLOEXEC);
        if (fd < 0)
                die_errno("signalfd");
        return fd;
}

static void unblock_all(void)
{
        sigset_t set;
        sigemptyset(&set);
        sigprocmask(SIG_SETMASK, &set, NULL);
}

static void noop_handler(int sig)
{
        (void)sig;
}

/* The broker raised its soft RLIMIT_NOFILE to the hard limit for its views'
 * descriptors, and we inherited it: the app gets its caller's soft limit
 * instead (capped at the hard one), as if run natively. A huge soft limit
 * breaks select(2) users past FD_SETSIZE and makes programs that close every
 * possible descriptor at start slow. */
static void set_nofile(const struct pb_spec *s)
{
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                die_errno("getrlimit");
        rlim_t want = s->nofile ? (rlim_t)s->nofile : PB_SPEC_NOFILE_DEFAULT;
        rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                die_errno("setrlimit");
}

/* The app: a new session (no controlling terminal: TIOCSTI-style tricks have
 * nothing to aim at, and the caller's terminal job control stays with
 * `plugboard run`), confinement, execve. */
static noreturn void run_app(const struct pb_spec *s, int listener_sock)
{
        unblock_all();
        for (size_t i = 0; i < PB_ARRAY_SIZE(relayed); i++)
                signal(relayed[i], SIG_DFL);
        if (setsid() < 0)
                die_errno("setsid");
        set_nofile(s);
        int listener = pb_confine(s);
        /* The seccomp listener goes up to the launcher, which forwards it to
         * the broker; the app itself never holds it past execve. */
        if (listener >= 0) {
                int r = pb_send_fd(listener_sock, "L", 1, listener);
                if (r < 0) {
                        errno = -r;
                        die_errno("cannot pass the seccomp listener on");
                }
                close(listener);
        }
        if (listener_sock >= 0)
                close(listener_sock);
        execve(s->argv[0], s->argv, s->env);
        int e = errno;
        dprintf(STDERR_FILENO, "plugboard-launch: cannot run %s: %s\n", s->argv[0], strerror(e));
        _exit(e == ENOENT ? 127 : 126);
}

/* pid 1 of the sandbox. */
static noreturn void run_init(const struct pb_spec *s, int status_fd, int listener_sock)
{
        /* pid 1 drops every signal whose handler is SIG_DFL, even from the parent
         * namespace: give the relayed ones a handler, then take them from a
         * signalfd. */
        struct sigaction sa = {.sa_handler = noop_handler};
        for (size_t i = 0; i < PB_ARRAY_SIZE(relayed); i++)
                sigaction(relayed[i], &sa, NULL);
        pb_rootfs_setup(s);
        int sfd = block_signals(true);

        pid_t app = fork();
        if (app < 0)
                die_errno("fork");
        if (app == 0) {
                close(status_fd);
                close(sfd);
                run_app(s, listener_sock);
        }
        if (listener_sock >= 0)
                close(listener_sock);
        /* init itself keeps nothing: the user's uid, no capabilities, not dumpable
         * (so the app cannot open /proc/1/mem or /proc/1/root). */
        /* init keeps none of the app's stdio: a device fd passed as stdin
         * must not pin init when the device is revoked (the holder is
         * killed), nor keep a pipe open after the app is gone. */
        int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        for (int fd = 0; fd < 3; fd++)
                if (devnull < 0 || dup2(devnull, fd) < 0)
                        close(fd);
        if (devnull > 2)
                close(devnull);
        pb_drop_to_user(s);
        if (prctl(PR_SET_DUMPABLE, 0) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                die_errno("prctl");
        int app_status = -1;
        for (;;) {
                struct signalfd_siginfo si;
                ssize_t r = read(sfd, &si, sizeof(si));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r != (ssize_t)sizeof(si))
                        die_errno("signalfd read");
                if ((int)si.ssi_signo != SIGCHLD) {
                        if (kill(-app, (int)si.ssi_signo) < 0)
                                kill(app, (int)si.ssi_signo);
                        continue;
                }
                for (;;) {
                        int st = 0;
                        pid_t p = waitpid(-1, &st, WNOHANG);
                        if (p <= 0)
                                break;
                        if (p == app)
                                app_status = st;
                }
                if (app_status != -1)
                        break;
        }
        ssize_t w = write(status_fd, &app_status, sizeof(app_status));
        (void)w;
        _exit(WIFEXITED(app_status) ? WEXITSTATUS(app_status) : 128 + WTERMSIG(app_status));
}

/* The app's seccomp listener, from lsock to the broker as a "listener" line.
 * If it cannot go on, it is closed: the app's connect(2) calls then fail
 * (ENOSYS), which is closed, not open. */
static void forward_listener(int lsock, int chan)
{
        char b;
        int fd = -1;
        if (pb_recv_fd(lsock, &b, 1, MSG_DONTWAIT, &fd) <= 0 || fd < 0)
                return; /* the app died before sending it */
        int r = pb_send_fd(chan, "listener\n", 9, fd);
        if (r < 0)
                dprintf(STDERR_FILENO,
                        "plugboard-launch: cannot pass the seccomp listener on: %s\n",
                        strerror(-r));
        close(fd);
}

static int parse_fd_arg(int argc, char **argv)
{
        int fd = 3;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--spec-fd") == 0 && i + 1 < argc) {
                        char *end = NULL;
                        long v = strtol(argv[++i], &end, 10);
                        if (!end || *end || v < 0 || v > 1024)
                                die("bad --spec-fd");
                        fd = (int)v;
                } else {
                        die("usage: plugboard-launch [--spec-fd N]  (run by plugboardd)");
                }
        }
        return fd;
}

int main(int argc, char **argv)
{
        int chan = parse_fd_arg(argc, argv);
        /* Nothing of the broker leaks into the sandbox: keep stdio and the
         * spec channel only. */
        if (chan > 3)
                close_range(3, (unsigned)chan - 1, 0);
        close_range((unsigned)chan + 1, ~0u, 0);
        if (geteuid() != 0)
                die("must be run as root by plugboardd (it is not setuid)");
        struct pb_spec *s = read_spec(chan);
        if (s->make_user_dirs)
                make_user_dirs(s);

        int pfd[2];
        if (pipe2(pfd, O_CLOEXEC) < 0)
                die_errno("pipe");
        /* The app's seccomp listener comes back on this (spec.h). */
        int lsp[2] = {-1, -1};
        if (s->notify_connect && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, lsp) < 0)
                die_errno("socketpair");
        int sfd = block_signals(false);
        unsigned long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | SIGCHLD;
        if (!s->network)
                flags |= CLONE_NEWNET;
        /* clone, not unshare+fork: the child is pid 1 of the new pid namespace
         * from its first instruction. */
        pid_t init = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
        if (init < 0)
                die_errno("cannot create the sandbox namespaces");
        if (init == 0) {
                close(pfd[0]);
                close(chan);
                close(sfd);
                if (lsp[0] >= 0)
                        close(lsp[0]);
                run_init(s, pfd[1], lsp[1]);
        }
        close(pfd[1]);
        if (lsp[1] >= 0)
                close(lsp[1]);
        report(chan, "pid %d\n", (int)init);

        int pidfd = (int)syscall(SYS_pidfd_open, init, 0);
        if (pidfd < 0)
                die_errno("pidfd_open");
        /* Relay loop: "signal N" lines from the broker and the terminal signals
         * we receive ourselves go to init, which forwards them to the app's group.
         * A hang-up on the channel means the broker is gone: end the sandbox. */
        char line[64];
        size_t used = 0;
        int app_status = -1; /* -1: not known yet, -2: init died without one */
        bool chan_open = true;
        for (;;) {
                struct pollfd p[5] = {{.fd = pidfd, .events = POLLIN},
                                      {.fd = sfd, .events = POLLIN},
                                      {.fd = chan_open ? chan : -1, .events = POLLIN},
                                      {.fd = app_status == -1 ? pfd[0] : -1, .events = POLLIN},
                                      {.fd = lsp[0], .events = POLLIN}};
                if (poll(p, 5, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        die_errno("poll");
                }
                if (p[0].revents)
                        break;
                /* The app's status comes before init has finished exiting:
                 * report it at once, the namespaces are torn down after. */
                if (p[3].revents) {
                        if (read(pfd[0], &app_status, sizeof(app_status)) ==
                            (ssize_t)sizeof(app_status))
                                report(chan, "exit %d\n", app_status);
                        else
                                app_status = -2; /* init died without a status */
                }
                if (p[4].revents) {
                        forward_listener(lsp[0], chan);
                        close(lsp[0]);
                        lsp[0] = -1;
                }
                if (p[1].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                                kill(init, (int)si.ssi_signo);
                }
                if (p[2].revents) {
                        ssize_t r = recv(chan, line + used, sizeof(line) - 1 - used, MSG_DONTWAIT);
                        if (r <= 0 && !(r < 0 && (errno == EAGAIN || errno == EINTR))) {
                                if (r < 0 && errno == ENOTSOCK) {
                                        chan_open = false; /* a file given by hand */
                                        continue;
                                }
                                kill(init, SIGKILL);
                                chan_open = false;
                                continue;
                        }
                        used += r > 0 ? (size_t)r : 0;
                        line[used] = '\0';
                        char *nl;
                        while ((nl = strchr(line, '\n'))) {
                                *nl = '\0';
                                int sig = 0;
                                if (sscanf(line, "signal %d", &sig) == 1)
                                        for (size_t i = 0; i < PB_ARRAY_SIZE(relayed); i++)
                                                if (relayed[i] == sig)
                                                        kill(init, sig);
                                size_t rest = used - (size_t)(nl + 1 - line);
                                memmove(line, nl + 1, rest + 1);
                                used = rest;
                        }
                        if (used == sizeof(line) - 1)
                                used = 0; /* garbage without newline: drop it */
                }
        }
        int st = 0;
        while (waitpid(init, &st, 0) < 0 && errno == EINTR)
                ;
        if (app_status == -1 &&
            read(pfd[0], &app_status, sizeof(app_status)) == (ssize_t)sizeof(app_status))
                report(chan, "exit %d\n", app_status);
        if (app_status < 0) {
                report(chan, "error sandbox setup failed\n");
                _exit(PB_LAUNCH_SETUP_FAILED);
        }
        pb_spec_free(s);
        _exit(WIFEXITED(app_status) ? WEXITSTATUS(app_status) : 128 + WTERMSIG(app_status));
}
