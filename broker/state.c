/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "state.h"
#include "jsonutil.h"
#include "journal.h"
#include "common/log.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int mkdir_p(const char *path, mode_t mode)
{
        char buf[4096];
        if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
                return -ENAMETOOLONG;
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int pb_state_load(struct pb_broker *b, struct pb_error *err)
{
        const char *dir = b->cfg.state_dir;
        int r = mkdir_p(dir, 0755);
        if (r < 0)
                return pb_error_set(err, r, "cannot create state directory %s: %s", dir,
                                    strerror(-r));
        b->state_dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (b->state_dir_fd < 0)
                return pb_error_set(err, errno, "cannot open state directory %s: %m", dir);
        mkdirat(b->state_dir_fd, "snaps", 0755);
        mkdirat(b->state_dir_fd, "staging", 0700);

        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        r = pb_read_file_at(b->state_dir_fd, PB_STATE_FILE, PB_STATE_MAX, &text, &len);
        if (r == -ENOENT) {
                pb_info("no %s/%s: starting with the default state", dir, PB_STATE_FILE);
                b->model = pb_model_new(b->cat);
                if (!b->model)
                        return -ENOMEM;
                return pb_journal_load(b, err);
        }
        if (r < 0)
                return pb_error_set(err, r, "cannot read state file %s/%s: %s", dir, PB_STATE_FILE,
                                    strerror(-r));

        enum json_tokener_error jerr = json_tokener_success;
        _cleanup_json_ json_object *doc = json_tokener_parse_verbose(text, &jerr);
        if (!doc || !json_object_is_type(doc, json_type_object))
                return pb_error_set(err, EINVAL, "state file %s/%s is corrupt: %s", dir,
                                    PB_STATE_FILE,
                                    doc ? "not a JSON object" : json_tokener_error_desc(jerr));
        json_object *v = NULL;
        if (!json_object_object_get_ex(doc, "schema-version", &v) ||
            !json_object_is_type(v, json_type_int))
                return pb_error_set(err, EINVAL, "state file %s/%s is corrupt: no schema-version",
                                    dir, PB_STATE_FILE);
        int schema = json_object_get_int(v);
        if (schema != PB_STATE_SCHEMA)
                return pb_error_set(err, EINVAL,
                                    "state file %s/%s has schema version %d; this plugboardd "
                                    "understands %d",
                                    dir, PB_STATE_FILE, schema, PB_STATE_SCHEMA);
        json_object *model = NULL;
        if (!json_object_object_get_ex(doc, "model", &model))
                return pb_error_set(err, EINVAL, "state file %s/%s is corrupt: no model", dir,
                                    PB_STATE_FILE);
        struct pb_perror perr = {0};
        b->model = pb_model_from_json(b->cat, model, &perr);
        if (!b->model)
                return pb_error_set(err, EINVAL, "state file %s/%s is corrupt: %s", dir,
                                    PB_STATE_FILE, perr.msg);
        uint64_t last_id = 0;
        if (json_object_object_get_ex(doc, "last-change-id", &v))
                last_id = (uint64_t)json_object_get_int64(v);
        if (json_object_object_get_ex(doc, "model-seq", &v))
                b->model_seq = (uint64_t)json_object_get_int64(v);
        json_object *changes = NULL;
        json_object_object_get_ex(doc, "changes", &changes);
        struct pb_error cerr = {0};
        r = pb_changes_load(b, changes, last_id, &cerr);
        if (r < 0)
                return pb_error_set(err, EINVAL, "state file %s/%s is corrupt: %s", dir,
                                    PB_STATE_FILE, cerr.msg);
        pb_info("loaded %s/%s: %zu snaps", dir, PB_STATE_FILE, pb_model_snap_count(b->model));
        return pb_journal_load(b, err);
}

static double ms_between(const struct timespec *a, const struct timespec *b)
{
        return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

int pb_write_all(int fd, const char *buf, size_t len)
{
        while (len) {
                ssize_t n = write(fd, buf, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                buf += n;
                len -= (size_t)n;
        }
        return 0;
}

int pb_broker_save(struct pb_broker *b, struct pb_error *err)
{
        _cleanup_json_ json_object *doc = json_object_new_object();
        struct timespec t0, t1, t2, t3;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        json_object *model = pb_model_to_json(b->model);
        if (!doc || !model) {
                json_object_put(model);
                return pb_error_set(err, ENOMEM, "cannot save state: out of memory");
        }
        json_object_object_add(doc, "schema-version", json_object_new_int(PB_STATE_SCHEMA));
        json_object_object_add(doc, "model", model);
        json_object_object_add(doc, "model-seq", json_object_new_int64((int64_t)b->model_seq));
        json_object_object_add(doc, "last-change-id",
                               json_object_new_int64((int64_t)b->changes.last_id));
        json_object_object_add(doc, "changes", pb_changes_to_json(b));
        size_t len = 0;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        const char *text = pb_json_text(doc, &len);
        clock_gettime(CLOCK_MONOTONIC, &t2);
        if (!text)
                return pb_error_set(err, ENOMEM, "cannot save state: out of memory");

        static const char tmp[] = PB_STATE_FILE ".tmp";
        int r;
        {
                _cleanup_fd_ int fd =
                    openat(b->state_dir_fd, tmp,
                           O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (fd < 0)
                        return pb_error_set(err, errno, "cannot save state: %s/%s: %m",
                                            b->cfg.state_dir, tmp);
                r = pb_write_all(fd, text, len);
                if (r == 0)
                        r = pb_write_all(fd, "\n", 1);
                /* The data must be on disk before the rename makes it the state:
                 * otherwise a crash can leave an empty or partial state.json. */
                if (r == 0 && fdatasync(fd) < 0)
                        r = -errno;
                if (r < 0) {
                        unlinkat(b->state_dir_fd, tmp, 0);
                        return pb_error_set(err, r, "cannot save state: %s/%s: %s",
                                            b->cfg.state_dir, tmp, strerror(-r));
                }
        }
        if (renameat(b->state_dir_fd, tmp, b->state_dir_fd, PB_STATE_FILE) < 0)
                return pb_error_set(err, errno, "cannot save state: rename to %s/%s: %m",
                                    b->cfg.state_dir, PB_STATE_FILE);
        /* And the rename itself must be durable before we say Done. */
        if (fsync(b->state_dir_fd) < 0)
                return pb_error_set(err, errno, "cannot save state: fsync %s: %m",
                                    b->cfg.state_dir);
        pb_journal_reset(b);
        clock_gettime(CLOCK_MONOTONIC, &t3);
        pb_debug("state saved: %zu bytes; model %.2f ms, text %.2f ms, write+sync %.2f ms", len,
                 ms_between(&t0, &t1), ms_between(&t1, &t2), ms_between(&t2, &t3));
        return 0;
}
