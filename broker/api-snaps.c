/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * GET /v2/snaps, GET /v2/snaps/NAME, POST /v2/snaps {"action":"install",
 * "path":P} and POST /v2/snaps/NAME {"action":"remove","purge":bool}.
 *
 * Install: the files are staged (copied, or unsquashfs'd) and snap.yaml parsed
 * outside the lock; then, under it, the staged tree is renamed into
 * STATE/snaps/NAME/xN and the model updated; the change publishes and saves.
 * Snaps are installed from a path the daemon reads (it runs as root and only
 * root may install).
 */
#include "api-util.h"
#include "jsonutil.h"
#include "subprocess.h"
#include "userdata.h"
#include "common/log.h"

#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define SNAP_YAML_MAX (1u << 20)

struct pb_response *pb_api_get_snaps(struct pb_request *r)
{
        struct pb_broker *b = r->broker;
        struct pb_perror perr = {0};
        const char *names = pb_request_query(r, "snaps");
        json_object *res = NULL;
        pthread_mutex_lock(&b->lock);
        if (names && *names) {
                /* ?snaps=a,b: only those (unknown names are left out) */
                res = json_object_new_array();
                _cleanup_free_ char *copy = strdup(names);
                char *save = NULL;
                for (char *n = copy ? strtok_r(copy, ",", &save) : NULL; n;
                     n = strtok_r(NULL, ",", &save)) {
                        struct pb_perror e = {0};
                        json_object *one = pb_model_snaps_json(b->model, n, &e);
                        if (one)
                                json_object_array_add(res, one);
                }
        } else {
                res = pb_model_snaps_json(b->model, NULL, &perr);
        }
        pthread_mutex_unlock(&b->lock);
        return res ? pb_response_sync(res) : pb_response_perror(&perr);
}

struct pb_response *pb_api_get_snap(struct pb_request *r)
{
        struct pb_broker *b = r->broker;
        struct pb_perror perr = {0};
        pthread_mutex_lock(&b->lock);
        json_object *res = pb_model_snaps_json(b->model, r->arg, &perr);
        pthread_mutex_unlock(&b->lock);
        return res ? pb_response_sync(res) : pb_response_perror(&perr);
}

/* Delete the revisions of `name` the model no longer needs: all of them when
 * it is not installed, otherwise all but the current and the previous one (a
 * running app may still use the previous one). State lock held. */
static void gc_snap_files(struct pb_broker *b, const char *name)
{
        _cleanup_free_ char *dir = pb_strdupf("%s/snaps/%s", b->cfg.state_dir, name);
        if (!dir)
                return;
        int rev = pb_model_snap_revision(b->model, name);
        if (rev < 0) {
                pb_rm_rf(dir);
                return;
        }
        _cleanup_dir_ DIR *d = opendir(dir);
        if (!d)
                return;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] != 'x')
                        continue;
                char *end = NULL;
                long n = strtol(de->d_name + 1, &end, 10);
                if (*end || n == rev || n == rev - 1)
                        continue;
                _cleanup_free_ char *p = pb_strdupf("%s/%s", dir, de->d_name);
                if (p)
                        pb_rm_rf(p);
        }
}

void pb_broker_gc_files(struct pb_broker *b)
{
        /* Staging directories of installs that never finished. */
        _cleanup_free_ char *staging = pb_strdupf("%s/staging", b->cfg.state_dir);
        _cleanup_dir_ DIR *d = staging ? opendir(staging) : NULL;
        struct dirent *de;
        while (d && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *p = pb_strdupf("%s/%s", staging, de->d_name);
                if (p)
                        pb_rm_rf(p);
        }
        /* Revisions a crash left behind before the model named them (or
         * after it stopped naming them). */
        _cleanup_free_ char *snaps = pb_strdupf("%s/snaps", b->cfg.state_dir);
        _cleanup_dir_ DIR *s = snaps ? opendir(snaps) : NULL;
        while (s && (de = readdir(s))) {
                if (de->d_name[0] != '.' && pb_valid_snap_name(de->d_name))
                        gc_snap_files(b, de->d_name);
        }
}

/* The data of an install or remove change. */
struct snap_change {
        bool purge;
        char name[];
};

static struct snap_change *snap_change_new(const char *name, bool purge)
{
        size_t n = strlen(name);
        struct snap_change *sc = malloc(sizeof(*sc) + n + 1);
        if (sc) {
                sc->purge = purge;
                memcpy(sc->name, name, n + 1);
        }
        return sc;
}

static void after_snap_change(struct pb_broker *b, struct pb_change *c)
{
        const struct snap_change *sc = c->data;
        gc_snap_files(b, sc->name);
}

