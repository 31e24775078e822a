/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * plugboardd: the broker daemon. Runs in the foreground and logs to stderr
 * (systemd style); accepts sockets from systemd (LISTEN_FDS) or binds its own.
 */
#include "daemon.h"
#include "http.h"
#include "run.h"
#include "common/log.h"
#include "pb-config.h"

#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define SD_LISTEN_FDS_START 3

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: plugboardd [OPTIONS]\n"
                "  --state-dir DIR         state directory (default /var/lib/plugboard)\n"
                "  --socket PATH           API socket (default /run/plugboard/plugboard.socket)\n"
                "  --snapd-socket PATH     also serve the API here (e.g. ROOT/run/snapd.socket)\n"
                "  --declarations-dir DIR  local snap declarations (default "
                "/etc/plugboard/declarations)\n"
                "  --interfaces-dir DIR    administrator's interface drop-ins (default "
                "/etc/plugboard/interfaces)\n"
                "  --builtin-interfaces-dir DIR  built-in catalogue (default: installed, else "
                "the source tree)\n"
                "  --run-socket PATH       `plugboard run` socket (default: run.socket in "
                "the directory of --socket)\n"
                "  --debug                 verbose logging\n");
}

static int bind_socket(const char *path, struct pb_error *err)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sa.sun_path))
                return pb_error_set(err, ENAMETOOLONG, "socket path too long: %s", path);
        strcpy(sa.sun_path, path);
        /* Create the parent directory (e.g. /run/plugboard) if needed. */
        char dir[sizeof(sa.sun_path)];
        strcpy(dir, path);
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = '\0';
                if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                        return pb_error_set(err, errno, "cannot create %s: %m", dir);
        }
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return pb_error_set(err, errno, "socket: %m");
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
                unlink(path); /* a stale socket of a previous run */
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int e = errno;
                close(fd);
                return pb_error_set(err, e, "cannot bind %s: %s", path, strerror(e));
        }
        /* Everyone may connect: reads are open, mutations check SO_PEERCRED. */
        chmod(path, 0666);
        if (listen(fd, 128) < 0) {
                int e = errno;
                close(fd);
                return pb_error_set(err, e, "cannot listen on %s: %s", path, strerror(e));
        }
        return fd;
}

/* Bind the API socket unless systemd passed sockets (*n_fds > 0), and the
 * snapd-compatible socket if configured and there is room in fds. */
static int bind_own_sockets(const struct pb_broker_config *cfg, int *fds, size_t cap, size_t *n_fds,
                            struct pb_error *err)
{
        const char *paths[] = {*n_fds == 0 ? cfg->socket_path : NULL, cfg->snapd_socket_path};
        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
                if (!paths[i] || *n_fds >= cap)
                        continue;
                int fd = bind_socket(paths[i], err);
                if (fd < 0)
                        return fd;
                fds[(*n_fds)++] = fd;
        }
        return 0;
}

/* systemd socket activation (sd_listen_fds(3) without libsystemd). */
static int listen_fds(void)
{
        const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
        if (!pid || !fds || strtol(pid, NULL, 10) != (long)getpid())
                return 0;
        long n = strtol(fds, NULL, 10);
        unsetenv("LISTEN_PID");
        unsetenv("LISTEN_FDS");
        unsetenv("LISTEN_FDNAMES");
        if (n < 0 || n > 4)
                return 0;
        return (int)n;
}

