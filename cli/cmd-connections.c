/* SPDX-License-Identifier: GPL-3.0-or-later */
/* plugboard connections [--all] [SNAP]  (snap's cmd_connections.go) */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

struct row {
        const char *iface;
        char determinant[160];
        char plug[160];
        char slot[160];
        const char *notes;
};

static bool is_system(const char *s)
{
        return s && (strcmp(s, "core") == 0 || strcmp(s, "snapd") == 0 || strcmp(s, "system") == 0);
}

static void endpoint(char *buf, size_t n, const char *snap, const char *name)
{
        snprintf(buf, n, "%s:%s", is_system(snap) ? "" : (snap ? snap : ""), name ? name : "");
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

static bool jbool(json_object *o, const char *k)
{
        json_object *v;
        return json_object_object_get_ex(o, k, &v) && json_object_get_boolean(v);
}

static size_t jlen(json_object *o, const char *k)
{
        json_object *v;
        if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_array))
                return 0;
        return json_object_array_length(v);
}

static json_object *jarr(json_object *o, const char *k)
{
        json_object *v;
        if (!o || !json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_array))
                return NULL;
        return v;
}

/* content[<attr>] for the content interface (interfaceDeterminant). */
static void determinant(json_object *conn, char *buf, size_t n)
{
        buf[0] = '\0';
        const char *iface = pb_jstr(conn, "interface");
        if (!iface || strcmp(iface, "content") != 0)
                return;
        json_object *pa = NULL, *sa = NULL;
        json_object_object_get_ex(conn, "plug-attrs", &pa);
        json_object_object_get_ex(conn, "slot-attrs", &sa);
        const char *v = pb_jstr(pa, "content");
        if (!v || !*v)
                v = pb_jstr(sa, "content");
        if (v && *v)
                snprintf(buf, n, "[%s]", v);
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
                char *q = pb_query_escape(wanted);
                snprintf(path, sizeof(path), "/v2/connections?select=all&snap=%s", q ? q : "");
                free(q);
                all = true;
        } else {
                snprintf(path, sizeof(path), "/v2/connections%s", all ? "?select=all" : "");
        }
        struct pb_reply r;
        int rc = pb_sync("GET", path, NULL, &r);
        if (rc < 0) {
                free(pos);
                return -rc;
        }
        json_object *res = r.result;
        if (jlen(res, "plugs") == 0 && jlen(res, "slots") == 0) {
                pb_reply_clear(&r);
                free(pos);
                return PB_EXIT_OK;
        }
        json_object *est = jarr(res, "established"), *plugs = jarr(res, "plugs"),
                    *slots = jarr(res, "slots");
        size_t cap = (est ? json_object_array_length(est) : 0) +
                     (plugs ? json_object_array_length(plugs) : 0) +
                     (slots ? json_object_array_length(slots) : 0);
        struct row *rows = calloc(cap + 1, sizeof(*rows));
        size_t n = 0;
        for (size_t i = 0; est && i < json_object_array_length(est); i++) {
                json_object *c = json_object_array_get_idx(est, i), *p = NULL, *s = NULL;
                json_object_object_get_ex(c, "plug", &p);
                json_object_object_get_ex(c, "slot", &s);
                struct row *rw = &rows[n++];
                rw->iface = pb_jstr(c, "interface") ? pb_jstr(c, "interface") : "";
                determinant(c, rw->determinant, sizeof(rw->determinant));
                endpoint(rw->plug, sizeof(rw->plug), pb_jstr(p, "snap"), pb_jstr(p, "plug"));
                endpoint(rw->slot, sizeof(rw->slot), pb_jstr(s, "snap"), pb_jstr(s, "slot"));
                bool manual = jbool(c, "manual"), gadget = jbool(c, "gadget");
                rw->notes = manual && gadget ? "manual,gadget"
                            : manual         ? "manual"
                            : gadget         ? "gadget"
                                             : "-";
        }
        for (size_t i = 0; all && plugs && i < json_object_array_length(plugs); i++) {
                json_object *p = json_object_array_get_idx(plugs, i);
                if (jlen(p, "connections"))
                        continue;
                struct row *rw = &rows[n++];
                rw->iface = pb_jstr(p, "interface") ? pb_jstr(p, "interface") : "";
                endpoint(rw->plug, sizeof(rw->plug), pb_jstr(p, "snap"), pb_jstr(p, "plug"));
                snprintf(rw->slot, sizeof(rw->slot), "-");
                rw->notes = "-";
        }
        for (size_t i = 0; slots && i < json_object_array_length(slots); i++) {
                json_object *s = json_object_array_get_idx(slots, i);
                /* Unconnected system slots are boring unless asked for. */
                if (!is_system(wanted) && is_system(pb_jstr(s, "snap")))
                        continue;
                if (!all || jlen(s, "connections"))
                        continue;
                struct row *rw = &rows[n++];
                rw->iface = pb_jstr(s, "interface") ? pb_jstr(s, "interface") : "";
                snprintf(rw->plug, sizeof(rw->plug), "-");
                endpoint(rw->slot, sizeof(rw->slot), pb_jstr(s, "snap"), pb_jstr(s, "slot"));
                rw->notes = "-";
        }
        qsort(rows, n, sizeof(*rows), cmp_row);
        if (n > 0) {
                struct pb_tw *tw = pb_tw_new(5, 2);
                pb_tw_printf(tw, "Interface\tPlug\tSlot\tNotes\n");
                for (size_t i = 0; i < n; i++)
                        pb_tw_printf(tw, "%s%s\t%s\t%s\t%s\n", rows[i].iface, rows[i].determinant,
                                     rows[i].plug, rows[i].slot, rows[i].notes);
                pb_tw_flush(tw, stdout);
        }
        free(rows);
        pb_reply_clear(&r);
        free(pos);
        return PB_EXIT_OK;
}
