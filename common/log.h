/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Logging to stderr, systemd style ("<N>" priority prefixes when
 * JOURNAL_STREAM is set, plain otherwise). */
#pragma once

#include "pb-util.h"
#include <syslog.h>

void pb_log(int prio, const char *fmt, ...) PB_PRINTF(2, 3);
void pb_log_set_level(int max_prio);

#define pb_err(...) pb_log(LOG_ERR, __VA_ARGS__)
#define pb_warn(...) pb_log(LOG_WARNING, __VA_ARGS__)
#define pb_info(...) pb_log(LOG_INFO, __VA_ARGS__)
#define pb_debug(...) pb_log(LOG_DEBUG, __VA_ARGS__)
