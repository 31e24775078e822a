/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * plugboard: the command-line client. One file per subcommand (cmd-*.c),
 * dispatched from the table in main.c. Output, errors and exit codes follow
 * Debian's `snap` 2.57.6 byte for byte where snap has the command
 * (SNAPD-COMPAT §1a):
 *   0 success, 1 error, 10 retryable (snap-change-conflict), 64 usage.
 */
#pragma once

#include "client.h"
#include "tabwriter.h"

#include <stdbool.h>
#include <stdio.h>

#define PB_EXIT_OK    0
#define PB_EXIT_ERR   1
#define PB_EXIT_RETRY 10
#define PB_EXIT_USAGE 64

/* ---- subcommands: int cmd(int argc, char **argv), argv[0] = the command ---- */
int pb_cmd_connections(int argc, char **argv);
int pb_cmd_interface(int argc, char **argv);
int pb_cmd_connect(int argc, char **argv);
int pb_cmd_disconnect(int argc, char **argv);
int pb_cmd_install(int argc, char **argv);
int pb_cmd_remove(int argc, char **argv);
int pb_cmd_list(int argc, char **argv);
int pb_cmd_changes(int argc, char **argv);
int pb_cmd_change(int argc, char **argv);
int pb_cmd_denials(int argc, char **argv);
int pb_cmd_version(int argc, char **argv);
/* cli/cmd-run.c (the launcher's part); weak so the CLI builds without it. */
int pb_cmd_run(int argc, char **argv) __attribute__((weak));

/* ---- argument parsing (go-flags' behaviour as snap shows it) ---- */
struct pb_opt {
        const char *name; /* long name without "--" */
        bool *flag;
};
/* Split argv[1..] into options (anywhere, as go-flags allows) and positionals.
 * Unknown option: "error: unknown flag `x'" and returns -1 (exit 64). "--"
 * ends options. */
int pb_parse_args(int argc, char **argv, const struct pb_opt *opts, char ***pos, int *npos);
/* For commands with neither options nor arguments: PB_EXIT_OK, or the exit
 * code of the error already printed (unknown flag, too many arguments). */
int pb_parse_no_args(int argc, char **argv);
/* A usage error (rc 64), printed as "error: <msg>". */
int pb_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A plain error (rc 1). */
int pb_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- daemon errors and waiting ---- */
/* Print the error of a reply as snap does (errorToCmdMessage + fill) and
 * return the exit code. */
int pb_reply_error(const struct pb_reply *r);
/* Send a request and require a sync reply; on failure prints and returns
 * -exit_code. */
int pb_sync(const char *method, const char *path, const char *body, struct pb_reply *out);
/* Send a request that must answer async; then wait (or with no_wait print
 * the id). Returns the exit code. *change_out (optional) gets the final change
 * (caller frees with json_object_put). */
int pb_async(const char *method, const char *path, const char *body, bool no_wait,
             json_object **change_out);

/* The same; an error of kind interfaces-unchanged prints on_unchanged (if
 * not NULL) on stdout and succeeds; an error of kind soft_kind (if not NULL)
 * is only a note: its message on stderr without "error: ", and success (snap
 * does this for removing a snap that is not installed). */
int pb_async_ex(const char *method, const char *path, const char *body, bool no_wait,
                json_object **change_out, const char *on_unchanged, const char *soft_kind);

/* Go's doc.ToText-style fill: wrap at the terminal width (COLUMNS, default
 * 80, at most 100, minus 1), continuation lines indented. Malloc'd. */
char *pb_fill(const char *msg, int indent);
/* snapd's timeutil.Human: "today at 15:04 UTC", "yesterday at …", … */
void pb_human_time(const char *rfc3339, char *buf, size_t n);

/* URL query escaping (Go's url.QueryEscape). Malloc'd. */
char *pb_query_escape(const char *s);
/* The number of elements of an array result; 0 when the result is absent
 * or not an array. */
size_t pb_result_len(const struct pb_reply *r);
/* JSON string member or NULL. */
const char *pb_jstr(json_object *o, const char *key);
