/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The grant compiler (compile.h). Every rule comes from the interface files;
 * this file only knows how to evaluate conditions, expand variables and
 * attribute lists, and to fail closed: a rule whose expansion is not a clean
 * absolute path (or contains glob characters that came from an attribute) is
 * left out rather than widened.
 */
#include "compile.h"
#include "jsonutil.h"
#include "model-priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cctx {
        const struct pb_user *user;
        const char *snap;
        char revision[24];
        char uid[24];
};

/* Expand $HOME, $UID, $SNAP_NAME, $SNAP_REVISION and $ATTR into out. */
static int expand(const struct cctx *x, const char *tmpl, const char *attr, char *out, size_t size)
{
        size_t o = 0;
        for (const char *p = tmpl; *p;) {
                const char *val = NULL;
                size_t skip = 0;
                bool is_attr = false;
                if (*p == '$') {
                        static const char *const names[] = {"$HOME", "$UID", "$SNAP_NAME",
                                                            "$SNAP_REVISION", "$ATTR"};
                        const char *vals[] = {x->user->home, x->uid, x->snap, x->revision, attr};
                        for (size_t i = 0; i < 5; i++) {
                                size_t n = strlen(names[i]);
                                if (strncmp(p, names[i], n) == 0 &&
                                    !((p[n] >= 'A' && p[n] <= 'Z') || p[n] == '_')) {
                                        val = vals[i];
                                        skip = n;
                                        is_attr = i == 4;
                                        break;
                                }
                        }
                        if (!val)
                                return -EINVAL; /* unknown variable, or $ATTR where none is given */
                }
                if (!val) {
                        if (o + 1 >= size)
                                return -ENAMETOOLONG;
                        out[o++] = *p++;
                        continue;
                }
                char sub[4096];
                if (is_attr && strchr(val, '$')) {
                        /* An attribute's own variables ($HOME in personal-files) expand
                         * once, and only when the attribute is the whole template. */
                        if (strcmp(tmpl, "$ATTR") != 0 ||
                            expand(x, val, NULL, sub, sizeof(sub)) < 0)
                                return -EINVAL;
                        val = sub;
                }
                size_t n = strlen(val);
                if (o + n >= size)
                        return -ENAMETOOLONG;
                memcpy(out + o, val, n);
                o += n;
                p += skip;
        }
        out[o] = '\0';
        return 0;
}

static bool conds_hold(const struct pb_grant_rule *r, json_object *plug_attrs,
                       json_object *slot_attrs)
{
        for (size_t i = 0; i < r->n_conds; i++) {
                const struct pb_cond *c = &r->conds[i];
                json_object *attrs = c->slot_side ? slot_attrs : plug_attrs, *v = NULL;
                bool present = attrs && json_object_object_get_ex(attrs, c->attr, &v);
                bool hold = present && (!c->value || json_object_equal(c->value, v));
                if (hold == c->negate)
                        return false;
        }
        return true;
}

static int emit_one(struct pb_grants_builder *b, const struct cctx *x,
                    const struct pb_grant_rule *r, const char *attr, int ep)
{
        char buf[4096];
        if (attr && strpbrk(attr, "*?[]\\"))
                return 0; /* an attribute may name a path, never a pattern */
        if (expand(x, r->pattern, attr, buf, sizeof(buf)) < 0)
                return 0;
        if (r->kind == PB_RULE_PATH) {
                int ret = pb_grants_builder_add_path(b, buf, r->access, r->recursive, ep);
                return ret == -ENOMEM ? ret : 0;
        }
        const char *dev = buf;
        if (strncmp(dev, "/dev/", 5) == 0)
                dev += 5;
        else if (dev[0] == '/')
                return 0;
        if (strstr(dev, "..") || !*dev)
                return 0;
        int ret = pb_grants_builder_add_device(b, dev, r->access, ep);
        return ret == -ENOMEM ? ret : 0;
}

static int emit(struct pb_grants_builder *b, const struct cctx *x, const struct pb_interface *f,
                bool slot_side, json_object *plug_attrs, json_object *slot_attrs, int ep)
{
        for (size_t i = 0; i < f->n_rules; i++) {
                const struct pb_grant_rule *r = &f->rules[i];
                int ret = 0;
                if (r->slot_side != slot_side || !conds_hold(r, plug_attrs, slot_attrs))
                        continue;
                if (r->kind == PB_RULE_SERVICE) {
                        ret = pb_grants_builder_add_service(b, (enum pb_service)r->service, ep);
                } else if (!r->for_each) {
                        ret = emit_one(b, x, r, NULL, ep);
                } else {
                        json_object *attrs = r->for_each_slot ? slot_attrs : plug_attrs, *v = NULL;
                        if (!attrs || !json_object_object_get_ex(attrs, r->for_each, &v))
                                continue;
                        if (json_object_is_type(v, json_type_string)) {
                                ret = emit_one(b, x, r, json_object_get_string(v), ep);
                        } else if (json_object_is_type(v, json_type_array)) {
                                for (size_t k = 0; k < json_object_array_length(v) && ret == 0;
                                     k++) {
                                        json_object *e = json_object_array_get_idx(v, k);
                                        if (json_object_is_type(e, json_type_string))
                                                ret = emit_one(b, x, r, json_object_get_string(e),
                                                               ep);
                                }
                        }
                }
                if (ret < 0)
                        return ret;
        }
        return 0;
}

