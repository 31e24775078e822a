/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Manual connect and disconnect with snapd's resolution rules and messages
 * (interfaces/repo.go ResolveConnect, ifacestate ResolveDisconnect), and
 * snapctl is-connected.
 */
#include "jsonutil.h"
#include "model-priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pb_model_check_connect_policy(const struct pb_model *m, const struct pb_ep *p,
                                  const struct pb_ep *s, struct pb_perror *perr);

#define E400(perr, ...)      pb_perror_set(perr, EINVAL, 400, NULL, NULL, __VA_ARGS__)
#define ENOENT400(perr, ...) pb_perror_set(perr, ENOENT, 400, NULL, NULL, __VA_ARGS__)

/* snapd's checkInstalled: the system snap and empty names pass. */
static int check_installed(const struct pb_model *m, const char *snap, struct pb_perror *perr)
{
        if (pb_is_system_name(snap) || pb_model_find(m, snap))
                return 0;
        return ENOENT400(perr, "snap \"%s\" is not installed", snap);
}

int pb_model_connect(struct pb_model *m, const char *plug_snap, const char *plug,
                     const char *slot_snap, const char *slot, struct pb_connref *ref,
                     struct pb_affected *aff, struct pb_perror *perr)
{
        plug_snap = plug_snap ? plug_snap : "";
        plug = plug ? plug : "";
        slot = slot ? slot : "";
        int ret;
        if ((ret = check_installed(m, plug_snap, perr)) < 0 ||
            (ret = check_installed(m, slot_snap, perr)) < 0)
                return ret;
        if (!*plug_snap)
                return E400(perr, "cannot resolve connection, plug snap name is empty");
        if (!*plug)
                return E400(perr, "cannot resolve connection, plug name is empty");
        plug_snap = pb_map_system(plug_snap);
        slot_snap = pb_map_system(slot_snap);
        struct pb_ep p, s;
        if (!pb_model_plug(m, plug_snap, plug, &p))
                return ENOENT400(perr, "snap \"%s\" has no plug named \"%s\"", plug_snap, plug);
        if (*slot) {
                if (!pb_model_slot(m, slot_snap, slot, &s))
                        return ENOENT400(perr, "snap \"%s\" has no slot named \"%s\"", slot_snap,
                                         slot);
                if (strcmp(p.interface, s.interface) != 0)
                        return E400(perr,
                                    "cannot connect %s:%s (\"%s\" interface) to %s:%s (\"%s\" "
                                    "interface)",
                                    plug_snap, plug, p.interface, slot_snap, slot, s.interface);
        } else {
                /* Matched by interface, not by name (whatever the help text says). */
                const char *names[64];
                size_t n = 0;
                if (strcmp(slot_snap, PB_SYSTEM_SNAP) == 0) {
                        if (pb_model_slot(m, slot_snap, p.interface, &s))
                                names[n++] = s.name;
                } else {
                        const struct pb_snap_info *si = pb_model_snap_info(m, slot_snap);
                        for (size_t i = 0; si && i < si->n_slots && n < 64; i++)
                                if (strcmp(si->slots[i].interface, p.interface) == 0)
                                        names[n++] = si->slots[i].name;
                }
                if (n == 0)
                        return ENOENT400(perr, "snap \"%s\" has no \"%s\" interface slots",
                                         slot_snap, p.interface);
                if (n > 1) {
                        char list[320] = "";
                        for (size_t i = 0; i < n; i++) {
                                size_t l = strlen(list);
                                snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "",
                                         names[i]);
                        }
                        return E400(perr, "snap \"%s\" has multiple \"%s\" interface slots: %s",
                                    slot_snap, p.interface, list);
                }
                pb_model_slot(m, slot_snap, names[0], &s);
        }
        struct pb_connref r;
        pb_connref_set(&r, p.snap, p.name, s.snap, s.name);
        if (ref)
                *ref = r;
        char key[256];
        pb_connref_key(&r, key, sizeof(key));
        struct pb_conn *c = pb_model_conn(m, key);
        if (c && !c->undesired)
                return PB_ALREADY_CONNECTED;
        if ((ret = pb_model_check_connect_policy(m, &p, &s, perr)) < 0)
                return ret;
        /* A manual connect of an undesired entry makes it a manual one. */
        if (pb_model_conn_put(m, &r, p.interface, false, p.attrs, s.attrs, NULL) < 0 ||
            pb_affected_add_task(aff, &r, "Connect") < 0 ||
            pb_affected_add_snap(aff, r.plug_snap) < 0 ||
            pb_affected_add_snap(aff, r.slot_snap) < 0)
                return pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
        return 0;
}

