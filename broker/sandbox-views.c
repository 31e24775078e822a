/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Per-(snap, uid) FUSE view sets for the sandboxes (sandbox-views.h).
 *
 * Lock order: vs->lock is taken before the broker's locks (acquire registers
 * enforcers while holding it, so two first runs of one pair cannot race into
 * two sets); nothing that runs under the broker's locks (publish) takes it. */
#include "sandbox-views.h"
#include "daemon.h"
#include "common/log.h"

#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <dirent.h>
#include <pwd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>

struct slot_def {
        const char *name;      /* mount point directory */
        const char *host_root; /* NULL: the user's home */
        enum pb_view_kind kind;
        bool required;
};

static const struct slot_def slots[PB_VSLOT__COUNT] = {
    [PB_VSLOT_HOME] = {"home", NULL, PB_VIEW_HOME, true},
    [PB_VSLOT_MEDIA] = {"media", "/media", PB_VIEW_MEDIA, false},
    [PB_VSLOT_RUN_MEDIA] = {"run-media", "/run/media", PB_VIEW_MEDIA, false},
    [PB_VSLOT_MNT] = {"mnt", "/mnt", PB_VIEW_MEDIA, false},
    [PB_VSLOT_HOST] = {"host", "/", PB_VIEW_HOST, true},
    [PB_VSLOT_DEV] = {"dev", "/dev", PB_VIEW_DEV, true},
    [PB_VSLOT_STATUS] = {"status", "/", PB_VIEW_STATUS, true},
};

struct view_enf {
        struct pb_enforcer enf;
        struct pb_view *view;
        bool added;
};

struct pb_view_set {
        struct pb_view_sets *vs;
        char *snap;
        uid_t uid;
        unsigned refs;
        bool pinned; /* one of refs is the views API's (pb_view_set_pin) */
        struct timespec idle_since;
        char *path[PB_VSLOT__COUNT];
        struct view_enf v[PB_VSLOT__COUNT];
        struct pb_view_set *next;
};

struct pb_view_sets {
        struct pb_broker *b;
        char *runtime_dir;
        unsigned linger_ms;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        bool stopping;
        pthread_t reaper;
        struct pb_view_set *list;
};

static int view_publish(struct pb_enforcer *e, struct pb_grants *g)
{
        struct view_enf *ve = e->data;
        return pb_view_publish(ve->view, g);
}

static void audit_cb(void *ctx, const char *snap, const char *path, const char *op,
                     const char *would)
{
        struct pb_view_set *v = ctx;
        pb_broker_audit_denial(v->vs->b, snap, v->uid, path, op, would);
}

static void set_stop(struct pb_view_set *v)
{
        for (int i = 0; i < PB_VSLOT__COUNT; i++) {
                if (v->v[i].added)
                        pb_broker_enforcer_remove(v->vs->b, &v->v[i].enf);
                pb_view_stop(v->v[i].view);
                if (v->path[i])
                        rmdir(v->path[i]);
                free(v->path[i]);
        }
        free(v->snap);
        free(v);
}

static int mkdirs(const char *path, mode_t mode)
{
        char buf[PATH_MAX];
        snprintf(buf, sizeof(buf), "%s", path);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(buf, mode) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        return mkdir(buf, mode) < 0 && errno != EEXIST ? -errno : 0;
}

