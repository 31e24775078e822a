/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "perror.h"

#include <stdio.h>
#include <string.h>

int pb_perror_set(struct pb_perror *e, int code, int status, const char *kind, const char *value,
                  const char *fmt, ...)
{
        if (e) {
                e->status = status;
                snprintf(e->kind, sizeof(e->kind), "%s", kind ? kind : "");
                snprintf(e->value, sizeof(e->value), "%s", value ? value : "");
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
                va_end(ap);
        }
        return -code;
}

void pb_perror_prefix(struct pb_perror *e, const char *fmt, ...)
{
        if (!e)
                return;
        char prefix[256], old[sizeof(e->msg)];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof(prefix), fmt, ap);
        va_end(ap);
        memcpy(old, e->msg, sizeof(old));
        /* Truncation is acceptable for a message; build it piecewise to say so. */
        size_t n = strlen(prefix);
        if (n > sizeof(e->msg) - 3)
                n = sizeof(e->msg) - 3;
        memcpy(e->msg, prefix, n);
        memcpy(e->msg + n, ": ", 2);
        size_t rest = sizeof(e->msg) - n - 3;
        size_t olen = strnlen(old, rest);
        memcpy(e->msg + n + 2, old, olen);
        e->msg[n + 2 + olen] = '\0';
}
