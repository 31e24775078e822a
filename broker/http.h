/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The HTTP/1.1 server of the API (libmicrohttpd on UNIX sockets). */
#pragma once

#include "broker.h"

/* Bodies larger than this are refused with 413 and never buffered. */
#define PB_HTTP_MAX_BODY (64 * 1024)

struct pb_http;

/* Serve the routes on each already listening socket fd in fds[0..n). */
int pb_http_start(struct pb_broker *b, const int *fds, size_t n, struct pb_http **out,
                  struct pb_error *err);
void pb_http_stop(struct pb_http *h);