static int set_start(struct pb_view_sets *vs, struct pb_view_set *v, gid_t gid, const char *home,
                     struct pb_error *err)
{
        struct pb_grants *g = pb_broker_compile_grants(vs->b, v->snap, v->uid, err);
        if (!g)
                return -(err && err->code ? err->code : EINVAL);
        int r = 0;
        for (int i = 0; i < PB_VSLOT__COUNT && r == 0; i++) {
                const struct slot_def *d = &slots[i];
                const char *root = d->host_root ? d->host_root : home;
                struct stat st;
                if (d->kind != PB_VIEW_STATUS && (stat(root, &st) < 0 || !S_ISDIR(st.st_mode))) {
                        if (d->required)
                                r = pb_error_set(err, ENOENT, "cannot serve %s: not a directory",
                                                 root);
                        continue; /* e.g. no /run/media on this host */
                }
                /* 0711 up to the snap: the user traverses to open the view (as
                 * itself, by the launcher), nobody lists which snaps run. */
                if (asprintf(&v->path[i], "%s/views/%u/%s/%s", vs->runtime_dir, (unsigned)v->uid,
                             v->snap, d->name) < 0) {
                        v->path[i] = NULL;
                        r = pb_error_set(err, ENOMEM, "out of memory");
                        break;
                }
                if ((r = mkdirs(v->path[i], 0711)) < 0) {
                        pb_error_set(err, r, "cannot create %s: %s", v->path[i], strerror(-r));
                        break;
                }
                struct pb_view_config cfg = {.kind = d->kind,
                                             .host_root = root,
                                             .mountpoint = v->path[i],
                                             .uid = v->uid,
                                             .gid = gid,
                                             .grants = g,
                                             .audit = audit_cb,
                                             .audit_ctx = v};
                if ((r = pb_view_start(&cfg, &v->v[i].view, err)) < 0)
                        break;
                v->v[i].enf = (struct pb_enforcer){
                    .snap = v->snap, .uid = v->uid, .publish = view_publish, .data = &v->v[i]};
                if ((r = pb_broker_enforcer_add(vs->b, &v->v[i].enf, err)) < 0)
                        break;
                v->v[i].added = true;
        }
        pb_grants_unref(g);
        return r;
}

int pb_view_set_acquire(struct pb_view_sets *vs, const char *snap, uid_t uid, gid_t gid,
                        const char *home, struct pb_view_set **out, struct pb_error *err)
{
        pthread_mutex_lock(&vs->lock);
        struct pb_view_set *v = vs->list;
        while (v && !(v->uid == uid && strcmp(v->snap, snap) == 0))
                v = v->next;
        if (v) {
                v->refs++;
                pthread_mutex_unlock(&vs->lock);
                *out = v;
                return 0;
        }
        v = calloc(1, sizeof(*v));
        if (!v || !(v->snap = strdup(snap))) {
                free(v);
                pthread_mutex_unlock(&vs->lock);
                return pb_error_set(err, ENOMEM, "out of memory");
        }
        v->vs = vs;
        v->uid = uid;
        int r = set_start(vs, v, gid, home, err);
        if (r < 0) {
                set_stop(v);
                pthread_mutex_unlock(&vs->lock);
                return r;
        }
        v->refs = 1;
        v->next = vs->list;
        vs->list = v;
        pthread_mutex_unlock(&vs->lock);
        *out = v;
        return 0;
}

void pb_view_set_release(struct pb_view_set *v)
{
        struct pb_view_sets *vs = v->vs;
        pthread_mutex_lock(&vs->lock);
        if (--v->refs == 0) {
                clock_gettime(CLOCK_MONOTONIC, &v->idle_since);
                pthread_cond_signal(&vs->cond);
        }
        pthread_mutex_unlock(&vs->lock);
}

const char *pb_view_set_path(const struct pb_view_set *v, enum pb_view_slot slot)
{
        return v->v[slot].view ? v->path[slot] : NULL;
}

const char *pb_view_slot_name(enum pb_view_slot slot)
{
        return (unsigned)slot < PB_VSLOT__COUNT ? slots[slot].name : NULL;
}