/* The "Remove data of snap" task of `remove --purge`: the per-user data
 * (~/snap/NAME), as snapd deletes it; plain `remove` keeps it. Only while
 * the snap is still not installed (a later install may have come first).
 * Best effort, like snapd's: what cannot be removed is logged. */
static int purge_user_data(struct pb_broker *b, struct pb_change *c, struct pb_error *err)
{
        const struct snap_change *sc = c->data;
        if (pb_model_snap_revision(b->model, sc->name) < 0)
                pb_purge_user_data("/home", "/root", sc->name);
        return 0;
}

/* Stage the snap at `path` into stage/snap; returns the parsed snap.yaml. */
static struct pb_snap_info *stage(const char *path, const char *stage_dir,
                                  struct pb_response **resp)
{
        _cleanup_free_ char *dest = pb_strdupf("%s/snap", stage_dir);
        _cleanup_free_ char *origin = NULL;
        struct stat st;
        if (!dest) {
                *resp = pb_response_error(500, NULL, NULL, "out of memory");
                return NULL;
        }
        if (path[0] != '/') {
                *resp = pb_response_error(400, NULL, NULL,
                                          "cannot install \"%s\": path is not absolute", path);
                return NULL;
        }
        if (stat(path, &st) < 0) {
                *resp = pb_response_error(400, NULL, NULL, "cannot install \"%s\": %s", path,
                                          strerror(errno));
                return NULL;
        }
        struct pb_error err = {0};
        if (S_ISDIR(st.st_mode)) {
                /* Owned by root whoever owned the source: $SNAP is read-only to apps. */
                char *argv[] = {"/bin/cp",
                                "-R",
                                "--no-dereference",
                                "--preserve=mode,timestamps,links",
                                "--",
                                (char *)path,
                                dest,
                                NULL};
                if (pb_spawn_wait(argv, &err) < 0) {
                        *resp = pb_response_error(400, NULL, NULL, "cannot install \"%s\": %s",
                                                  path, err.msg);
                        return NULL;
                }
                origin = pb_strdupf("%s/meta/snap.yaml", path);
        } else if (S_ISREG(st.st_mode)) {
                /* path is absolute: it cannot be taken for an option */
                char *argv[] = {"/usr/bin/unsquashfs", "-no-xattrs", "-no-progress", "-d", dest,
                                (char *)path,          NULL};
                if (pb_spawn_wait(argv, &err) < 0) {
                        *resp =
                            pb_response_error(400, NULL, NULL,
                                              "cannot install \"%s\": not a snap directory or a "
                                              "valid squashfs .snap file (%s)",
                                              path, err.msg);
                        return NULL;
                }
                char *chown_argv[] = {"/bin/chown", "-R", "-h", "0:0", "--", dest, NULL};
                pb_spawn_wait(chown_argv, NULL);
                origin = pb_strdupf("%s:meta/snap.yaml", path);
        } else {
                *resp = pb_response_error(400, NULL, NULL,
                                          "cannot install \"%s\": not a directory or a .snap file",
                                          path);
                return NULL;
        }
        if (!origin) {
                *resp = pb_response_error(500, NULL, NULL, "out of memory");
                return NULL;
        }
        _cleanup_fd_ int dfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        _cleanup_fd_ int mfd =
            dfd < 0 ? -1 : openat(dfd, "meta", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        _cleanup_free_ char *yaml = NULL;
        size_t len = 0;
        int r = mfd < 0 ? -errno : pb_read_file_at(mfd, "snap.yaml", SNAP_YAML_MAX, &yaml, &len);
        if (r < 0) {
                *resp =
                    pb_response_error(400, NULL, NULL, "cannot install \"%s\": cannot read %s: %s",
                                      path, origin, strerror(-r));
                return NULL;
        }
        struct pb_perror perr = {0};
        struct pb_snap_info *info = pb_snap_info_parse(origin, yaml, len, &perr);
        if (!info)
                *resp = pb_response_perror(&perr);
        return info;
}

static struct pb_response *install_locked(struct pb_broker *b, const char *path,
                                          const char *stage_dir, struct pb_snap_info **infop)
{
        struct pb_snap_info *info = *infop;
        _cleanup_free_ char *name = strdup(info->name);
        if (!name)
                return pb_response_error(500, NULL, NULL, "out of memory");
        int rev = pb_model_next_revision(b->model, name);
        _cleanup_free_ char *src = pb_strdupf("%s/snap", stage_dir);
        _cleanup_free_ char *dir = pb_strdupf("%s/snaps/%s", b->cfg.state_dir, name);
        _cleanup_free_ char *target = pb_strdupf("%s/snaps/%s/x%d", b->cfg.state_dir, name, rev);
        if (!src || !dir || !target)
                return pb_response_error(500, NULL, NULL, "out of memory");
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return pb_response_error(500, NULL, NULL, "cannot create %s: %s", dir,
                                         strerror(errno));
        pb_rm_rf(target); /* left over by a crash before the model was saved */
        if (rename(src, target) < 0)
                return pb_response_error(500, NULL, NULL, "cannot move the snap into %s: %s",
                                         target, strerror(errno));

        struct pb_declarations *decls = pb_broker_load_declarations(b);
        struct pb_install in = {
            .info = info,
            .decls = decls,
            .source = path,
            .install_time = (long long)time(NULL),
        };
        struct pb_affected aff = {0};
        struct pb_perror perr = {0};
        int got_rev = 0;
        bool refresh = pb_model_snap_info(b->model, name) != NULL;
        int r = pb_model_install(b->model, &in, &got_rev, &aff, &perr);
        if (r >= 0)
                b->model_seq++; /* made durable by a snapshot */
        pb_declarations_free(decls);
        if (r < 0) {
                pb_rm_rf(target);
                pb_affected_clear(&aff);
                return pb_response_perror(&perr);
        }
        *infop = NULL; /* consumed */

        _cleanup_free_ char *summary = pb_strdupf("%s \"%s\" snap from file \"%s\"",
                                                  refresh ? "Refresh" : "Install", name, path);
        if (!summary)
                return pb_response_error(500, NULL, NULL, "out of memory");
        struct pb_change *c = pb_change_new(b, refresh ? "refresh-snap" : "install-snap", summary);
        if (!c) {
                pb_affected_clear(&aff);
                return pb_response_error(500, NULL, NULL, "out of memory");
        }
        char task[512];
        snprintf(task, sizeof(task), "Mount snap \"%s\" (x%d)", name, got_rev);
        pb_change_add_task(c, "mount-snap", task);
        snprintf(task, sizeof(task),
                 "Automatically connect eligible plugs and slots of snap \"%s\"", name);
        pb_change_add_task(c, "auto-connect", task);
        for (size_t i = 0; i < aff.n_tasks; i++)
                pb_change_add_task(c, "connect", aff.tasks[i].summary);
        for (size_t i = 0; i < aff.n_snaps; i++)
                pb_change_affects(c, aff.snaps[i]);
        pb_change_affects(c, name);
        pb_change_set_snap_name(c, name);
        pb_affected_clear(&aff);
        c->data = snap_change_new(name, false);
        c->free_data = free;
        c->after = c->data ? after_snap_change : NULL;
        pb_change_submit(b, c);
        return pb_response_async(c->id);
}

static struct pb_response *install(struct pb_broker *b, json_object *body)
{
        const char *path = pb_json_str(body, "path");
        if (!path || !*path)
                return pb_response_error(400, NULL, NULL, "cannot install: no path given");
        _cleanup_free_ char *stage_dir = pb_strdupf("%s/staging/install-XXXXXX", b->cfg.state_dir);
        if (!stage_dir || !mkdtemp(stage_dir))
                return pb_response_error(500, NULL, NULL, "cannot create a staging directory: %s",
                                         strerror(errno));
        struct pb_response *resp = NULL;
        struct pb_snap_info *info = stage(path, stage_dir, &resp);
        if (info) {
                pthread_mutex_lock(&b->lock);
                resp = install_locked(b, path, stage_dir, &info);
                pthread_mutex_unlock(&b->lock);
                if (info)
                        pb_snap_info_free(info);
        }
        pb_rm_rf(stage_dir);
        return resp;
}

/* The value of form field `name` in a multipart/form-data body (as Debian's
 * `snap try DIR` sends: fields "action" and "snap-path"), copied into a new
 * string, or NULL. Only small text fields: uploads of .snap files are not
 * supported (use `plugboard install FILE`). */
static char *form_field(const struct pb_request *r, const char *name)
{
        const char *ct = pb_request_header(r, "Content-Type");
        const char *bp = ct ? strstr(ct, "boundary=") : NULL;
        if (!ct || strncmp(ct, "multipart/form-data", 19) != 0 || !bp)
                return NULL;
        bp += 9;
        size_t blen = strcspn(bp, "; \t");
        if (*bp == '"') {
                bp++;
                blen = strcspn(bp, "\"");
        }
        _cleanup_free_ char *delim = NULL;
        if (blen == 0 || blen > 200 || asprintf(&delim, "--%.*s", (int)blen, bp) < 0)
                return NULL;
        _cleanup_free_ char *want = NULL;
        if (asprintf(&want, "name=\"%s\"", name) < 0)
                return NULL;
        const char *end = r->body + r->body_len;
        for (const char *part = memmem(r->body, r->body_len, delim, strlen(delim)); part;) {
                part += strlen(delim);
                const char *next = memmem(part, (size_t)(end - part), delim, strlen(delim));
                const char *hdr_end =
                    memmem(part, (size_t)((next ? next : end) - part), "\r\n\r\n", 4);
                if (!next || !hdr_end)
                        return NULL;
                if (memmem(part, (size_t)(hdr_end - part), want, strlen(want))) {
                        const char *v = hdr_end + 4, *ve = next;
                        if (ve - v >= 2 && ve[-2] == '\r' && ve[-1] == '\n')
                                ve -= 2;
                        return strndup(v, (size_t)(ve - v));
                }
                part = next;
        }
        return NULL;
}

struct pb_response *pb_api_post_snaps(struct pb_request *r)
{
        struct pb_response *resp = NULL;
        _cleanup_free_ char *form_action = form_field(r, "action");
        if (form_action) {
                _cleanup_free_ char *path = form_field(r, "snap-path");
                if (strcmp(form_action, "try") != 0 || !path)
                        return pb_response_error(400, NULL, NULL,
                                                 "cannot install: only \"snap try DIR\" is "
                                                 "supported in form uploads; use "
                                                 "\"plugboard install\" for .snap files");
                _cleanup_json_ json_object *o = json_object_new_object();
                json_object_object_add(o, "action", json_object_new_string("install"));
                json_object_object_add(o, "path", json_object_new_string(path));
                return install(r->broker, o);
        }
        _cleanup_json_ json_object *body = pb_request_json(r, "a snap action", &resp);
        if (!body)
                return resp;
        const char *action = pb_json_str(body, "action");
        if (action && strcmp(action, "install") == 0)
                return install(r->broker, body);
        return pb_response_error(400, NULL, NULL, "unsupported snap action: \"%s\"",
                                 action ? action : "");
}

struct pb_response *pb_api_post_snap(struct pb_request *r)
{
        struct pb_broker *b = r->broker;
        struct pb_response *resp = NULL;
        _cleanup_json_ json_object *body = pb_request_json(r, "a snap action", &resp);
        if (!body)
                return resp;
        const char *action = pb_json_str(body, "action");
        if (!action || strcmp(action, "remove") != 0)
                return pb_response_error(400, NULL, NULL, "unsupported snap action: \"%s\"",
                                         action ? action : "");
        json_object *po = NULL;
        bool purge = json_object_object_get_ex(body, "purge", &po) &&
                     json_object_is_type(po, json_type_boolean) && json_object_get_boolean(po);
        struct pb_affected aff = {0};
        struct pb_perror perr = {0};
        pthread_mutex_lock(&b->lock);
        int rr = pb_model_remove(b->model, r->arg, purge, &aff, &perr);
        if (rr >= 0)
                b->model_seq++; /* made durable by a snapshot */
        if (rr < 0) {
                resp = pb_response_perror(&perr);
        } else {
                char summary[256];
                snprintf(summary, sizeof(summary), "Remove \"%s\" snap", r->arg);
                struct pb_change *c = pb_change_new(b, "remove-snap", summary);
                struct snap_change *name = snap_change_new(r->arg, purge);
                if (!c || !name) {
                        free(name);
                        resp = pb_response_error(500, NULL, NULL, "out of memory");
                        if (c)
                                pb_change_submit(b, c);
                } else {
                        for (size_t i = 0; i < aff.n_tasks; i++)
                                pb_change_add_task(c, "disconnect", aff.tasks[i].summary);
                        char task[256];
                        snprintf(task, sizeof(task), "Remove data of snap \"%s\"%s", r->arg,
                                 purge ? " (purge)" : "");
                        pb_change_add_task(c, "remove-snap", task);
                        for (size_t i = 0; i < aff.n_snaps; i++)
                                pb_change_affects(c, aff.snaps[i]);
                        pb_change_affects(c, r->arg);
                        pb_change_set_snap_name(c, r->arg);
                        c->data = name;
                        c->free_data = free;
                        c->after = after_snap_change;
                        if (purge)
                                c->run = purge_user_data;
                        pb_change_submit(b, c);
                        resp = pb_response_async(c->id);
                }
        }
        pthread_mutex_unlock(&b->lock);
        pb_affected_clear(&aff);
        return resp;
}
