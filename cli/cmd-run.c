/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * plugboard run SNAP[.APP] [ARGS...]: ask the broker to start the app
 * confined, with our stdin/stdout/stderr (SCM_RIGHTS), relay the signals we
 * get, and exit with the app's status (128+N when it died of signal N).
 * Protocol: broker/run.h. No setuid anywhere: the broker takes our uid from
 * SO_PEERCRED. Everything after SNAP[.APP] goes to the app verbatim, dashes
 * included.
 */
#include "unix-socket.h"
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int pb_cmd_run(int argc, char **argv);

extern char **environ;

static const int relayed[] = {SIGINT,  SIGTERM,  SIGHUP,  SIGQUIT, SIGUSR1,
                              SIGUSR2, SIGWINCH, SIGCONT, SIGALRM};

static int connect_run_socket(void)
{
        const char *path = getenv("PLUGBOARD_RUN_SOCKET");
        if (!path || !*path)
                path = "/run/plugboard/run.socket";
        return pb_unix_connect(path);
}

static char *request_json(const char *snap, const char *app, int argc, char **argv)
{
        json_object *o = json_object_new_object();
        json_object_object_add(o, "snap", json_object_new_string(snap));
        if (app)
                json_object_object_add(o, "app", json_object_new_string(app));
        json_object *a = json_object_new_array();
        for (int i = 0; i < argc; i++)
                json_object_array_add(a, json_object_new_string(argv[i]));
        json_object_object_add(o, "args", a);
        json_object *e = json_object_new_array();
        for (char **p = environ; p && *p; p++)
                json_object_array_add(e, json_object_new_string(*p));
        json_object_object_add(o, "env", e);
        char cwd[4096];
        if (getcwd(cwd, sizeof(cwd)))
                json_object_object_add(o, "cwd", json_object_new_string(cwd));
        /* The app gets our descriptor limit, not the broker's. */
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
                json_object_object_add(o, "nofile", json_object_new_int64((int64_t)rl.rlim_cur));
        char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
        return s;
}

static int send_request(int fd, const char *json)
{
        int fds[3] = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO};
        return pb_frame_send(fd, json, (uint32_t)strlen(json), fds, 3) < 0 ? -1 : 0;
}

static int usage(void)
{
        fprintf(stderr, "error: the required argument `<snap>.<app>` was not provided\n\n"
                        "Usage: plugboard run [--] SNAP[.APP] [ARGS...]\n");
        return 64;
}

int pb_cmd_run(int argc, char **argv)
{
        /* A closed stdio fd (some harnesses start us so) becomes /dev/null,
         * before anything else can be opened on that number and handed to the
         * app as its stdin. */
        for (int fd = 0; fd < 3; fd++)
                if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
                        return 1;
        int i = 1;
        if (i < argc && strcmp(argv[i], "--") == 0)
                i++;
        if (i >= argc)
                return usage();
        if (argv[i][0] == '-') {
                if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                        printf("Usage: plugboard run [--] SNAP[.APP] [ARGS...]\n\n"
                               "Run an app of an installed snap confined, as you.\n");
                        return 0;
                }
                fprintf(stderr, "error: unknown flag `%s'\n",
                        argv[i] + (argv[i][1] == '-' ? 2 : 1));
                return 64;
        }
        char *target = strdup(argv[i]);
        if (!target)
                return 1;
        char *dot = strchr(target, '.');
        if (dot)
                *dot = '\0';
        char *json = request_json(target, dot ? dot + 1 : NULL, argc - i - 1, argv + i + 1);
        free(target);
        if (!json)
                return 1;

        /* Block the relayed signals before we have a sandbox to send them to:
         * a Ctrl-C during start-up still reaches the app once it runs. */
        sigset_t set;
        sigemptyset(&set);
        for (size_t k = 0; k < sizeof(relayed) / sizeof(relayed[0]); k++)
                sigaddset(&set, relayed[k]);
        sigprocmask(SIG_BLOCK, &set, NULL);
        signal(SIGPIPE, SIG_IGN);
        int sfd = signalfd(-1, &set, SFD_CLOEXEC);
        int fd = connect_run_socket();
        if (fd < 0) {
                fprintf(stderr, "error: cannot communicate with plugboardd: %s\n", strerror(-fd));
                free(json);
                return 1;
        }
        if (send_request(fd, json) < 0) {
                fprintf(stderr, "error: cannot send the run request: %s\n", strerror(errno));
                free(json);
                return 1;
        }
        free(json);

        char buf[1024];
        size_t used = 0;
        for (;;) {
                struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return 1;
                }
                if (p[1].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                                char line[32];
                                int k = snprintf(line, sizeof(line), "signal %u\n", si.ssi_signo);
                                (void)!send(fd, line, (size_t)k, MSG_NOSIGNAL);
                        }
                }
                if (!p[0].revents)
                        continue;
                ssize_t n = recv(fd, buf + used, sizeof(buf) - 1 - used, 0);
                if (n <= 0) {
                        fprintf(stderr, "error: lost the connection to plugboardd\n");
                        return 1;
                }
                used += (size_t)n;
                buf[used] = '\0';
                char *nl = strchr(buf, '\n');
                if (!nl) {
                        if (used == sizeof(buf) - 1)
                                used = 0;
                        continue;
                }
                *nl = '\0';
                int st = 0;
                if (sscanf(buf, "exit %d", &st) == 1) {
                        if (WIFEXITED(st))
                                return WEXITSTATUS(st);
                        if (WIFSIGNALED(st))
                                return 128 + WTERMSIG(st);
                        return 1;
                }
                if (strncmp(buf, "error ", 6) == 0) {
                        fprintf(stderr, "error: %s\n", buf + 6);
                        return 1;
                }
                /* "failed": the launcher said why on our stderr */
                return 125;
        }
}
