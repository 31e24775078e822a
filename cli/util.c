/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Argument parsing, error printing, time formatting shared by the commands. */
#include "cli.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

const char *pb_jstr(json_object *o, const char *key)
{
        json_object *v = NULL;
        if (!o || !json_object_object_get_ex(o, key, &v) ||
            !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

size_t pb_result_len(const struct pb_reply *r)
{
        return r->result && json_object_is_type(r->result, json_type_array)
                   ? json_object_array_length(r->result)
                   : 0;
}

static void __attribute__((format(printf, 1, 0))) print_error(const char *fmt, va_list ap)
{
        fputs("error: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
}

int pb_usage_error(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        print_error(fmt, ap);
        va_end(ap);
        return PB_EXIT_USAGE;
}

int pb_fail(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        print_error(fmt, ap);
        va_end(ap);
        return PB_EXIT_ERR;
}

int pb_parse_args(int argc, char **argv, const struct pb_opt *opts, char ***pos, int *npos)
{
        char **p = calloc((size_t)argc + 1, sizeof(*p));
        if (!p)
                return -1;
        int n = 0;
        bool only_pos = false;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (only_pos || a[0] != '-' || a[1] == '\0') {
                        p[n++] = argv[i];
                        continue;
                }
                if (strcmp(a, "--") == 0) {
                        only_pos = true;
                        continue;
                }
                const char *name = a[1] == '-' ? a + 2 : a + 1;
                bool found = false;
                for (const struct pb_opt *o = opts; o && o->name; o++) {
                        if (strcmp(o->name, name) == 0) {
                                *o->flag = true;
                                found = true;
                        }
                }
                if (!found) {
                        /* go-flags names the flag without its dashes. */
                        fprintf(stderr, "error: unknown flag `%s'\n", name);
                        free(p);
                        return -1;
                }
        }
        *pos = p;
        *npos = n;
        return 0;
}

int pb_parse_no_args(int argc, char **argv)
{
        char **pos = NULL;
        int npos = 0;
        if (pb_parse_args(argc, argv, NULL, &pos, &npos) < 0)
                return PB_EXIT_USAGE;
        free(pos);
        if (npos > 0)
                return pb_fail("too many arguments for command");
        return PB_EXIT_OK;
}

static int term_width(void)
{
        /* As snap's termSize(): stdout's terminal, else $COLUMNS, at least
         * 40 (else 80), at most 100; minus one for terminals that wrap in
         * the last column. */
        struct winsize ws = {0};
        int w = 0;
        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
                w = ws.ws_col;
        if (w <= 0) {
                const char *c = getenv("COLUMNS");
                w = c ? atoi(c) : 0;
        }
        if (w < 40)
                w = 80;
        if (w > 100)
                w = 100;
        return w - 1;
}

/* A line's cost, as Go's go/doc/comment wraps (the text printer that
 * snap's fill() uses since Go 1.19): lexicographic (over, under), where a line
 * longer than max costs its overflow squared in `over`, other lines the
 * leftover squared plus 64 unless the line ends in . , : ; — and the last line
 * nothing if it fits. Minimised over all break points by dynamic programming. */
struct cost {
        long long over, under;
};

static bool cost_less_eq(struct cost a, struct cost b)
{
        return a.over < b.over || (a.over == b.over && a.under <= b.under);
}

static size_t utf8_len(const char *s, size_t n)
{
        size_t r = 0;
        for (size_t i = 0; i < n; i++)
                if (((unsigned char)s[i] & 0xC0) != 0x80)
                        r++;
        return r;
}

char *pb_fill(const char *msg, int indent)
{
        long long max = term_width() - indent;
        /* words: strings.Fields */
        size_t n = 0, cap = 16;
        const char **w = malloc(cap * sizeof(*w));
        size_t *wl = malloc(cap * sizeof(*wl)), *wr = malloc(cap * sizeof(*wr));
        if (!w || !wl || !wr)
                goto oom;
        for (const char *p = msg; *p;) {
                while (*p && isspace((unsigned char)*p))
                        p++;
                if (!*p)
                        break;
                const char *start = p;
                while (*p && !isspace((unsigned char)*p))
                        p++;
                if (n == cap) {
                        cap *= 2;
                        const char **nw = realloc(w, cap * sizeof(*w));
                        if (nw)
                                w = nw;
                        size_t *nl = realloc(wl, cap * sizeof(*wl));
                        if (nl)
                                wl = nl;
                        size_t *nr = realloc(wr, cap * sizeof(*wr));
                        if (nr)
                                wr = nr;
                        if (!nw || !nl || !nr)
                                goto oom;
                }
                w[n] = start;
                wl[n] = (size_t)(p - start);
                wr[n] = utf8_len(start, wl[n]);
                n++;
        }
        {
                /* best[j]: least cost of words[0..j); from[j]: start of its last line */
                struct cost *best = calloc(n + 1, sizeof(*best));
                size_t *from = calloc(n + 1, sizeof(*from));
                if (!best || !from) {
                        free(best);
                        free(from);
                        goto oom;
                }
                for (size_t j = 1; j <= n; j++) {
                        long long width = -1;
                        bool have = false;
                        for (size_t i = j; i-- > 0;) {
                                width += (long long)wr[i] + 1;
                                struct cost c = best[i];
                                if (!(j == n && width <= max)) {
                                        char last = w[j - 1][wl[j - 1] - 1];
                                        long long pen = strchr(".,:;", last) && last ? 0 : 64;
                                        long long v = (max - width) * (max - width);
                                        if (width > max) {
                                                c.over += v;
                                                c.under += pen;
                                        } else {
                                                c.under += v + pen;
                                        }
                                }
                                /* on equal cost, the later break wins */
                                if (!have || (cost_less_eq(c, best[j]) &&
                                              !(c.over == best[j].over &&
                                                c.under == best[j].under && i < from[j]))) {
                                        best[j] = c;
                                        from[j] = i;
                                        have = true;
                                }
                        }
                }
                /* lines, last to first */
                size_t *starts = calloc(n + 1, sizeof(*starts)), k = 0;
                for (size_t j = n; j > 0; j = from[j])
                        starts[k++] = from[j];
                size_t total = strlen(msg) + (k + 1) * ((size_t)indent + 1) + 1;
                char *out = malloc(total), *o = out;
                if (out) {
                        for (size_t line = k; line-- > 0;) {
                                size_t a = starts[line], b = line ? starts[line - 1] : n;
                                if (line != k - 1) {
                                        *o++ = '\n';
                                        memset(o, ' ', (size_t)indent);
                                        o += indent;
                                }
                                for (size_t x = a; x < b; x++) {
                                        if (x > a)
                                                *o++ = ' ';
                                        memcpy(o, w[x], wl[x]);
                                        o += wl[x];
                                }
                        }
                        *o = '\0';
                }
                free(starts);
                free(best);
                free(from);
                free(w);
                free(wl);
                free(wr);
                return out;
        }
oom:
        free(w);
        free(wl);
        free(wr);
        return NULL;
}

int pb_reply_error(const struct pb_reply *r)
{
        const char *msg = r->message && *r->message ? r->message : NULL;
        char buf[1024];
        int rc = PB_EXIT_ERR;
        if (!msg) {
                snprintf(buf, sizeof(buf), "server error: \"%s\"",
                         pb_jstr(r->doc, "status") ? pb_jstr(r->doc, "status") : "");
                fprintf(stderr, "error: %s\n", buf);
                return rc;
        }
        const char *kind = r->kind ? r->kind : "";
        if (strcmp(kind, "snap-change-conflict") == 0) {
                /* Retryable errors are passed through unfilled. */
                fprintf(stderr, "error: %s\n", msg);
                return PB_EXIT_RETRY;
        }
        if (strcmp(kind, "snap-not-found") == 0 && r->value && *r->value) {
                snprintf(buf, sizeof(buf), "snap \"%s\" not found", r->value);
                msg = buf;
        } else if (strcmp(kind, "login-required") == 0) {
                snprintf(buf, sizeof(buf),
                         getuid() == 0 ? "%s (see 'plugboard help')" : "%s (try with sudo)",
                         r->message);
                msg = buf;
        }
        char *filled = pb_fill(msg, 7);
        fprintf(stderr, "error: %s\n", filled ? filled : msg);
        free(filled);
        return rc;
}

int pb_sync(const char *method, const char *path, const char *body, struct pb_reply *out)
{
        if (pb_request(method, path, body, out) < 0)
                return -PB_EXIT_ERR;
        if (out->type && strcmp(out->type, "error") == 0) {
                int rc = pb_reply_error(out);
                pb_reply_clear(out);
                return -rc;
        }
        if (!out->type || strcmp(out->type, "sync") != 0) {
                fprintf(stderr, "error: expected sync response, got \"%s\"\n",
                        out->type ? out->type : "");
                pb_reply_clear(out);
                return -PB_EXIT_ERR;
        }
        return 0;
}

char *pb_query_escape(const char *s)
{
        static const char hex[] = "0123456789ABCDEF";
        char *out = malloc(strlen(s) * 3 + 1), *o = out;
        if (!out)
                return NULL;
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
                        *o++ = (char)c;
                } else if (c == ' ') {
                        *o++ = '+';
                } else {
                        *o++ = '%';
                        *o++ = hex[c >> 4];
                        *o++ = hex[c & 15];
                }
        }
        *o = '\0';
        return out;
}

