/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The enforcement-point registry and the revocation fan-out (DESIGN §7):
 * after a change, every enforcer of an affected snap gets a freshly compiled
 * table and returns only once it is in force.
 */
#include "enforcers.h"
#include "daemon.h"
#include "common/log.h"

#include <string.h>

struct pb_grants *pb_broker_compile_grants(struct pb_broker *b, const char *snap, uid_t uid,
                                           struct pb_error *err)
{
        pthread_mutex_lock(&b->lock);
        struct pb_grants *g = pb_broker_compile_locked(b, snap, uid, err);
        pthread_mutex_unlock(&b->lock);
        return g;
}

int pb_broker_enforcer_add(struct pb_broker *b, struct pb_enforcer *e, struct pb_error *err)
{
        if (!e || !e->snap || !e->publish)
                return pb_error_set(err, EINVAL, "enforcer without snap or publish");
        pthread_mutex_lock(&b->lock);
        int r = 0;
        struct pb_grants *g = pb_broker_compile_locked(b, e->snap, e->uid, err);
        if (!g) {
                r = -(err && err->code ? err->code : EINVAL);
                goto out;
        }
        pthread_mutex_lock(&b->enforcers_lock);
        r = e->publish(e, g);
        if (r == 0) {
                e->next_ = b->enforcers;
                b->enforcers = e;
                e->registered_ = true;
        } else {
                pb_error_set(err, r < 0 ? -r : EIO, "cannot apply the grants of snap \"%s\": %s",
                             e->snap, strerror(r < 0 ? -r : EIO));
                r = r < 0 ? r : -EIO;
        }
        pthread_mutex_unlock(&b->enforcers_lock);
        pb_grants_unref(g);
out:
        pthread_mutex_unlock(&b->lock);
        return r;
}

void pb_broker_enforcer_remove(struct pb_broker *b, struct pb_enforcer *e)
{
        /* publish() runs with enforcers_lock held, so once we hold it no
         * publish of `e` is in flight. */
        pthread_mutex_lock(&b->enforcers_lock);
        for (struct pb_enforcer **pp = &b->enforcers; *pp; pp = &(*pp)->next_) {
                if (*pp == e) {
                        *pp = e->next_;
                        break;
                }
        }
        e->next_ = NULL;
        e->registered_ = false;
        pthread_mutex_unlock(&b->enforcers_lock);
}

static int publish_snap(struct pb_broker *b, const char *snap, struct pb_error *err)
{
        int first = 0;
        /* One table per uid: enforcers of the same (snap, uid) share it. A
         * small list is enough (few users run the same snap at once). */
        struct {
                uid_t uid;
                struct pb_grants *g;
        } cache[16];
        size_t n_cache = 0;

        pthread_mutex_lock(&b->enforcers_lock);
        for (struct pb_enforcer *e = b->enforcers; e; e = e->next_) {
                if (strcmp(e->snap, snap) != 0)
                        continue;
                struct pb_grants *g = NULL;
                for (size_t i = 0; i < n_cache; i++)
                        if (cache[i].uid == e->uid)
                                g = cache[i].g;
                bool cached = g != NULL;
                struct pb_error cerr = {0};
                if (!g) {
                        g = pb_broker_compile_locked(b, snap, e->uid, &cerr);
                        if (!g && cerr.code == ENOENT) {
                                /* Removed while running: it keeps nothing. */
                                struct pb_grants_builder *gb =
                                    pb_grants_builder_new(snap, ++b->generation);
                                g = gb ? pb_grants_builder_finish(gb) : NULL;
                        }
                }
                int r;
                if (!g) {
                        r = -(cerr.code ? cerr.code : EINVAL);
                } else {
                        r = e->publish(e, g);
                        if (r > 0)
                                r = -EIO;
                        if (r < 0)
                                pb_error_set(&cerr, -r,
                                             "cannot apply the new grants of snap \"%s\": %s", snap,
                                             strerror(-r));
                }
                if (g && !cached) {
                        if (n_cache < PB_ARRAY_SIZE(cache)) {
                                cache[n_cache].uid = e->uid;
                                cache[n_cache++].g = g;
                        } else {
                                pb_grants_unref(g);
                        }
                }
                if (r < 0) {
                        pb_err("%s", cerr.msg);
                        if (!first) {
                                first = r;
                                if (err)
                                        *err = cerr;
                        }
                }
        }
        pthread_mutex_unlock(&b->enforcers_lock);
        for (size_t i = 0; i < n_cache; i++)
                pb_grants_unref(cache[i].g);
        return first;
}

int pb_broker_publish_locked(struct pb_broker *b, const char *const *snaps, struct pb_error *err)
{
        int first = 0;
        for (size_t i = 0; snaps && snaps[i]; i++) {
                int r = publish_snap(b, snaps[i], first ? NULL : err);
                if (r < 0 && !first)
                        first = r;
        }
        return first;
}
