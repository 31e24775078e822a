/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The error value of policy/: what went wrong, said the way snapd says it, and
 * how the broker should answer over HTTP. policy/ cannot use common/'s
 * struct pb_error (it depends on nothing outside policy/), and the API needs
 * more than a message anyway: snapd's error responses carry a kind and a value
 * that Debian's `snap` client acts on (e.g. kind "snap-not-found" is printed as
 * `snap "foo" not found`, "interfaces-unchanged" as "No connections to
 * disconnect").
 *
 * Functions return 0 (or a documented positive value) on success and a
 * negative errno on failure, filling *perr when it is not NULL.
 */
#pragma once

#include <stdarg.h>

#define PB_PRINTF_P(a, b) __attribute__((format(printf, a, b)))

struct pb_perror {
        int status;      /* HTTP status to answer with: 400, 404, 409, 500, 501; 0 if unset */
        char kind[40];   /* snapd error kind ("snap-not-found", "interfaces-unchanged") or "" */
        char value[128]; /* the error's value (a snap name for snap-not-found) or "" */
        char msg[512];   /* the message, exactly as snapd words it where snapd has one */
};

/* Fill *e (if not NULL): status, kind (NULL for none), value (NULL for none)
 * and the formatted message. Returns -code so callers can `return pb_perror_set(...)`.
 * code must be a positive errno value. */
int pb_perror_set(struct pb_perror *e, int code, int status, const char *kind, const char *value,
                  const char *fmt, ...) PB_PRINTF_P(6, 7);

/* Prefix the existing message of *e with "prefix: " (for origin paths). */
void pb_perror_prefix(struct pb_perror *e, const char *fmt, ...) PB_PRINTF_P(2, 3);