/* Keys of the connections matching (snap, name) on the plug or the slot
 * side: active ones (snapd asks its repository), or every state entry when
 * forgetting. Keys, not pointers: deleting entries moves the others. */
static int match_plug_or_slot(const struct pb_model *m, const char *snap, const char *name,
                              bool forget, char (**keys)[256], size_t *n)
{
        *keys = NULL;
        *n = 0;
        for (size_t i = 0; i < m->n_conns; i++) {
                const struct pb_conn *c = &m->conns[i];
                bool hit =
                    (strcmp(c->ref.plug_snap, snap) == 0 && strcmp(c->ref.plug, name) == 0) ||
                    (strcmp(c->ref.slot_snap, snap) == 0 && strcmp(c->ref.slot, name) == 0);
                if (!hit || !(forget || pb_conn_active(m, c)))
                        continue;
                void *p = realloc(*keys, (*n + 1) * sizeof(**keys));
                if (!p) {
                        free(*keys);
                        *keys = NULL;
                        return -ENOMEM;
                }
                *keys = p;
                snprintf((*keys)[*n], sizeof((*keys)[*n]), "%s", c->key);
                (*n)++;
        }
        return 0;
}

static bool in_state(const struct pb_model *m, const char *snap)
{
        for (size_t i = 0; snap && i < m->n_conns; i++)
                if (strcmp(m->conns[i].ref.plug_snap, snap) == 0 ||
                    strcmp(m->conns[i].ref.slot_snap, snap) == 0)
                        return true;
        return false;
}

static int apply_disconnect(struct pb_model *m, struct pb_conn *c, bool forget,
                            struct pb_affected *aff)
{
        bool active = pb_conn_active(m, c);
        int ret = pb_affected_add_task(aff, &c->ref,
                                       active || !forget ? "Disconnect" : "Forget connection");
        if (ret == 0 && active)
                ret = pb_affected_add_snap(aff, c->ref.plug_snap);
        if (ret == 0 && active)
                ret = pb_affected_add_snap(aff, c->ref.slot_snap);
        if (ret < 0)
                return ret;
        if (!forget && c->auto_) {
                /* The user took back an auto-connection: remember it, so neither a
                 * refresh nor a reinstall connects it again (until --forget). */
                ret = pb_conn_replace_attrs(c, json_object_new_object(), json_object_new_object());
                if (ret < 0)
                        return ret;
                c->undesired = true;
                return 0;
        }
        pb_model_conn_del(m, c);
        return 0;
}

int pb_model_disconnect(struct pb_model *m, const char *plug_snap, const char *plug,
                        const char *slot_snap, const char *slot, bool forget,
                        struct pb_affected *aff, struct pb_perror *perr)
{
        plug_snap = plug_snap ? plug_snap : "";
        plug = plug ? plug : "";
        slot_snap = slot_snap ? slot_snap : "";
        slot = slot ? slot : "";
        int ret;
        /* Unlike snapd, --forget also works for a snap that is no longer
         * installed: its undesired markers outlive remove --purge (seed). */
        if ((!forget || !in_state(m, plug_snap)) && (ret = check_installed(m, plug_snap, perr)) < 0)
                return ret;
        if ((!forget || !in_state(m, slot_snap)) && (ret = check_installed(m, slot_snap, perr)) < 0)
                return ret;