int pb_view_set_pin(struct pb_view_sets *vs, const char *snap, uid_t uid,
                    char *paths[PB_VSLOT__COUNT], struct pb_error *err)
{
        struct passwd pw, *res = NULL;
        char buf[4096];
        if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) != 0 || !res)
                return pb_error_set(err, ESRCH, "no user with uid %u", (unsigned)uid);
        if (pw.pw_dir[0] != '/' || strcmp(pw.pw_dir, "/") == 0)
                return pb_error_set(err, EINVAL, "the home directory of uid %u is unusable: %s",
                                    (unsigned)uid, pw.pw_dir);
        struct pb_view_set *v = NULL;
        int r = pb_view_set_acquire(vs, snap, uid, pw.pw_gid, pw.pw_dir, &v, err);
        if (r < 0 || !v)
                return r < 0 ? r : pb_error_set(err, EIO, "no view set");
        pthread_mutex_lock(&vs->lock);
        if (v->pinned)
                v->refs--; /* already pinned: this acquire made refs >= 2 */
        else
                v->pinned = true;
        for (int i = 0; i < PB_VSLOT__COUNT; i++) {
                const char *p = pb_view_set_path(v, i);
                paths[i] = p ? strdup(p) : NULL;
                if (p && !paths[i])
                        r = pb_error_set(err, ENOMEM, "out of memory");
        }
        pthread_mutex_unlock(&vs->lock);
        if (r < 0)
                for (int i = 0; i < PB_VSLOT__COUNT; i++) {
                        free(paths[i]);
                        paths[i] = NULL;
                }
        return r;
}

int pb_view_set_unpin(struct pb_view_sets *vs, const char *snap, uid_t uid)
{
        pthread_mutex_lock(&vs->lock);
        struct pb_view_set *v = vs->list;
        while (v && !(v->uid == uid && strcmp(v->snap, snap) == 0))
                v = v->next;
        if (!v || !v->pinned) {
                pthread_mutex_unlock(&vs->lock);
                return -ENOENT;
        }
        v->pinned = false;
        if (--v->refs == 0) {
                /* Idle since forever: the reaper stops it now, not after the
                 * linger (that is for repeated runs, not for an explicit drop). */
                v->idle_since = (struct timespec){0};
                pthread_cond_signal(&vs->cond);
        }
        pthread_mutex_unlock(&vs->lock);
        return 0;
}

struct pb_view_sets *pb_broker_views_get(struct pb_broker *b)
{
        pthread_mutex_lock(&b->views_lock);
        struct pb_view_sets *vs = b->views;
        if (vs)
                b->views_users++;
        pthread_mutex_unlock(&b->views_lock);
        return vs;
}

void pb_broker_views_put(struct pb_broker *b)
{
        pthread_mutex_lock(&b->views_lock);
        if (--b->views_users == 0)
                pthread_cond_broadcast(&b->views_idle);
        pthread_mutex_unlock(&b->views_lock);
}

static void attach(struct pb_view_sets *vs)
{
        pthread_mutex_lock(&vs->b->views_lock);
        vs->b->views = vs;
        pthread_mutex_unlock(&vs->b->views_lock);
}

static void detach(struct pb_view_sets *vs)
{
        struct pb_broker *b = vs->b;
        pthread_mutex_lock(&b->views_lock);
        if (b->views == vs)
                b->views = NULL;
        while (b->views_users > 0)
                pthread_cond_wait(&b->views_idle, &b->views_lock);
        pthread_mutex_unlock(&b->views_lock);
}

