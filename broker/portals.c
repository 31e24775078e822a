/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "portals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "portals/loop.h"
#include "portals/pulse.h"
#include "portals/x11.h"

#define DEFAULT_X11_TRUSTED "/etc/plugboard/x11-trusted"
#define MAX_EXTRAS          3

struct pb_portals {
        struct pb_broker *b;
        struct pb_loop *loop;
        char *x11_trusted_file;
};

struct pb_portals_sandbox {
        struct pb_portals *p;
        struct pb_enforcer enf;
        char *snap;
        struct pb_pulse *pulse;
        struct pb_x11 *x11;
        struct pb_sandbox_extra extras[MAX_EXTRAS];
        size_t n_extras;
        char *strings[MAX_EXTRAS * 3]; /* owned strings of extras */
        size_t n_strings;
};

int pb_portals_new(struct pb_broker *b, const char *x11_trusted_file, struct pb_portals **out,
                   struct pb_error *err)
{
        struct pb_portals *p = calloc(1, sizeof(*p));
        if (!p || !(p->x11_trusted_file =
                        strdup(x11_trusted_file ? x11_trusted_file : DEFAULT_X11_TRUSTED))) {
                free(p);
                return pb_error_set(err, ENOMEM, "out of memory");
        }
        p->b = b;
        int r = pb_loop_new(&p->loop);
        if (r == 0)
                r = pb_loop_start(p->loop);
        if (r < 0) {
                pb_loop_free(p->loop);
                free(p->x11_trusted_file);
                free(p);
                return pb_error_set(err, -r, "portals: starting the event loop: %s", strerror(-r));
        }
        *out = p;
        return 0;
}

void pb_portals_free(struct pb_portals *p)
{
        if (!p)
                return;
        pb_loop_free(p->loop);
        free(p->x11_trusted_file);
        free(p);
}

/* An administrator's opt-out: the snap is listed in a root-owned file. */
static bool x11_trusted(struct pb_portals *p, const char *snap)
{
        _cleanup_file_ FILE *f = fopen(p->x11_trusted_file, "re");
        if (!f)
                return false;
        struct stat st;
        if (fstat(fileno(f), &st) < 0 || st.st_uid != 0 || (st.st_mode & 022)) {
                pb_warn("portals: ignoring %s: not owned by root or writable by others",
                        p->x11_trusted_file);
                return false;
        }
        char line[256];
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, " \t\r\n#")] = 0;
                if (strcmp(line, snap) == 0)
                        return true;
        }
        return false;
}

static int publish(struct pb_enforcer *e, struct pb_grants *g)
{
        struct pb_portals_sandbox *s = e->data;
        int r = 0;
        if (s->pulse)
                r = pb_pulse_publish(s->pulse, g);
        if (s->x11 && r == 0)
                r = pb_x11_publish(s->x11, g);
        return r;
}

static char *keep(struct pb_portals_sandbox *s, char *str)
{
        if (str && s->n_strings < PB_ARRAY_SIZE(s->strings))
                s->strings[s->n_strings++] = str;
        else if (str) {
                free(str);
                str = NULL;
        }
        return str;
}

static char *fmt(struct pb_portals_sandbox *s, const char *f, ...) PB_PRINTF(2, 3);
static char *fmt(struct pb_portals_sandbox *s, const char *f, ...)
{
        va_list ap;
        va_start(ap, f);
        char *out = NULL;
        if (vasprintf(&out, f, ap) < 0)
                out = NULL;
        va_end(ap);
        return keep(s, out);
}

static int add_extra(struct pb_portals_sandbox *s, char *source, char *target, char *env)
{
        if (!source || !target || s->n_extras >= MAX_EXTRAS)
                return -ENOMEM;
        s->extras[s->n_extras++] =
            (struct pb_sandbox_extra){.source = source, .target = target, .file = true, .env = env};
        return 0;
}

/* The first "unix:" entry of PULSE_SERVER (it may list several servers). */
static char *pulse_upstream(struct pb_portals_sandbox *s, const struct pb_portals_request *req)
{
        if (!req->pulse_server || !*req->pulse_server)
                return fmt(s, "/run/user/%u/pulse/native", (unsigned)req->uid);
        _cleanup_free_ char *copy = strdup(req->pulse_server);
        if (!copy)
                return NULL;
        char *save = NULL;
        for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
                if (t[0] == '{') { /* "{machine-id}unix:..." */
                        char *close = strchr(t, '}');
                        if (!close)
                                continue;
                        t = close + 1;
                }
                if (!strncmp(t, "unix:", 5) && t[5] == '/')
                        return keep(s, strdup(t + 5));
                if (t[0] == '/')
                        return keep(s, strdup(t));
        }
        return NULL;
}

