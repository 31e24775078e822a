/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `snapctl is-connected` against a grant table (SNAPD-COMPAT §1d): pure, so
 * the exit codes and texts are unit tested. The snap is the table's snap:
 * which socket the request came in on decided that, not the request.
 */
#include "control.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(struct pb_snapctl_result *r, const char *fmt, ...) PB_PRINTF(2, 3);
static int fail(struct pb_snapctl_result *r, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err, sizeof(r->err), fmt, ap);
        va_end(ap);
        r->exit_code = -1;
        return -1;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_connected(const struct pb_grants *g, struct pb_snapctl_result *r)
{
        size_t n = pb_grants_endpoint_count(g), k = 0, len = 1;
        const char **names = calloc(n + 1, sizeof(char *));
        if (!names)
                return fail(r, "out of memory");
        for (size_t i = 0; i < n; i++) {
                const struct pb_grants_endpoint *e = pb_grants_endpoint(g, i);
                if (e->connected) {
                        names[k++] = e->name;
                        len += strlen(e->name) + 1;
                }
        }
        qsort(names, k, sizeof(char *), cmp_str);
        r->out = calloc(len, 1);
        if (!r->out) {
                free(names);
                return fail(r, "out of memory");
        }
        for (size_t i = 0; i < k; i++) {
                /* sorted input may repeat a name (a plug and a slot alike) */
                if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
                        continue;
                strcat(r->out, names[i]);
                strcat(r->out, "\n");
        }
        free(names);
        return r->exit_code = 0;
}

static bool pid_interface(const char *iface)
{
        return strcmp(iface, "pulseaudio") == 0 || strcmp(iface, "audio-record") == 0 ||
               strcmp(iface, "cups-control") == 0;
}

int pb_snapctl_run(const struct pb_grants *g, char *const *args, size_t n_args,
                   pb_control_peer_fn peer, void *peer_ctx, struct pb_snapctl_result *r)
{
        memset(r, 0, sizeof(*r));
        if (n_args == 0)
                return fail(r, "no command given");
        if (strcmp(args[0], "is-connected") != 0)
                return fail(r, "unknown command \"%.64s\"", args[0]);
        const char *name = NULL, *label = NULL;
        bool list = false, have_pid = false;
        long pid = 0;
        for (size_t i = 1; i < n_args; i++) {
                const char *a = args[i];
                if (strcmp(a, "--list") == 0) {
                        list = true;
                } else if (strcmp(a, "--pid") == 0 || strncmp(a, "--pid=", 6) == 0) {
                        const char *v = a[5] == '=' ? a + 6 : (i + 1 < n_args ? args[++i] : NULL);
                        char *end = NULL;
                        pid = v ? strtol(v, &end, 10) : 0;
                        if (!v || !*v || *end || pid <= 0 || pid > 4194304)
                                return fail(r, "invalid value for --pid");
                        have_pid = true;
                } else if (strcmp(a, "--apparmor-label") == 0 ||
                           strncmp(a, "--apparmor-label=", 17) == 0) {
                        label = a[16] == '=' ? a + 17 : (i + 1 < n_args ? args[++i] : NULL);
                        if (!label)
                                return fail(r, "expected argument for --apparmor-label");
                } else if (a[0] == '-' && a[1]) {
                        return fail(r, "unknown flag `%.32s'", a + (a[1] == '-' ? 2 : 1));
                } else if (!name) {
                        name = a;
                } else {
                        return fail(r, "too many arguments for command");
                }
        }
        if (list && name)
                return fail(r, "cannot specify both a plug/slot name and --list");
        if (list)
                return list_connected(g, r);
        if (!name) {
                if (have_pid || label)
                        return fail(r, "cannot use --pid check without plug/slot");
                return fail(r, "must specify either a plug/slot name or --list");
        }
        if ((have_pid || label) && strchr(name, ':'))
                return fail(r, "cannot use --pid check with snap:slot");
        const struct pb_grants_endpoint *e = pb_grants_find_endpoint(g, name);
        if (!e)
                return fail(r, "snap \"%s\" has no plug or slot named \"%.64s\"", pb_grants_snap(g),
                            name);
        if (label) /* no AppArmor here: no label names a snap */
                return r->exit_code = 11;
        if (!have_pid)
                return r->exit_code = e->connected ? 0 : 1;
        if (!e->is_slot || !pid_interface(e->interface))
                return fail(r,
                            "cannot use --pid check with plug or slot \"%s\" of interface "
                            "\"%s\"",
                            name, e->interface);
        char *other = NULL;
        struct pb_grants *og = NULL;
        if (!peer || peer(peer_ctx, (pid_t)pid, &other, &og) < 0)
                return r->exit_code = 11; /* not a snap */
        /* Connected to that snap: our slot has a connection and that snap has a
         * connected plug of the same interface (the table does not name peers). */
        bool ok = e->connected;
        size_t n = og ? pb_grants_endpoint_count(og) : 0;
        bool theirs = false;
        for (size_t i = 0; i < n; i++) {
                const struct pb_grants_endpoint *oe = pb_grants_endpoint(og, i);
                if (!oe->is_slot && oe->connected && strcmp(oe->interface, e->interface) == 0)
                        theirs = true;
        }
        free(other);
        if (og)
                pb_grants_unref(og);
        return r->exit_code = ok && theirs ? 0 : 1;
}
