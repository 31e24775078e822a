/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * plugboard connections [--all] [SNAP]  (snap's cmd_connections.go).
 * The listing can be megabytes (10,000 connections): it is read with the
 * allocation-free scanner (jscan.h), not json-c.
 */
#include "cli.h"
#include "jscan.h"

#include <stdlib.h>
#include <string.h>

struct row {
        char *iface;
        char *determinant; /* "[content]" or "" */
        char *plug;
        char *slot;
        const char *notes;
};

static bool is_system(const char *s)
{
        return s && (strcmp(s, "core") == 0 || strcmp(s, "snapd") == 0 || strcmp(s, "system") == 0);
}

/* "snap:name", or ":name" for the system snap; one allocation, no
 * intermediate copies (10,000 rows). */
static char *endpoint(const struct pb_jdoc *d, size_t obj, const char *namekey)
{
        size_t si = pb_jget(d, obj, "snap"), ni = pb_jget(d, obj, namekey);
        char *out = malloc(pb_jrawlen(d, si) + pb_jrawlen(d, ni) + 2);
        if (!out)
                return NULL;
        size_t n = pb_jdecode(d, si, out);
        out[n] = '\0';
        if (is_system(out))
                n = 0;
        out[n++] = ':';
        n += pb_jdecode(d, ni, out + n);
        out[n] = '\0';
        return out;
}

static int cmp_row(const void *a, const void *b)
{
        const struct row *x = a, *y = b;
        int c = strcmp(x->iface, y->iface);
        if (c)
                return c;
        c = strcmp(x->plug, y->plug);
        return c ? c : strcmp(x->slot, y->slot);
}

static size_t count(const struct pb_jdoc *d, size_t i)
{
        return i && d->tok[i].type == PB_J_ARRAY ? d->tok[i].count : 0;
}

/* content[<attr>] for the content interface (snap's interfaceDeterminant). */
static char *determinant(const struct pb_jdoc *d, size_t conn, const char *iface)
{
        char *out = NULL;
        if (strcmp(iface, "content") == 0) {
                char *v = pb_jstrdup(d, pb_jget(d, pb_jget(d, conn, "plug-attrs"), "content"));
                if (!v || !*v) {
                        free(v);
                        v = pb_jstrdup(d, pb_jget(d, pb_jget(d, conn, "slot-attrs"), "content"));
                }
                if (v && *v && asprintf(&out, "[%s]", v) < 0)
                        out = NULL;
                free(v);
        }
        return out ? out : strdup("");
}

static char *str_or_empty(const struct pb_jdoc *d, size_t i)
{
        char *s = pb_jstrdup(d, i);
        return s ? s : strdup("");
}

static int render(const struct pb_jdoc *d, size_t res, const char *wanted, bool all)
{
        size_t est = pb_jget(d, res, "established"), plugs = pb_jget(d, res, "plugs"),
               slots = pb_jget(d, res, "slots");
        if (count(d, plugs) == 0 && count(d, slots) == 0)
                return PB_EXIT_OK;
        size_t cap = count(d, est) + count(d, plugs) + count(d, slots), n = 0;
        struct row *rows = calloc(cap + 1, sizeof(*rows));
        if (!rows)
                return pb_fail("out of memory");
        for (size_t c = count(d, est) ? pb_jfirst(d, est) : 0, k = 0; k < count(d, est);
             k++, c = pb_jnext(d, c)) {
                struct row *rw = &rows[n++];
                rw->iface = str_or_empty(d, pb_jget(d, c, "interface"));
                rw->determinant = determinant(d, c, rw->iface);
                rw->plug = endpoint(d, pb_jget(d, c, "plug"), "plug");
                rw->slot = endpoint(d, pb_jget(d, c, "slot"), "slot");
                bool manual = pb_jtrue(d, pb_jget(d, c, "manual"));
                bool gadget = pb_jtrue(d, pb_jget(d, c, "gadget"));
                rw->notes = manual && gadget ? "manual,gadget"
                            : manual         ? "manual"
                            : gadget         ? "gadget"
                                             : "-";
        }
        for (size_t p = count(d, plugs) ? pb_jfirst(d, plugs) : 0, k = 0; k < count(d, plugs);
             k++, p = pb_jnext(d, p)) {
                if (!all || count(d, pb_jget(d, p, "connections")))
                        continue;
                struct row *rw = &rows[n++];
                rw->iface = str_or_empty(d, pb_jget(d, p, "interface"));
                rw->determinant = strdup("");
                rw->plug = endpoint(d, p, "plug");
                rw->slot = strdup("-");
                rw->notes = "-";
        }
        for (size_t s = count(d, slots) ? pb_jfirst(d, slots) : 0, k = 0; k < count(d, slots);
             k++, s = pb_jnext(d, s)) {
                if (!all || count(d, pb_jget(d, s, "connections")))
                        continue;
                /* Unconnected system slots are boring unless asked for. */
                char *snap = pb_jstrdup(d, pb_jget(d, s, "snap"));
                bool skip = !is_system(wanted) && is_system(snap);
                free(snap);
                if (skip)
                        continue;
                struct row *rw = &rows[n++];
                rw->iface = str_or_empty(d, pb_jget(d, s, "interface"));
                rw->determinant = strdup("");
                rw->plug = strdup("-");
                rw->slot = endpoint(d, s, "slot");
                rw->notes = "-";
        }
        for (size_t i = 0; i < n; i++)
                if (!rows[i].iface || !rows[i].determinant || !rows[i].plug || !rows[i].slot)
                        return pb_fail("out of memory");
        qsort(rows, n, sizeof(*rows), cmp_row);
        if (n > 0) {
                struct pb_tw *tw = pb_tw_new(5, 2);
                pb_tw_printf(tw, "Interface\tPlug\tSlot\tNotes\n");
                for (size_t i = 0; i < n; i++) {
                        char *iface = rows[i].iface;
                        if (*rows[i].determinant &&
                            asprintf(&iface, "%s%s", rows[i].iface, rows[i].determinant) < 0)
                                abort();
                        if (iface != rows[i].iface)
                                free(rows[i].iface);
                        char *cells[] = {iface, rows[i].plug, rows[i].slot, strdup(rows[i].notes)};
                        if (!cells[3])
                                abort();
                        pb_tw_row_take(tw, cells, 4); /* the table owns them now */
                        free(rows[i].determinant);
                }
                pb_tw_flush(tw, stdout);
        } else {
                for (size_t i = 0; i < n; i++) {
                        free(rows[i].iface);
                        free(rows[i].determinant);
                        free(rows[i].plug);
                        free(rows[i].slot);
                }
        }
        free(rows);
        return PB_EXIT_OK;
}

int pb_cmd_connections(int argc, char **argv)
{
        bool all = false;
        const struct pb_opt opts[] = {{"all", &all}, {NULL, NULL}};
        char **pos = NULL;
        int npos = 0;
        if (pb_parse_args(argc, argv, opts, &pos, &npos) < 0)
                return PB_EXIT_USAGE;
        if (npos > 1) {
                free(pos);
                return pb_fail("too many arguments for command");
        }
        const char *wanted = npos ? pos[0] : "";
        char path[512];
        if (*wanted) {
                if (all) {
                        free(pos);
                        return pb_fail("cannot use --all with snap name");
                }
                /* naming a snap implies --all */
                char *q = pb_query_escape(wanted);
                snprintf(path, sizeof(path), "/v2/connections?select=all&snap=%s", q ? q : "");
                free(q);
                all = true;
        } else {
                snprintf(path, sizeof(path), "/v2/connections%s", all ? "?select=all" : "");
        }
        int status = 0, rc;
        char *buf = NULL, *body = NULL;
        size_t len = 0;
        if (pb_request_text("GET", path, &status, &buf, &body, &len) < 0) {
                free(pos);
                return PB_EXIT_ERR;
        }
        struct pb_jdoc d;
        if (pb_jparse(body, len, &d) < 0 || d.tok[0].type != PB_J_OBJECT) {
                rc = pb_fail("cannot communicate with server: malformed response");
        } else {
                char *type = pb_jstrdup(&d, pb_jget(&d, 0, "type"));
                if (type && strcmp(type, "sync") == 0) {
                        rc = render(&d, pb_jget(&d, 0, "result"), wanted, all);
                } else {
                        struct pb_reply r = {0};
                        rc = pb_reply_parse_body(body, &r) < 0 ? pb_fail("malformed error response")
                                                               : pb_reply_error(&r);
                        pb_reply_clear(&r);
                }
                free(type);
                pb_jfree(&d);
        }
        free(buf);
        free(pos);
        return rc;
}