        if (*plug && *slot) {
                const char *ps = pb_map_system(plug_snap), *ss = pb_map_system(slot_snap);
                struct pb_connref r;
                char key[256];
                pb_connref_set(&r, ps, plug, ss, slot);
                pb_connref_key(&r, key, sizeof(key));
                struct pb_conn *c = pb_model_conn(m, key);
                if (!forget) {
                        struct pb_ep p, s;
                        if (!pb_model_plug(m, ps, plug, &p))
                                return ENOENT400(perr, "snap \"%s\" has no plug named \"%s\"", ps,
                                                 plug);
                        if (!pb_model_slot(m, ss, slot, &s))
                                return ENOENT400(perr, "snap \"%s\" has no slot named \"%s\"", ss,
                                                 slot);
                        if (!c || !pb_conn_active(m, c))
                                return E400(
                                    perr, "cannot disconnect %s:%s from %s:%s, it is not connected",
                                    ps, plug, ss, slot);
                } else if (!c) {
                        return E400(
                            perr, "cannot forget connection %s:%s from %s:%s, it was not connected",
                            ps, plug, ss, slot);
                }
                if (apply_disconnect(m, c, forget, aff) < 0)
                        return pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
                return 0;
        }
        const char *snap, *name;
        if (*plug && !*slot && !*slot_snap) {
                snap = pb_map_system(plug_snap);
                name = plug;
        } else if (!*plug && !*plug_snap && *slot) {
                snap = pb_map_system(slot_snap);
                name = slot;
        } else {
                return E400(perr,
                            "allowed forms are <snap>:<plug> <snap>:<slot> or <snap>:<plug or "
                            "slot>");
        }
        if (!forget) {
                struct pb_ep e;
                if (!pb_model_plug(m, snap, name, &e) && !pb_model_slot(m, snap, name, &e))
                        return ENOENT400(perr, "snap \"%s\" has no plug or slot named \"%s\"", snap,
                                         name);
        }
        char(*keys)[256] = NULL;
        size_t n = 0;
        if (match_plug_or_slot(m, snap, name, forget, &keys, &n) < 0)
                return pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
        if (n == 0)
                return pb_perror_set(perr, ENOENT, 400, "interfaces-unchanged", NULL,
                                     "nothing to do");
        ret = 0;
        for (size_t i = 0; i < n && ret == 0; i++) {
                struct pb_conn *c = pb_model_conn(m, keys[i]);
                if (c)
                        ret = apply_disconnect(m, c, forget, aff);
        }
        free(keys);
        if (ret < 0)
                return pb_perror_set(perr, ENOMEM, 500, NULL, NULL, "out of memory");
        return 0;
}

bool pb_model_endpoint_connected(const struct pb_model *m, const char *snap, const char *name,
                                 bool is_slot)
{
        for (size_t i = 0; i < m->n_conns; i++) {
                const struct pb_conn *c = &m->conns[i];
                const char *cs = is_slot ? c->ref.slot_snap : c->ref.plug_snap;
                const char *cn = is_slot ? c->ref.slot : c->ref.plug;
                if (strcmp(cs, snap) == 0 && strcmp(cn, name) == 0 && pb_conn_active(m, c))
                        return true;
        }
        return false;
}

int pb_model_is_connected(const struct pb_model *m, const char *snap, const char *name,
                          const char *peer, struct pb_perror *perr)
{
        struct pb_ep e;
        snap = pb_map_system(snap);
        if (!pb_model_plug(m, snap, name, &e) && !pb_model_slot(m, snap, name, &e))
                return ENOENT400(perr, "snap \"%s\" has no plug or slot named \"%s\"", snap, name);
        for (size_t i = 0; i < m->n_conns; i++) {
                const struct pb_conn *c = &m->conns[i];
                bool as_plug =
                    strcmp(c->ref.plug_snap, snap) == 0 && strcmp(c->ref.plug, name) == 0;
                bool as_slot =
                    strcmp(c->ref.slot_snap, snap) == 0 && strcmp(c->ref.slot, name) == 0;
                if (!as_plug && !as_slot)
                        continue;
                if (!pb_conn_active(m, c))
                        continue;
                if (peer && strcmp(as_plug ? c->ref.slot_snap : c->ref.plug_snap, peer) != 0)
                        continue;
                return 1;
        }
        return 0;
}
