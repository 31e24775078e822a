/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The broker's top level: set-up from the configuration (catalogue,
 * declarations, state), the grant compiler entry point, and snap lookups.
 */
#include "daemon.h"
#include "enforcers.h"
#include "jsonutil.h"
#include "state.h"
#include "common/log.h"
#include "policy/compile.h"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

const char *pb_broker_state_dir(const struct pb_broker *b)
{
        return b->cfg.state_dir;
}

/* Read a whole (small) file relative to dirfd, without following a final
 * symlink. */
int pb_read_file_at(int dirfd, const char *name, size_t max, char **out, size_t *len)
{
        _cleanup_fd_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if ((size_t)st.st_size > max)
                return -EFBIG;
        char *buf = malloc((size_t)st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        size_t n = 0;
        while (n < (size_t)st.st_size) {
                ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        int e = errno;
                        free(buf);
                        return -e;
                }
                if (r == 0)
                        break;
                n += (size_t)r;
        }
        buf[n] = '\0';
        *out = buf;
        *len = n;
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Call fn for every *.json file of dir, in name order. A missing directory
 * is not an error (no drop-ins). */
static int for_each_json(const char *dir, void *ctx,
                         void (*fn)(void *ctx, const char *path, const char *text, size_t len))
{
        _cleanup_dir_ DIR *d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        char **names = NULL;
        size_t n = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                size_t l = strlen(de->d_name);
                if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
                        continue;
                char **nn = realloc(names, (n + 1) * sizeof(*nn));
                if (!nn)
                        break;
                names = nn;
                if (!(names[n] = strdup(de->d_name)))
                        break;
                n++;
        }
        if (n > 0) /* qsort(NULL, 0) is undefined (UBSan) */
                qsort(names, n, sizeof(*names), cmp_str);
        for (size_t i = 0; i < n; i++) {
                char path[4096];
                snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
                char *text = NULL;
                size_t len = 0;
                int r = pb_read_file_at(dirfd(d), names[i], 1 << 20, &text, &len);
                if (r < 0)
                        pb_warn("%s: cannot read: %s; skipped", path, strerror(-r));
                else
                        fn(ctx, path, text, len);
                free(text);
                free(names[i]);
        }
        free(names);
        return 0;
}

static void add_interface(void *ctx, const char *path, const char *text, size_t len)
{
        struct pb_perror perr = {0};
        if (pb_catalogue_add_json(ctx, path, text, len, &perr) < 0)
                pb_warn("%s; skipped", perr.msg);
}

static void add_declaration(void *ctx, const char *path, const char *text, size_t len)
{
        struct pb_perror perr = {0};
        if (pb_declarations_add_json(ctx, path, text, len, &perr) < 0)
                pb_warn("%s; skipped", perr.msg);
}

struct pb_declarations *pb_broker_load_declarations(struct pb_broker *b)
{
        struct pb_declarations *d = pb_declarations_new();
        if (!d)
                return NULL;
        int r = for_each_json(b->cfg.declarations_dir, d, add_declaration);
        if (r < 0)
                pb_warn("%s: cannot read declarations: %s", b->cfg.declarations_dir, strerror(-r));
        return d;
}

int pb_broker_load_catalogue(struct pb_broker *b, struct pb_error *err)
{
        b->cat = pb_catalogue_new();
        if (!b->cat)
                return -ENOMEM;
        int r = for_each_json(b->cfg.builtin_interfaces_dir, b->cat, add_interface);
        if (r < 0)
                return pb_error_set(err, r, "%s: cannot read the interface catalogue: %s",
                                    b->cfg.builtin_interfaces_dir, strerror(-r));
        r = for_each_json(b->cfg.interfaces_dir, b->cat, add_interface);
        if (r < 0)
                pb_warn("%s: cannot read drop-in interfaces: %s", b->cfg.interfaces_dir,
                        strerror(-r));
        pb_info("interface catalogue: %zu interfaces", pb_catalogue_count(b->cat));
        return 0;
}