int main(int argc, char **argv)
{
        /* Every view runs its own FUSE worker threads, and glibc gives each
         * thread that mallocs its own arena (up to 8 per core), which keeps
         * the memory freed in it: after 50 sandboxes x 60 connect cycles the
         * broker kept 9.8 MiB over its idle size once the apps had exited;
         * with two arenas, 3.4 MiB (bench/soak.sh 50 60). The per-thread
         * tcache still serves small allocations without the arena lock. */
        mallopt(M_ARENA_MAX, 2);
        struct pb_broker_config cfg = {
            .state_dir = "/var/lib/plugboard",
            .socket_path = "/run/plugboard/plugboard.socket",
            .declarations_dir = "/etc/plugboard/declarations",
            .interfaces_dir = "/etc/plugboard/interfaces",
            .builtin_interfaces_dir = NULL,
        };
        const char *run_socket = NULL; /* default: run.socket next to --socket */
        static const struct option opts[] = {
            {"state-dir", required_argument, NULL, 's'},
            {"socket", required_argument, NULL, 'S'},
            {"snapd-socket", required_argument, NULL, 'p'},
            {"declarations-dir", required_argument, NULL, 'd'},
            {"interfaces-dir", required_argument, NULL, 'i'},
            {"builtin-interfaces-dir", required_argument, NULL, 'b'},
            {"run-socket", required_argument, NULL, 'r'},
            {"debug", no_argument, NULL, 'D'},
            {"help", no_argument, NULL, 'h'},
            {0},
        };
        int c;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 's':
                        cfg.state_dir = optarg;
                        break;
                case 'S':
                        cfg.socket_path = optarg;
                        break;
                case 'p':
                        cfg.snapd_socket_path = optarg;
                        break;
                case 'd':
                        cfg.declarations_dir = optarg;
                        break;
                case 'i':
                        cfg.interfaces_dir = optarg;
                        break;
                case 'b':
                        cfg.builtin_interfaces_dir = optarg;
                        break;
                case 'r':
                        run_socket = optarg;
                        break;
                case 'D':
                        pb_log_set_level(LOG_DEBUG);
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 64;
                }
        }
        if (optind < argc) {
                usage(stderr);
                return 64;
        }
        if (!cfg.builtin_interfaces_dir) {
                struct stat st;
                cfg.builtin_interfaces_dir = stat(PB_INTERFACES_DIR, &st) == 0
                                                 ? PB_INTERFACES_DIR
                                                 : PB_SOURCE_INTERFACES_DIR;
        }

        /* Signals are taken synchronously by this thread (sigwait); every
         * other thread inherits the mask. A client closing its end early must
         * not kill us either. */
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);

        static struct pb_broker broker;
        struct pb_broker *b = &broker;
        struct pb_error err = {0};
        if (pb_broker_init(b, &cfg, &err) < 0) {
                pb_err("plugboardd: %s", err.msg);
                pb_err("plugboardd: refusing to start");
                pb_broker_fini(b);
                return 1;
        }

        struct pb_run *run = NULL;
        char run_default[sizeof(((struct sockaddr_un *)0)->sun_path)];
        if (!run_socket) {
                const char *slash = strrchr(cfg.socket_path, '/');
                int dl = slash ? (int)(slash - cfg.socket_path) : 0;
                snprintf(run_default, sizeof(run_default), "%.*s/run.socket", dl, cfg.socket_path);
                run_socket = run_default;
        }
        /* Before the API socket exists: a client that sees the daemon up
         * can run apps at once. */
        if (pb_run_start(b, run_socket, &run, &err) < 0) {
                pb_err("plugboardd: %s", err.msg);
                pb_broker_fini(b);
                return 1;
        }
        int fds[4];
        size_t n_fds = 0;
        int n = listen_fds();
        for (int i = 0; i < n; i++)
                fds[n_fds++] = SD_LISTEN_FDS_START + i;
        if (bind_own_sockets(&cfg, fds, sizeof(fds) / sizeof(fds[0]), &n_fds, &err) < 0) {
                pb_err("plugboardd: %s", err.msg);
                pb_run_stop(run);
                pb_broker_fini(b);
                return 1;
        }

        if (pb_changes_start(b) < 0 || pb_http_start(b, fds, n_fds, &b->http, &err) < 0) {
                pb_err("plugboardd: %s", err.msg[0] ? err.msg : "cannot start threads");
                pb_run_stop(run);
                pb_broker_fini(b);
                return 1;
        }
        pb_info("plugboardd %s ready on %s%s%s (state %s)", PB_VERSION,
                n ? "systemd sockets" : cfg.socket_path, cfg.snapd_socket_path ? " and " : "",
                cfg.snapd_socket_path ? cfg.snapd_socket_path : "", cfg.state_dir);

        int sig = 0;
        for (;;) {
                if (sigwait(&mask, &sig) != 0)
                        continue;
                if (sig == SIGHUP)
                        continue;
                break;
        }
        pb_info("plugboardd: signal %d, stopping", sig);
        pb_run_stop(run);
        pb_http_stop(b->http);
        b->http = NULL;
        if (n == 0)
                unlink(cfg.socket_path);
        if (cfg.snapd_socket_path)
                unlink(cfg.snapd_socket_path);
        pb_broker_fini(b);
        return 0;
}
