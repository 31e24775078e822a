/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "log.h"

#include <string.h>

static int max_level = LOG_INFO;

void pb_log_set_level(int max_prio)
{
	max_level = max_prio;
}

void pb_log(int prio, const char *fmt, ...)
{
	if (prio > max_level)
		return;
	int saved = errno;
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* One write per line so lines from threads never interleave. */
	if (getenv("JOURNAL_STREAM"))
		dprintf(STDERR_FILENO, "<%d>%s\n", prio, buf);
	else
		dprintf(STDERR_FILENO, "%s\n", buf);
	errno = saved;
}

int pb_error_set(struct pb_error *err, int code, const char *fmt, ...)
{
	if (code < 0)
		code = -code;
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->code = code;
	}
	return -code;
}
