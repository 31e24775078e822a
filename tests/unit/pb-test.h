/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A minimal TAP producer for the C unit tests (meson's 'tap' protocol). */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int pb_test_count, pb_test_failed;

#define PB_CHECK(cond)                                                                      \
	do {                                                                                \
		pb_test_count++;                                                            \
		if (cond) {                                                                 \
			printf("ok %d - %s\n", pb_test_count, #cond);                      \
		} else {                                                                    \
			pb_test_failed++;                                                   \
			printf("not ok %d - %s (%s:%d)\n", pb_test_count, #cond, __FILE__, \
			       __LINE__);                                                   \
		}                                                                           \
	} while (0)

#define PB_CHECK_STR(a, b)                                                                    \
	do {                                                                                  \
		const char *a_ = (a), *b_ = (b);                                              \
		pb_test_count++;                                                              \
		if (a_ && b_ && strcmp(a_, b_) == 0) {                                        \
			printf("ok %d - %s == \"%s\"\n", pb_test_count, #a, b_);              \
		} else {                                                                      \
			pb_test_failed++;                                                     \
			printf("not ok %d - %s: got \"%s\", want \"%s\" (%s:%d)\n",           \
			       pb_test_count, #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)",     \
			       __FILE__, __LINE__);                                           \
		}                                                                             \
	} while (0)

static inline int pb_test_done(void)
{
	printf("1..%d\n", pb_test_count);
	return pb_test_failed ? 1 : 0;
}
