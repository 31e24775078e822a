/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Go's text/tabwriter (as snap uses it), for byte-identical tables: cells end
 * in '\t', the text after a line's last tab is not part of a column, columns
 * are laid out per block of consecutive lines that have that column, and a
 * column is max(minwidth, widest cell + padding) wide. Widths count runes.
 */
#pragma once

#include <stdio.h>

struct pb_tw;

struct pb_tw *pb_tw_new(int minwidth, int padding);
/* Append text (may contain several lines; a line ends in '\n'). */
void pb_tw_printf(struct pb_tw *tw, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append one line of n cells (the last one is the text after the last tab),
 * borrowing the strings: they must stay valid until pb_tw_flush/free. No
 * formatting, no copy: for big tables. */
void pb_tw_row_ref(struct pb_tw *tw, const char *const *cells, size_t n);
/* Write everything to f and free tw. */
void pb_tw_flush(struct pb_tw *tw, FILE *f);
void pb_tw_free(struct pb_tw *tw);