static time_t sod(time_t t)
{
        struct tm tm;
        localtime_r(&t, &tm);
        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        tm.tm_isdst = -1;
        return mktime(&tm);
}

void pb_human_time(const char *rfc3339, char *buf, size_t n)
{
        struct tm tm = {0};
        const char *rest = rfc3339 ? strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
        if (!rest) {
                snprintf(buf, n, "-");
                return;
        }
        time_t then = timegm(&tm);
        time_t now = time(NULL);
        /* Whole days between the two dates (local time), as Go's delta(). */
        double days = difftime(sod(then), sod(now)) / 86400.0;
        int d = (int)(days < 0 ? days - 0.5 : days + 0.5);
        struct tm lt;
        localtime_r(&then, &lt);
        char hm[64];
        strftime(hm, sizeof(hm), "%H:%M %Z", &lt);
        if (d < -60 || d > 60)
                strftime(buf, n, "%Y-%m-%d", &lt);
        else if (d < -1)
                snprintf(buf, n, "%d days ago, at %s", -d, hm);
        else if (d == -1)
                snprintf(buf, n, "yesterday at %s", hm);
        else if (d == 0)
                snprintf(buf, n, "today at %s", hm);
        else if (d == 1)
                snprintf(buf, n, "tomorrow at %s", hm);
        else
                snprintf(buf, n, "in %d days, at %s", d, hm);
}