int pb_broker_init(struct pb_broker *b, const struct pb_broker_config *cfg, struct pb_error *err)
{
        memset(b, 0, sizeof(*b));
        b->cfg = *cfg;
        b->state_dir_fd = -1;
        b->journal_fd = -1;
        pthread_mutex_init(&b->lock, NULL);
        pthread_mutex_init(&b->enforcers_lock, NULL);
        pthread_mutex_init(&b->views_lock, NULL);
        pthread_cond_init(&b->views_idle, NULL);
        pb_audit_init(&b->audit);
        pb_changes_init(&b->changes);

        int r = pb_broker_load_catalogue(b, err);
        if (r < 0)
                return r;
        /* Only to report bad files early; each install reads the directory
         * again, so a new declaration takes effect at the next install. */
        struct pb_declarations *d = pb_broker_load_declarations(b);
        pb_declarations_free(d);
        r = pb_state_load(b, err);
        if (r == 0)
                pb_broker_gc_files(b);
        return r;
}

void pb_broker_fini(struct pb_broker *b)
{
        pb_changes_destroy(b);
        pb_cache_clear(&b->listings);
        if (b->model)
                pb_model_free(b->model);
        if (b->cat)
                pb_catalogue_free(b->cat);
        if (b->state_dir_fd >= 0)
                close(b->state_dir_fd);
        if (b->journal_fd >= 0)
                close(b->journal_fd);
        pb_audit_destroy(&b->audit);
        pthread_mutex_destroy(&b->enforcers_lock);
        pthread_mutex_destroy(&b->lock);
}

struct pb_grants *pb_broker_compile_locked(struct pb_broker *b, const char *snap, uid_t uid,
                                           struct pb_error *err)
{
        struct passwd pw, *res = NULL;
        char buf[4096];
        if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) != 0 || !res) {
                pb_error_set(err, ESRCH, "no user with uid %u", (unsigned)uid);
                return NULL;
        }
        struct pb_user user = {.uid = uid, .gid = pw.pw_gid, .home = pw.pw_dir};
        struct pb_perror perr = {0};
        struct pb_grants *g = pb_compile_grants(b->model, snap, &user, ++b->generation, &perr);
        if (!g)
                pb_error_set(err, perr.status == 404 ? ENOENT : EINVAL, "%s", perr.msg);
        return g;
}

int pb_broker_snap_lookup(struct pb_broker *b, const char *snap, struct pb_installed_snap **out,
                          struct pb_error *err)
{
        pthread_mutex_lock(&b->lock);
        int r = 0;
        const struct pb_snap_info *info = pb_model_snap_info(b->model, snap);
        int rev = pb_model_snap_revision(b->model, snap);
        if (!info || rev < 0) {
                r = pb_error_set(err, ENOENT, "snap \"%s\" is not installed", snap);
                goto out;
        }
        struct pb_installed_snap *s = calloc(1, sizeof(*s));
        if (!s) {
                r = -ENOMEM;
                goto out;
        }
        s->name = strdup(snap);
        if (asprintf(&s->revision, "x%d", rev) < 0)
                s->revision = NULL;
        if (asprintf(&s->dir, "%s/snaps/%s/x%d", b->cfg.state_dir, snap, rev) < 0)
                s->dir = NULL;
        s->info = pb_snap_info_dup(info);
        if (!s->name || !s->revision || !s->dir || !s->info) {
                pb_installed_snap_free(s);
                r = -ENOMEM;
                goto out;
        }
        *out = s;
out:
        pthread_mutex_unlock(&b->lock);
        return r;
}

void pb_installed_snap_free(struct pb_installed_snap *s)
{
        if (!s)
                return;
        free(s->name);
        free(s->revision);
        free(s->dir);
        if (s->info)
                pb_snap_info_free(s->info);
        free(s);
}

void pb_broker_audit_denial(struct pb_broker *b, const char *snap, uid_t uid,
                            const char *path_or_resource, const char *operation,
                            const char *would_grant_interface)
{
        pb_audit_add(&b->audit, snap, uid, path_or_resource, operation, would_grant_interface);
}
