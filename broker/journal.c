/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "journal.h"
#include "state.h"
#include "jsonutil.h"
#include "common/log.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

json_object *pb_journal_record(struct pb_broker *b, const char *op, const char *plug_snap,
                               const char *plug, const char *slot_snap, const char *slot,
                               bool forget)
{
        json_object *r = json_object_new_object();
        if (!r)
                return NULL;
        json_object_object_add(r, "seq", json_object_new_int64((int64_t)++b->model_seq));
        json_object_object_add(r, "op", json_object_new_string(op));
        json_object_object_add(r, "plug-snap", json_object_new_string(plug_snap));
        json_object_object_add(r, "plug", json_object_new_string(plug));
        json_object_object_add(r, "slot-snap", json_object_new_string(slot_snap));
        json_object_object_add(r, "slot", json_object_new_string(slot));
        if (forget)
                json_object_object_add(r, "forget", json_object_new_boolean(1));
        return r;
}

int pb_journal_commit(struct pb_broker *b, struct pb_change *c, struct pb_error *err)
{
        if (b->journal_fd < 0 || b->journal_records >= PB_JOURNAL_MAX_RECORDS)
                return pb_broker_save(b, err);
        json_object_object_add(c->journal, "change", pb_change_to_json(c));
        size_t len = 0;
        const char *text = pb_json_text(c->journal, &len);
        if (!text)
                return pb_error_set(err, ENOMEM, "cannot save state: out of memory");
        /* One write of the line and its newline, then fdatasync: the
         * record is durable before the change is reported Done. */
        _cleanup_free_ char *line = malloc(len + 1);
        if (!line)
                return pb_error_set(err, ENOMEM, "cannot save state: out of memory");
        memcpy(line, text, len);
        line[len] = '\n';
        int r = pb_write_all(b->journal_fd, line, len + 1);
        if (r == 0 && fdatasync(b->journal_fd) < 0)
                r = -errno;
        if (r < 0) {
                /* The journal may now end in a torn line: a snapshot makes
                 * the state whole again and empties it. */
                pb_err("cannot append to %s/%s: %s; writing a snapshot", b->cfg.state_dir,
                       PB_JOURNAL_FILE, strerror(-r));
                return pb_broker_save(b, err);
        }
        b->journal_records++;
        return 0;
}

void pb_journal_reset(struct pb_broker *b)
{
        if (b->journal_fd < 0)
                return;
        if (ftruncate(b->journal_fd, 0) < 0 || fdatasync(b->journal_fd) < 0)
                pb_warn("cannot empty %s/%s: %m (its records are older than the snapshot "
                        "and will be skipped)",
                        b->cfg.state_dir, PB_JOURNAL_FILE);
        b->journal_records = 0;
}

static void replay_change(struct pb_broker *b, json_object *chg)
{
        if (!chg)
                return;
        json_object *arr = json_object_new_array();
        json_object_array_add(arr, json_object_get(chg));
        struct pb_error err = {0};
        if (pb_changes_load(b, arr, b->changes.last_id, &err) < 0)
                pb_warn("journal: cannot restore a change: %s", err.msg);
        json_object_put(arr);
}

static int replay_one(struct pb_broker *b, json_object *rec, size_t lineno)
{
        json_object *v = NULL;
        if (!json_object_object_get_ex(rec, "seq", &v) || !json_object_is_type(v, json_type_int))
                return -EINVAL;
        uint64_t seq = (uint64_t)json_object_get_int64(v);
        const char *op = pb_json_str(rec, "op"), *ps = pb_json_str(rec, "plug-snap"),
                   *p = pb_json_str(rec, "plug"), *ss = pb_json_str(rec, "slot-snap"),
                   *s = pb_json_str(rec, "slot");
        if (!op || !ps || !p || !ss || !s)
                return -EINVAL;
        json_object *chg = NULL;
        json_object_object_get_ex(rec, "change", &chg);
        replay_change(b, chg);
        if (seq <= b->model_seq)
                return 0; /* already in the snapshot */
        struct pb_affected aff = {0};
        struct pb_perror perr = {0};
        int r;
        if (strcmp(op, "connect") == 0) {
                struct pb_connref ref;
                r = pb_model_connect(b->model, ps, p, ss, s, &ref, &aff, &perr);
        } else if (strcmp(op, "disconnect") == 0) {
                json_object *f = NULL;
                bool forget =
                    json_object_object_get_ex(rec, "forget", &f) && json_object_get_boolean(f);
                r = pb_model_disconnect(b->model, ps, p, ss, s, forget, &aff, &perr);
        } else {
                return -EINVAL;
        }
        pb_affected_clear(&aff);
        /* A record that no longer applies (e.g. its interface file was
         * removed by the administrator) is reported, not fatal. */
        if (r < 0)
                pb_warn("%s/%s:%zu: cannot replay %s: %s", b->cfg.state_dir, PB_JOURNAL_FILE,
                        lineno, op, perr.msg);
        b->model_seq = seq;
        return 0;
}

int pb_journal_load(struct pb_broker *b, struct pb_error *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = pb_read_file_at(b->state_dir_fd, PB_JOURNAL_FILE, PB_STATE_MAX, &text, &len);
        if (r < 0 && r != -ENOENT)
                return pb_error_set(err, r, "cannot read %s/%s: %s", b->cfg.state_dir,
                                    PB_JOURNAL_FILE, strerror(-r));
        size_t replayed = 0, lineno = 0;
        off_t good = -1; /* where a torn last record starts */
        for (char *line = text; line && *line;) {
                char *nl = strchr(line, '\n');
                lineno++;
                if (nl)
                        *nl = '\0';
                json_object *rec = json_tokener_parse(line);
                bool ok = rec && json_object_is_type(rec, json_type_object) &&
                          replay_one(b, rec, lineno) == 0;
                json_object_put(rec);
                if (!ok) {
                        /* Only the last line may be torn: it was being written
                         * when the daemon died, so its change was never Done. */
                        if (!nl || !nl[1]) {
                                pb_warn("%s/%s:%zu: ignoring a torn last record", b->cfg.state_dir,
                                        PB_JOURNAL_FILE, lineno);
                                good = (off_t)(line - text);
                                break;
                        }
                        return pb_error_set(err, EINVAL, "journal %s/%s is corrupt at line %zu",
                                            b->cfg.state_dir, PB_JOURNAL_FILE, lineno);
                }
                replayed++;
                line = nl ? nl + 1 : NULL;
        }
        b->journal_fd = openat(b->state_dir_fd, PB_JOURNAL_FILE,
                               O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        /* New records must not follow a torn one (that would make it a
         * corrupt middle line at the next start): cut it off first. */
        if (b->journal_fd >= 0 && good >= 0 &&
            (ftruncate(b->journal_fd, good) < 0 || fdatasync(b->journal_fd) < 0)) {
                pb_warn("cannot cut the torn record off %s/%s: %m; every change writes a "
                        "snapshot",
                        b->cfg.state_dir, PB_JOURNAL_FILE);
                close(b->journal_fd);
                b->journal_fd = -1;
        }
        if (b->journal_fd < 0)
                pb_warn("cannot open %s/%s: %m; every change writes a snapshot", b->cfg.state_dir,
                        PB_JOURNAL_FILE);
        if (replayed) {
                pb_info("replayed %zu journal records", replayed);
                /* Fold them into a fresh snapshot (which empties the journal). */
                struct pb_error serr = {0};
                if (pb_broker_save(b, &serr) < 0)
                        pb_warn("%s", serr.msg);
        }
        return 0;
}