static long ms_since(const struct timespec *t)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* Stops the sets idle for longer than the linger. */
static void *reaper(void *arg)
{
        struct pb_view_sets *vs = arg;
        pthread_mutex_lock(&vs->lock);
        while (!vs->stopping) {
                struct pb_view_set **pp = &vs->list, *dead = NULL;
                while (*pp) {
                        struct pb_view_set *v = *pp;
                        if (v->refs == 0 && ms_since(&v->idle_since) >= (long)vs->linger_ms) {
                                *pp = v->next;
                                v->next = dead;
                                dead = v;
                        } else {
                                pp = &v->next;
                        }
                }
                /* Stopped with the lock held: a new set of the same pair must not
                 * mount on a mount point that is still being unmounted. */
                bool stopped = dead != NULL;
                while (dead) {
                        struct pb_view_set *n = dead->next;
                        set_stop(dead);
                        dead = n;
                }
                if (stopped) {
                        /* A set's worker threads freed their node tables and
                         * buffers across the malloc arenas; give the free
                         * pages back, or a broker that served many sandboxes
                         * keeps their peak RSS (the 50 x 1,000 soak). */
                        pthread_mutex_unlock(&vs->lock);
                        malloc_trim(0);
                        pthread_mutex_lock(&vs->lock);
                        continue; /* the list may have changed meanwhile */
                }
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_nsec += 250 * 1000000L;
                if (ts.tv_nsec >= 1000000000L) {
                        ts.tv_sec++;
                        ts.tv_nsec -= 1000000000L;
                }
                pthread_cond_timedwait(&vs->cond, &vs->lock, &ts);
        }
        pthread_mutex_unlock(&vs->lock);
        return NULL;
}

/* Views left mounted by a daemon that died (kill -9) answer ENOTCONN and
 * would block new mounts on the same paths: detach them at start. */
static void sweep_stale(const char *runtime_dir)
{
        char base[PATH_MAX];
        snprintf(base, sizeof(base), "%s/views", runtime_dir);
        _cleanup_dir_ DIR *u = opendir(base);
        struct dirent *du, *ds, *dk;
        while (u && (du = readdir(u))) {
                if (du->d_name[0] == '.')
                        continue;
                char up[PATH_MAX];
                snprintf(up, sizeof(up), "%.2000s/%.200s", base, du->d_name);
                _cleanup_dir_ DIR *sd = opendir(up);
                while (sd && (ds = readdir(sd))) {
                        if (ds->d_name[0] == '.')
                                continue;
                        char sp[PATH_MAX];
                        snprintf(sp, sizeof(sp), "%.2300s/%.200s", up, ds->d_name);
                        _cleanup_dir_ DIR *kd = opendir(sp);
                        while (kd && (dk = readdir(kd))) {
                                if (dk->d_name[0] == '.')
                                        continue;
                                char kp[PATH_MAX];
                                snprintf(kp, sizeof(kp), "%.2600s/%.200s", sp, dk->d_name);
                                if (umount2(kp, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
                                        pb_info("sandbox: detached a stale view at %s", kp);
                                rmdir(kp);
                        }
                        rmdir(sp);
                }
                rmdir(up);
        }
}

struct pb_view_sets *pb_view_sets_new(struct pb_broker *b, const char *runtime_dir,
                                      unsigned linger_ms)
{
        struct pb_view_sets *vs = calloc(1, sizeof(*vs));
        if (!vs || !(vs->runtime_dir = strdup(runtime_dir))) {
                free(vs);
                return NULL;
        }
        vs->b = b;
        vs->linger_ms = linger_ms;
        sweep_stale(runtime_dir);
        pthread_mutex_init(&vs->lock, NULL);
        pthread_cond_init(&vs->cond, NULL);
        if (pthread_create(&vs->reaper, NULL, reaper, vs) != 0) {
                free(vs->runtime_dir);
                free(vs);
                return NULL;
        }
        attach(vs);
        return vs;
}

void pb_view_sets_free(struct pb_view_sets *vs)
{
        if (!vs)
                return;
        detach(vs);
        pthread_mutex_lock(&vs->lock);
        vs->stopping = true;
        pthread_cond_signal(&vs->cond);
        pthread_mutex_unlock(&vs->lock);
        pthread_join(vs->reaper, NULL);
        while (vs->list) {
                struct pb_view_set *n = vs->list->next;
                set_stop(vs->list);
                vs->list = n;
        }
        pthread_cond_destroy(&vs->cond);
        pthread_mutex_destroy(&vs->lock);
        free(vs->runtime_dir);
        free(vs);
}