static int attach_pulse(struct pb_portals_sandbox *s, const struct pb_portals_request *req,
                        struct pb_error *err)
{
        char *up = pulse_upstream(s, req);
        if (!up) {
                pb_info("portals[%s]: PULSE_SERVER names no local socket; no audio", req->snap);
                return 0;
        }
        char *listen = fmt(s, "%s/pulse-native", req->dir);
        if (!listen)
                return pb_error_set(err, ENOMEM, "out of memory");
        struct pb_pulse_config cfg = {.name = req->snap,
                                      .listen_path = listen,
                                      .upstream_path = up,
                                      .owner_uid = req->uid,
                                      .owner_gid = req->gid,
                                      .upstream_uid = req->uid,
                                      .upstream_gid = req->gid};
        int r = pb_pulse_new(s->p->loop, &cfg, NULL, &s->pulse, err);
        if (r < 0)
                return r;
        return add_extra(s, listen, fmt(s, "/run/user/%u/pulse/native", (unsigned)req->uid),
                         fmt(s, "PULSE_SERVER=unix:/run/user/%u/pulse/native", (unsigned)req->uid));
}

static int attach_x11(struct pb_portals_sandbox *s, const struct pb_portals_request *req)
{
        if (!req->display || !*req->display)
                return 0;
        char *listen = fmt(s, "%s/x11-X0", req->dir);
        char *authfile = fmt(s, "%s/x11-authority", req->dir);
        if (!listen || !authfile)
                return -ENOMEM;
        struct pb_x11_config cfg = {.name = req->snap,
                                    .listen_path = listen,
                                    .display = req->display,
                                    .xauthority = req->xauthority,
                                    .authfile_path = authfile,
                                    .sandbox_display = 0,
                                    .trusted = x11_trusted(s->p, req->snap),
                                    .owner_uid = req->uid,
                                    .owner_gid = req->gid,
                                    .private_netns = req->private_netns};
        struct pb_error e = {0};
        if (pb_x11_new(s->p->loop, &cfg, NULL, &s->x11, &e) < 0) {
                /* Fail closed, but do not stop the app: it runs without X. */
                pb_warn("portals[%s]: no X11 portal: %s", req->snap, e.msg);
                return 0;
        }
        int r = add_extra(s, listen, (char *)"/tmp/.X11-unix/X0", (char *)"DISPLAY=:0");
        if (r == 0)
                r = add_extra(s, authfile, fmt(s, "/run/user/%u/.Xauthority", (unsigned)req->uid),
                              fmt(s, "XAUTHORITY=/run/user/%u/.Xauthority", (unsigned)req->uid));
        return r;
}

int pb_portals_attach(struct pb_portals *p, const struct pb_portals_request *req,
                      struct pb_portals_sandbox **out, struct pb_error *err)
{
        if (!req->snap || !req->dir)
                return pb_error_set(err, EINVAL, "portals: missing snap or directory");
        struct pb_portals_sandbox *s = calloc(1, sizeof(*s));
        if (!s || !(s->snap = strdup(req->snap))) {
                free(s);
                return pb_error_set(err, ENOMEM, "out of memory");
        }
        s->p = p;
        int r = attach_pulse(s, req, err);
        if (r == 0 && attach_x11(s, req) < 0)
                r = pb_error_set(err, ENOMEM, "out of memory");
        if (r < 0) {
                pb_portals_detach(s);
                return r;
        }
        s->enf =
            (struct pb_enforcer){.snap = s->snap, .uid = req->uid, .publish = publish, .data = s};
        r = pb_broker_enforcer_add(p->b, &s->enf, err);
        if (r < 0) {
                pb_portals_detach(s);
                return r;
        }
        *out = s;
        return 0;
}

const struct pb_sandbox_extra *pb_portals_extras(const struct pb_portals_sandbox *s, size_t *n)
{
        *n = s->n_extras;
        return s->extras;
}

bool pb_portals_has_x11(const struct pb_portals_sandbox *s)
{
        return s->x11 != NULL;
}

void pb_portals_take_listener(struct pb_portals_sandbox *s, int fd)
{
        if (!s->x11)
                close(fd);
        else if (pb_x11_direct_listen(s->x11, fd) < 0)
                pb_warn("portals[%s]: cannot answer the sandbox's connects", s->snap);
}

void pb_portals_detach(struct pb_portals_sandbox *s)
{
        if (!s)
                return;
        if (s->enf.publish)
                pb_broker_enforcer_remove(s->p->b, &s->enf);
        pb_pulse_free(s->pulse);
        pb_x11_free(s->x11);
        for (size_t i = 0; i < s->n_strings; i++)
                free(s->strings[i]);
        free(s->snap);
        free(s);
}
