/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "subprocess.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

int pb_spawn_wait(char *const argv[], struct pb_error *err)
{
        int pfd[2];
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return pb_error_set(err, errno, "pipe: %m");
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
        posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
        pid_t pid;
        char *env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};
        int r = posix_spawn(&pid, argv[0], &fa, NULL, argv, env);
        posix_spawn_file_actions_destroy(&fa);
        close(pfd[1]);
        if (r != 0) {
                close(pfd[0]);
                return pb_error_set(err, r, "cannot run %s: %s", argv[0], strerror(r));
        }
        char out[2048];
        size_t n = 0;
        for (;;) {
                char buf[1024];
                ssize_t k = read(pfd[0], buf, sizeof(buf));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                size_t take = (size_t)k < sizeof(out) - 1 - n ? (size_t)k : sizeof(out) - 1 - n;
                memcpy(out + n, buf, take);
                n += take;
        }
        out[n] = '\0';
        close(pfd[0]);
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return pb_error_set(err, errno, "waitpid: %m");
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        /* The last non-empty line is usually the reason. */
        while (n && (out[n - 1] == '\n' || out[n - 1] == ' '))
                out[--n] = '\0';
        char *line = strrchr(out, '\n');
        line = line ? line + 1 : out;
        return pb_error_set(err, EIO, "%s failed: %s", strrchr(argv[0], '/') + 1,
                            *line ? line : "unknown error");
}

int pb_rm_rf(const char *path)
{
        char *argv[] = {"/bin/rm", "-rf", "--one-file-system", "--", (char *)path, NULL};
        return pb_spawn_wait(argv, NULL);
}
