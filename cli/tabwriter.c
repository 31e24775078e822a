/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "tabwriter.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct line {
        char **cells;  /* the last one is the text after the last tab */
        size_t *width; /* of each cell, in runes (computed once) */
        size_t n;
};

struct pb_tw {
        int minwidth, padding;
        struct line *lines;
        size_t n_lines, cap_lines;
        char *pending; /* text of the current, unterminated line */
        size_t *widths;
        size_t n_widths;
        char *out; /* the laid-out text, written with one fwrite */
        size_t out_len, out_cap;
};

struct pb_tw *pb_tw_new(int minwidth, int padding)
{
        struct pb_tw *tw = calloc(1, sizeof(*tw));
        if (tw) {
                tw->minwidth = minwidth;
                tw->padding = padding;
        }
        return tw;
}

static size_t runes(const char *s)
{
        size_t n = 0;
        for (; *s; s++)
                if (((unsigned char)*s & 0xC0) != 0x80)
                        n++;
        return n;
}

static void append_line(struct pb_tw *tw, struct line l)
{
        l.width = malloc((l.n + 1) * sizeof(*l.width));
        if (!l.width)
                abort();
        for (size_t j = 0; j < l.n; j++)
                l.width[j] = runes(l.cells[j]);
        if (tw->n_lines == tw->cap_lines) {
                size_t ncap = tw->cap_lines ? tw->cap_lines * 2 : 64;
                struct line *nl = realloc(tw->lines, ncap * sizeof(*nl));
                if (!nl)
                        abort();
                tw->lines = nl;
                tw->cap_lines = ncap;
        }
        tw->lines[tw->n_lines++] = l;
}

static void add_line(struct pb_tw *tw, const char *text, size_t len)
{
        struct line l = {0};
        const char *p = text, *end = text + len;
        for (;;) {
                const char *tab = memchr(p, '\t', (size_t)(end - p));
                const char *stop = tab ? tab : end;
                char **nc = realloc(l.cells, (l.n + 1) * sizeof(*nc));
                if (!nc)
                        abort();
                l.cells = nc;
                l.cells[l.n++] = strndup(p, (size_t)(stop - p));
                if (!tab)
                        break;
                p = tab + 1;
        }
        append_line(tw, l);
}

void pb_tw_row_take(struct pb_tw *tw, char **cells, size_t n)
{
        struct line l = {.cells = malloc(n * sizeof(char *)), .n = n};
        if (!l.cells)
                abort();
        memcpy(l.cells, cells, n * sizeof(char *));
        append_line(tw, l);
}

void pb_tw_printf(struct pb_tw *tw, const char *fmt, ...)
{
        char *s = NULL;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                abort();
        char *all = NULL;
        if (asprintf(&all, "%s%s", tw->pending ? tw->pending : "", s) < 0)
                abort();
        free(s);
        free(tw->pending);
        tw->pending = NULL;
        char *p = all;
        for (char *nl; (nl = strchr(p, '\n')); p = nl + 1)
                add_line(tw, p, (size_t)(nl - p));
        if (*p)
                tw->pending = strdup(p);
        free(all);
}

static void out_put(struct pb_tw *tw, const char *s, size_t n)
{
        if (tw->out_len + n > tw->out_cap) {
                size_t ncap = tw->out_cap ? tw->out_cap : 1 << 16;
                while (ncap < tw->out_len + n)
                        ncap *= 2;
                char *p = realloc(tw->out, ncap);
                if (!p)
                        abort();
                tw->out = p;
                tw->out_cap = ncap;
        }
        memcpy(tw->out + tw->out_len, s, n);
        tw->out_len += n;
}

static void write_lines(struct pb_tw *tw, size_t from, size_t to)
{
        static const char spaces[] = "                                ";
        for (size_t i = from; i < to; i++) {
                const struct line *l = &tw->lines[i];
                for (size_t j = 0; j < l->n; j++) {
                        out_put(tw, l->cells[j], strlen(l->cells[j]));
                        if (j + 1 < l->n && j < tw->n_widths) {
                                for (size_t w = l->width[j]; w < tw->widths[j];) {
                                        size_t k = tw->widths[j] - w;
                                        if (k > sizeof(spaces) - 1)
                                                k = sizeof(spaces) - 1;
                                        out_put(tw, spaces, k);
                                        w += k;
                                }
                        }
                }
                out_put(tw, "\n", 1);
        }
}

/* Lay out column `col` of lines [from, to), then the columns right of it, one
 * block of consecutive lines having the column at a time. */
static void format(struct pb_tw *tw, size_t from, size_t to, size_t col)
{
        size_t start = from;
        for (size_t i = from; i < to; i++) {
                if (col + 1 >= tw->lines[i].n)
                        continue;
                /* Lines before the block are done with the widths so far. */
                write_lines(tw, start, i);
                size_t width = (size_t)tw->minwidth, j = i;
                for (; j < to && col + 1 < tw->lines[j].n; j++) {
                        size_t w = tw->lines[j].width[col] + (size_t)tw->padding;
                        if (w > width)
                                width = w;
                }
                size_t *nw = realloc(tw->widths, (col + 1) * sizeof(*nw));
                if (!nw)
                        abort();
                tw->widths = nw;
                tw->widths[col] = width;
                tw->n_widths = col + 1;
                format(tw, i, j, col + 1);
                tw->n_widths = col;
                start = j;
                i = j - 1;
        }
        write_lines(tw, start, to);
}

void pb_tw_flush(struct pb_tw *tw, FILE *f)
{
        if (tw->pending) {
                pb_tw_printf(tw, "\n");
        }
        tw->n_widths = 0;
        format(tw, 0, tw->n_lines, 0);
        if (tw->out_len)
                fwrite(tw->out, 1, tw->out_len, f);
        pb_tw_free(tw);
}

void pb_tw_free(struct pb_tw *tw)
{
        if (!tw)
                return;
        for (size_t i = 0; i < tw->n_lines; i++) {
                for (size_t j = 0; j < tw->lines[i].n; j++)
                        free(tw->lines[i].cells[j]);
                free(tw->lines[i].cells);
                free(tw->lines[i].width);
        }
        free(tw->lines);
        free(tw->pending);
        free(tw->widths);
        free(tw->out);
        free(tw);
}
