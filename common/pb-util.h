/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Small helpers shared by every part except policy/ (which stays free of
 * dependencies): cleanup attributes, steal_pointer, the error value.
 *
 * Error convention (docs/ARCHITECTURE.md): a function that can fail returns
 * 0 or a negative errno and, when given a struct pb_error, writes a message a
 * user can act on. The long-lived daemon never exits on bad input.
 */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define PB_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define PB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t pb_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void pb_freep(void *p)
{
	free(*(void **)p);
}
static inline void pb_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void pb_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
static inline void pb_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}
static inline void pb_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}
static inline void pb_strv_freep(char ***v)
{
	pb_strv_free(*v);
}

#define _cleanup_free_ __attribute__((cleanup(pb_freep)))
#define _cleanup_fd_ __attribute__((cleanup(pb_closep)))
#define _cleanup_file_ __attribute__((cleanup(pb_fclosep)))
#define _cleanup_dir_ __attribute__((cleanup(pb_closedirp)))
#define _cleanup_strv_ __attribute__((cleanup(pb_strv_freep)))

static inline void *pb_steal_pointer(void *pp)
{
	void **p = pp;
	void *v = *p;
	*p = NULL;
	return v;
}
#define steal_pointer(pp) ((__typeof__(*(pp)))pb_steal_pointer(pp))

static inline int pb_steal_fd(int *fd)
{
	int v = *fd;
	*fd = -1;
	return v;
}

/* An error value: negative errno plus a message for the user. */
struct pb_error {
	int code;
	char msg[512];
};

/* Fill *err (if given) and return -code. */
int pb_error_set(struct pb_error *err, int code, const char *fmt, ...) PB_PRINTF(3, 4);
