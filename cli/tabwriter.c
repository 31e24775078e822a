/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "tabwriter.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct line {
        char **cells; /* the last one is the text after the last tab */
        size_t n;
};

struct pb_tw {
        int minwidth, padding;
        struct line *lines;
        size_t n_lines, cap_lines;
        char *pending; /* text of the current, unterminated line */
        size_t *widths;
        size_t n_widths;
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

static void write_lines(struct pb_tw *tw, FILE *f, size_t from, size_t to)
{
        for (size_t i = from; i < to; i++) {
                const struct line *l = &tw->lines[i];
                for (size_t j = 0; j < l->n; j++) {
                        fputs(l->cells[j], f);
                        if (j + 1 < l->n && j < tw->n_widths) {
                                static const char spaces[] = "                                ";
                                size_t w = runes(l->cells[j]);
                                while (w < tw->widths[j]) {
                                        size_t k = tw->widths[j] - w;
                                        if (k > sizeof(spaces) - 1)
                                                k = sizeof(spaces) - 1;
                                        fwrite(spaces, 1, k, f);
                                        w += k;
                                }
                        }
                }
                fputc('\n', f);
        }
}

/* Lay out column `col` of lines [from, to), then the columns right of it, one
 * block of consecutive lines having the column at a time. */
static void format(struct pb_tw *tw, FILE *f, size_t from, size_t to, size_t col)
{
        size_t start = from;
        for (size_t i = from; i < to; i++) {
                if (col + 1 >= tw->lines[i].n)
                        continue;
                /* Lines before the block are done with the widths so far. */
                write_lines(tw, f, start, i);
                size_t width = (size_t)tw->minwidth, j = i;
                for (; j < to && col + 1 < tw->lines[j].n; j++) {
                        size_t w = runes(tw->lines[j].cells[col]) + (size_t)tw->padding;
                        if (w > width)
                                width = w;
                }
                size_t *nw = realloc(tw->widths, (col + 1) * sizeof(*nw));
                if (!nw)
                        abort();
                tw->widths = nw;
                tw->widths[col] = width;
                tw->n_widths = col + 1;
                format(tw, f, i, j, col + 1);
                tw->n_widths = col;
                start = j;
                i = j - 1;
        }
        write_lines(tw, f, start, to);
}

void pb_tw_flush(struct pb_tw *tw, FILE *f)
{
        if (tw->pending) {
                pb_tw_printf(tw, "\n");
        }
        tw->n_widths = 0;
        format(tw, f, 0, tw->n_lines, 0);
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
        }
        free(tw->lines);
        free(tw->pending);
        free(tw->widths);
        free(tw);
}
