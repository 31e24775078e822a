/* SPDX-License-Identifier: GPL-3.0-or-later */
/* plugboard: dispatch to one subcommand per file. */
#include "cli.h"

#include <string.h>

struct command {
        const char *name;
        int (*fn)(int argc, char **argv);
        const char *summary;
        const char *usage;
};

static const struct command commands[] = {
    {"install", pb_cmd_install, "Install a snap from a directory or a .snap file",
     "install [--dangerous] [--no-wait] <path>"},
    {"remove", pb_cmd_remove, "Remove a snap", "remove [--purge] [--no-wait] <snap>..."},
    {"list", pb_cmd_list, "List installed snaps", "list"},
    {"connections", pb_cmd_connections, "List interface connections",
     "connections [--all] [<snap>]"},
    {"interface", pb_cmd_interface, "Show details of snap interfaces",
     "interface [--all] [--attrs] [<interface>]"},
    {"connect", pb_cmd_connect, "Connect a plug to a slot",
     "connect [--no-wait] <snap>:<plug> [<snap>[:<slot>]]"},
    {"disconnect", pb_cmd_disconnect, "Disconnect a plug from a slot",
     "disconnect [--forget] [--no-wait] <snap>:<plug> [<snap>:<slot>]"},
    {"changes", pb_cmd_changes, "List system changes", "changes"},
    {"change", pb_cmd_change, "List a change's tasks", "change <id>"},
    {"tasks", pb_cmd_change, "List a change's tasks", "tasks <id>"},
    {"denials", pb_cmd_denials, "Show recent access denials of confined apps", "denials [<snap>]"},
    {"run", NULL /* pb_cmd_run, when cli/cmd-run.c is built */, "Run a snap's app confined",
     "run <snap>[.<app>] [<args>...]"},
    {"version", pb_cmd_version, "Show version details", "version"},
};

static void usage(FILE *f)
{
        fprintf(f, "Usage: plugboard <command> [<options>...]\n\nCommands:\n");
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
                if (strcmp(commands[i].name, "run") == 0 && !pb_cmd_run)
                        continue;
                fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
        }
        fprintf(f, "\nThe broker's socket is $PLUGBOARD_SOCKET or %s.\n", PB_DEFAULT_SOCKET);
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                usage(stderr);
                return PB_EXIT_USAGE;
        }
        const char *cmd = argv[1];
        if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
                usage(stdout);
                return PB_EXIT_OK;
        }
        if (strcmp(cmd, "--version") == 0)
                cmd = "version";
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
                if (strcmp(commands[i].name, cmd) != 0)
                        continue;
                /* `run`'s arguments after the snap belong to the app */
                int last = strcmp(cmd, "run") == 0 ? (argc > 2 ? 3 : 2) : argc;
                for (int a = 2; a < last && strcmp(argv[a], "--") != 0; a++) {
                        if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
                                printf("Usage:\n  plugboard %s\n\n%s\n", commands[i].usage,
                                       commands[i].summary);
                                return PB_EXIT_OK;
                        }
                }
                int (*fn)(int, char **) = commands[i].fn;
                if (!fn && strcmp(cmd, "run") == 0)
                        fn = pb_cmd_run;
                if (!fn)
                        break;
                return fn(argc - 1, argv + 1);
        }
        fprintf(stderr, "error: unknown command \"%s\", see 'plugboard help'.\n", cmd);
        return PB_EXIT_USAGE;
}
