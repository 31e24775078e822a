/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "tabwriter.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Lines index into shared cell and width vectors: a 10,000-row table costs
 * no allocation per row. */
struct line {
        size_t first; /* its cells are cells[first .. first + n) */
        size_t n;     /* the last cell is the text after the last tab */
        bool owned;   /* its cells are malloc'd by us (else the caller's) */
};

struct pb_tw {
        int minwidth, padding;
        struct line *lines;
        size_t n_lines, cap_lines;
        const char **cells;
        size_t *cwidth; /* of each cell, in runes (computed once) */
        size_t n_cells, cap_cells;
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

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
        if (need <= *cap)
                return p;
        size_t ncap = *cap ? *cap : 64;
        while (ncap < need)
                ncap *= 2;
        p = realloc(p, ncap * size);
        if (!p)
                abort();
        *cap = ncap;
        return p;
}

/* Start a line; its cells are added with add_cell(). */
static void begin_line(struct pb_tw *tw, bool owned)
{
        tw->lines = grow(tw->lines, &tw->cap_lines, tw->n_lines + 1, sizeof(*tw->lines));
        tw->lines[tw->n_lines++] = (struct line){.first = tw->n_cells, .owned = owned};
}

static void add_cell(struct pb_tw *tw, const char *cell)
{
        if (tw->n_cells == tw->cap_cells) {
                size_t ncap = tw->cap_cells ? tw->cap_cells * 2 : 256;
                tw->cells = realloc(tw->cells, ncap * sizeof(*tw->cells));
                tw->cwidth = realloc(tw->cwidth, ncap * sizeof(*tw->cwidth));
                if (!tw->cells || !tw->cwidth)
                        abort();
                tw->cap_cells = ncap;
        }
        tw->cells[tw->n_cells] = cell;
        tw->cwidth[tw->n_cells++] = runes(cell);
        tw->lines[tw->n_lines - 1].n++;
}

static void add_line(struct pb_tw *tw, const char *text, size_t len)
{
        const char *p = text, *end = text + len;
        begin_line(tw, true);
        for (;;) {
                const char *tab = memchr(p, '\t', (size_t)(end - p));
                const char *stop = tab ? tab : end;
                char *cell = strndup(p, (size_t)(stop - p));
                if (!cell)
                        abort();
                add_cell(tw, cell);
                if (!tab)
                        break;
                p = tab + 1;
        }
}

void pb_tw_row_ref(struct pb_tw *tw, const char *const *cells, size_t n)
{
        begin_line(tw, false);
        for (size_t j = 0; j < n; j++)
                add_cell(tw, cells[j]);
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
                const char *const *cells = tw->cells + l->first;
                const size_t *cw = tw->cwidth + l->first;
                for (size_t j = 0; j < l->n; j++) {
                        out_put(tw, cells[j], strlen(cells[j]));
                        if (j + 1 < l->n && j < tw->n_widths) {
                                for (size_t w = cw[j]; w < tw->widths[j];) {
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
                        size_t w = tw->cwidth[tw->lines[j].first + col] + (size_t)tw->padding;
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
        for (size_t i = 0; i < tw->n_lines; i++)
                for (size_t j = 0; tw->lines[i].owned && j < tw->lines[i].n; j++)
                        free((char *)tw->cells[tw->lines[i].first + j]);
        free(tw->lines);
        free(tw->cells);
        free(tw->cwidth);
        free(tw->pending);
        free(tw->widths);
        free(tw->out);
        free(tw);
}