/* The rules of one plug or slot: per active connection (with that
 * connection's attributes), or once with its static attributes when it has
 * none, so the audit log can still name it. */
static int endpoint_rules(const struct pb_model *m, struct pb_grants_builder *b,
                          const struct cctx *x, const struct pb_snap_endpoint *e, bool is_slot)
{
        bool connected = pb_model_endpoint_connected(m, x->snap, e->name, is_slot);
        int ep = pb_grants_builder_add_endpoint(b, e->name, e->interface, is_slot, connected);
        if (ep < 0)
                return ep;
        const struct pb_interface *f = pb_catalogue_lookup(m->cat, e->interface);
        if (!f)
                return 0;
        if (!connected && is_slot)
                return emit(b, x, f, true, NULL, e->attrs, ep);
        if (!connected) {
                /* Unconnected rules grant nothing; they let the audit log name
                 * this plug. Rules that depend on the slot (serial-port's path)
                 * are emitted for every slot it could be connected to. */
                int ret = emit(b, x, f, false, e->attrs, NULL, ep);
                for (size_t i = 0; ret == 0 && i < m->n_snaps; i++) {
                        const struct pb_snap_info *si = m->snaps[i].info;
                        for (size_t j = 0; ret == 0 && j < si->n_slots; j++)
                                if (strcmp(si->slots[j].interface, e->interface) == 0 &&
                                    !pbj_empty(si->slots[j].attrs))
                                        ret =
                                            emit(b, x, f, false, e->attrs, si->slots[j].attrs, ep);
                }
                return ret;
        }
        for (size_t i = 0; i < m->n_conns; i++) {
                const struct pb_conn *c = &m->conns[i];
                const char *cs = is_slot ? c->ref.slot_snap : c->ref.plug_snap;
                const char *cn = is_slot ? c->ref.slot : c->ref.plug;
                if (strcmp(cs, x->snap) != 0 || strcmp(cn, e->name) != 0 || !pb_conn_active(m, c))
                        continue;
                int ret = emit(b, x, f, is_slot, c->plug_attrs, c->slot_attrs, ep);
                if (ret < 0)
                        return ret;
        }
        return 0;
}

static bool home_ok(const char *h)
{
        size_t n = h ? strlen(h) : 0;
        return n > 1 && h[0] == '/' && h[n - 1] != '/' && !strstr(h, "//") && !strstr(h, "/./") &&
               !strstr(h, "/../") && strcmp(h + n - 2, "/.") != 0 &&
               (n < 3 || strcmp(h + n - 3, "/..") != 0) && !strpbrk(h, "*?[]\\$");
}

struct pb_grants *pb_compile_grants(const struct pb_model *m, const char *snap,
                                    const struct pb_user *user, uint64_t generation,
                                    struct pb_perror *perr)
{
        const struct pb_msnap *s = pb_model_find(m, snap);
        if (!s) {
                pb_perror_set(perr, ENOENT, 404, "snap-not-found", snap,
                              "snap \"%s\" is not installed", snap ? snap : "");
                return NULL;
        }
        if (!user || !home_ok(user->home)) {
                pb_perror_set(
                    perr, EINVAL, 400, NULL, NULL,
                    "cannot compile grants: home directory \"%s\" is not a clean absolute "
                    "path without glob characters",
                    user && user->home ? user->home : "");
                return NULL;
        }
        struct cctx x = {.user = user, .snap = s->name};
        snprintf(x.revision, sizeof(x.revision), "x%d", s->revision);
        snprintf(x.uid, sizeof(x.uid), "%u", (unsigned)user->uid);
        struct pb_grants_builder *b = pb_grants_builder_new(s->name, generation);
        if (!b)
                goto oom;
        /* The snap's own data: always, whatever is connected. */
        char own[4096];
        snprintf(own, sizeof(own), "%s/snap/%s/%s", user->home, s->name, x.revision);
        if (pb_grants_builder_add_path(b, own, PB_ACCESS_READ | PB_ACCESS_WRITE, true, -1) < 0)
                goto oom;
        snprintf(own, sizeof(own), "%s/snap/%s/common", user->home, s->name);
        if (pb_grants_builder_add_path(b, own, PB_ACCESS_READ | PB_ACCESS_WRITE, true, -1) < 0)
                goto oom;
        for (size_t i = 0; i < s->info->n_plugs; i++)
                if (endpoint_rules(m, b, &x, &s->info->plugs[i], false) < 0)
                        goto oom;
        for (size_t i = 0; i < s->info->n_slots; i++)
                if (endpoint_rules(m, b, &x, &s->info->slots[i], true) < 0)
                        goto oom;
        struct pb_grants *g = pb_grants_builder_finish(b);
        if (!g) {
                b = NULL;
                goto oom;
        }
        return g;
oom:
        pb_grants_builder_free(b);
        pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
        return NULL;
}
