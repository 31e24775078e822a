/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The sandbox registry and the spawning of plugboard-launch (see sandbox.h).
 *
 * The broker is multithreaded, so no namespace work happens in a forked copy
 * of it: it posix_spawns the launcher (root, not setuid) with the app's
 * stdio on 0-2 and a socketpair on 3 carrying the spec (sandbox/spec.h).
 */
#include "sandbox.h"
#include "unix-socket.h"
#include "sandbox-spec.h"
#include "portals.h"
#include "sandbox-views.h"
#include "portals/control.h"
#include "common/log.h"
#include "common/pidns.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>

struct pb_sandboxes {
        struct pb_broker *b;
        char *runtime_dir;
        pthread_mutex_t lock; /* the list; leaf lock (never held while calling the broker) */
        struct pb_sandbox *list;
        struct pb_portals *portals; /* NULL: no audio/X11 portals (logged) */
        struct pb_view_sets *views; /* NULL: no FUSE views (logged; only ~/snap/NAME) */
        pthread_cond_t idle;        /* signalled when the list becomes empty */
        /* a launcher spawned ahead of time (spare_lock is a leaf) */
        pthread_mutex_t spare_lock;
        pthread_cond_t spare_cond;
        pid_t spare_pid;
        int spare_chan;
        bool stopping;
        pthread_t spare;
        bool spare_started;
};

struct pb_sandbox {
        struct pb_sandboxes *reg;
        char id[33];
        char *snap;
        uid_t uid;
        pid_t launcher;
        pid_t init; /* host pid of the sandbox's init, 0 until reported */
        int chan;
        char *dir; /* runtime_dir/sandbox/<id>: the control socket lives here */
        struct pb_control *ctl;
        struct pb_portals_sandbox *psb;
        struct pb_view_set *vset;
        struct pb_enforcer enf;
        bool enf_added;
        pthread_mutex_t lock; /* grants, init */
        struct pb_grants *grants;
        struct pb_sandbox *next;
};

void pb_run_request_free(struct pb_run_request *r)
{
        if (!r)
                return;
        free(r->snap);
        free(r->app);
        pb_strv_free(r->args);
        pb_strv_free(r->env);
        free(r->cwd);
        free(r);
}

static void *spare_thread(void *arg);

struct pb_sandboxes *pb_sandboxes_new(struct pb_broker *b, const char *runtime_dir)
{
        struct pb_sandboxes *r = calloc(1, sizeof(*r));
        if (!r || !(r->runtime_dir = strdup(runtime_dir))) {
                free(r);
                return NULL;
        }
        r->b = b;
        pthread_mutex_init(&r->lock, NULL);
        pthread_cond_init(&r->idle, NULL);
        pthread_mutex_init(&r->spare_lock, NULL);
        pthread_cond_init(&r->spare_cond, NULL);
        r->spare_chan = -1;
        r->spare_started = pthread_create(&r->spare, NULL, spare_thread, r) == 0;
        struct pb_error err = {0};
        if (pb_portals_new(b, NULL, &r->portals, &err) < 0) {
                pb_warn("sandbox: no audio/X11 portals: %s", err.msg);
                r->portals = NULL;
        }
        /* Views linger 5 s after their last sandbox: repeated short runs reuse
         * the mounts. */
        r->views = pb_view_sets_new(b, runtime_dir, 5000);
        if (!r->views)
                pb_warn("sandbox: no FUSE views: cannot start their reaper");
        _cleanup_free_ char *d = NULL;
        if (asprintf(&d, "%s/sandbox", runtime_dir) >= 0) {
                mkdir(runtime_dir, 0755);
                mkdir(d, 0700);
        }
        return r;
}

void pb_sandboxes_free(struct pb_sandboxes *r)
{
        if (!r)
                return;
        pthread_mutex_lock(&r->spare_lock);
        r->stopping = true;
        pthread_cond_signal(&r->spare_cond);
        pthread_mutex_unlock(&r->spare_lock);
        if (r->spare_started)
                pthread_join(r->spare, NULL);
        if (r->spare_pid > 0) { /* it exits when its channel closes */
                close(r->spare_chan);
                waitpid(r->spare_pid, NULL, 0);
        }
        /* The run threads own their instances; ask them to end (the launchers
         * kill their sandboxes when the channel closes). */
        pthread_mutex_lock(&r->lock);
        for (struct pb_sandbox *s = r->list; s; s = s->next)
                if (s->launcher > 0)
                        kill(s->launcher, SIGKILL);
        /* An instance leaves the list only when its teardown (portals, views)
         * is done; wait for them, a bounded time. */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 5;
        while (r->list && pthread_cond_timedwait(&r->idle, &r->lock, &until) == 0)
                ;
        bool idle = r->list == NULL;
        pthread_mutex_unlock(&r->lock);
        if (!idle) {
                pb_warn("sandbox: instances still ending at exit; leaving them");
                return; /* the run threads still use r: the process is exiting */
        }
        pb_portals_free(r->portals);
        pb_view_sets_free(r->views);
        pthread_cond_destroy(&r->idle);
        pthread_mutex_destroy(&r->lock);
        free(r->runtime_dir);
        free(r);
}

static const char *exe_relative(char *buf, size_t size, const char *const *cands, size_t n)
{
        char exe[PATH_MAX];
        ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (len <= 0)
                return NULL;
        exe[len] = '\0';
        char *dir = dirname(exe);
        for (size_t i = 0; i < n; i++) {
                char cand[PATH_MAX + 64];
                snprintf(cand, sizeof(cand), "%s/%s", dir, cands[i]);
                /* canonical: the spec takes clean absolute paths only */
                if (access(cand, X_OK) == 0 && size >= PATH_MAX && realpath(cand, buf))
                        return buf;
        }
        return NULL;
}

const char *pb_sandbox_launcher_path(void)
{
        static char buf[PATH_MAX]; /* written once per call site; same value */
        const char *env = getenv("PLUGBOARD_LAUNCHER");
        if (env && env[0] == '/')
                return env;
        static const char *const c[] = {"../sandbox/plugboard-launch",
                                        "../libexec/plugboard/plugboard-launch"};
        const char *p = exe_relative(buf, sizeof(buf), c, PB_ARRAY_SIZE(c));
        return p ? p : "/usr/libexec/plugboard/plugboard-launch";
}

static const char *plugctl_path(char *buf, size_t size)
{
        const char *env = getenv("PLUGBOARD_PLUGCTL");
        if (env && env[0] == '/')
                return env;
        static const char *const c[] = {"../sandbox/plugctl", "../libexec/plugboard/plugctl"};
        return exe_relative(buf, size, c, PB_ARRAY_SIZE(c));
}

/* ---- device holders ---- */

static bool base_device(const char *rel)
{
        static const char *base[] = {"null", "zero", "full", "random", "urandom", "tty", "ptmx"};
        for (size_t i = 0; i < PB_ARRAY_SIZE(base); i++)
                if (strcmp(rel, base[i]) == 0)
                        return true;
        return strncmp(rel, "pts/", 4) == 0;
}

/* The node's name under /dev ("video0", "snd/pcmC0D0p"), from sysfs. */
static bool device_name(dev_t rdev, bool block, char *out, size_t size)
{
        char p[96], line[192];
        snprintf(p, sizeof(p), "/sys/dev/%s/%u:%u/uevent", block ? "block" : "char", major(rdev),
                 minor(rdev));
        _cleanup_file_ FILE *f = fopen(p, "re");
        while (f && fgets(line, sizeof(line), f)) {
                if (strncmp(line, "DEVNAME=", 8) == 0) {
                        line[strcspn(line, "\n")] = '\0';
                        snprintf(out, size, "%s", line + 8);
                        return true;
                }
        }
        return false;
}

static bool device_allowed(const struct pb_grants *g, const struct stat *st)
{
        unsigned maj = major(st->st_rdev);
        if (S_ISCHR(st->st_mode) && maj >= 136 && maj <= 143)
                return true; /* pty slaves: terminals, never granted or revoked */
        char name[200];
        if (!device_name(st->st_rdev, S_ISBLK(st->st_mode), name, sizeof(name)))
                return false; /* unknown node: fail closed */
        if (base_device(name))
                return true;
        return g && (pb_grants_device(g, name) & (PB_ACCESS_READ | PB_ACCESS_WRITE));
}

static bool holds_revoked(int pid, const struct pb_grants *g)
{
        char p[64];
        snprintf(p, sizeof(p), "/proc/%d/fd", pid);
        _cleanup_dir_ DIR *d = opendir(p);
        int dfd = d ? dirfd(d) : -1;
        struct dirent *de;
        while (d && (de = readdir(d))) {
                struct stat st;
                if (de->d_name[0] == '.' || fstatat(dfd, de->d_name, &st, 0) < 0)
                        continue;
                if ((S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) && !device_allowed(g, &st))
                        return true;
        }
        return false;
}

struct kill_ctx {
        const struct pb_grants *g;
        int killed;
};

static void kill_if_holding(pid_t pid, void *data)
{
        struct kill_ctx *k = data;
        if (holds_revoked((int)pid, k->g) && kill(pid, SIGKILL) == 0) {
                pb_info("sandbox: killed pid %d, it holds a device node no longer granted",
                        (int)pid);
                k->killed++;
        }
}

int pb_sandbox_kill_device_holders(pid_t init_pid, const struct pb_grants *g)
{
        /* The processes of this sandbox: same pid namespace as its init. The
         * init itself holds only stdio. */
        struct pb_pidns ns;
        if (!pb_pidns_of(init_pid, &ns))
                return 0;
        struct kill_ctx k = {.g = g};
        pb_pidns_each(&ns, kill_if_holding, &k);
        return k.killed;
}

/* Host device nodes that a declared device rule of the snap matches,
 * connected or not (so a later connect shows up): /dev and one level of
 * subdirectories (snd/, dri/, input/, ...). */
static void dev_walk(const struct pb_grants *g, const char *sub, char ***v, size_t *n, int depth)
{
        char dir[300];
        snprintf(dir, sizeof(dir), "/dev%s%s", sub[0] ? "/" : "", sub);
        _cleanup_dir_ DIR *d = opendir(dir);
        struct dirent *de;
        while (d && (de = readdir(d)) && *n < 1024) {
                if (de->d_name[0] == '.')
                        continue;
                char rel[300];
                snprintf(rel, sizeof(rel), "%s%s%s", sub, sub[0] ? "/" : "", de->d_name);
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (S_ISDIR(st.st_mode) && depth == 0 && strcmp(de->d_name, "pts") != 0 &&
                    strcmp(de->d_name, "shm") != 0) {
                        dev_walk(g, rel, v, n, 1);
                        continue;
                }
                if (!(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) || base_device(rel))
                        continue;
                if (!pb_grants_device(g, rel) &&
                    !pb_grants_device_would_grant(g, rel, PB_ACCESS_READ))
                        continue;
                char **nv = realloc(*v, (*n + 2) * sizeof(char *));
                if (!nv)
                        return;
                *v = nv;
                if (((*v)[*n] = strdup(rel)))
                        (*n)++;
                (*v)[*n] = NULL;
        }
}

static char **dev_links_for(const struct pb_grants *g)
{
        char **v = calloc(1, sizeof(char *));
        size_t n = 0;
        if (v)
                dev_walk(g, "", &v, &n, 0);
        return v;
}

/* ---- enforcer: the sandbox's view of its table ---- */

/* The launcher's child in another pid namespace: the sandbox's init. Used
 * when a publish comes before the launcher's "pid" report has been read, so
 * that an app already holding a device is not missed. */
static pid_t find_init(pid_t launcher)
{
        char p[96], buf[256];
        struct stat self, st;
        if (launcher <= 0 || stat("/proc/self/ns/pid", &self) < 0)
                return 0;
        snprintf(p, sizeof(p), "/proc/%d/task/%d/children", (int)launcher, (int)launcher);
        _cleanup_file_ FILE *f = fopen(p, "re");
        if (!f || !fgets(buf, sizeof(buf), f))
                return 0;
        char *save = NULL;
        for (char *w = strtok_r(buf, " \n", &save); w; w = strtok_r(NULL, " \n", &save)) {
                snprintf(p, sizeof(p), "/proc/%s/ns/pid", w);
                if (stat(p, &st) == 0 && st.st_ino != self.st_ino)
                        return (pid_t)atoi(w);
        }
        return 0;
}

static int sandbox_publish(struct pb_enforcer *e, struct pb_grants *g)
{
        struct pb_sandbox *s = e->data;
        pthread_mutex_lock(&s->lock);
        struct pb_grants *old = s->grants;
        s->grants = pb_grants_ref(g);
        if (s->init == 0)
                s->init = find_init(s->launcher);
        pid_t init = s->init;
        pthread_mutex_unlock(&s->lock);
        if (old)
                pb_grants_unref(old);
        if (s->ctl)
                pb_control_publish(s->ctl, g);
        /* Revocation of devices: no revoke(2) in Linux, so the holder goes. */
        pb_sandbox_kill_device_holders(init, g);
        return 0;
}

/* For is-connected --pid: which sandbox is pid N in? */
static int peer_lookup(void *ctx, pid_t pid, char **snap, struct pb_grants **g)
{
        struct pb_sandboxes *r = ctx;
        char p[64];
        struct stat target;
        snprintf(p, sizeof(p), "/proc/%d/ns/pid", (int)pid);
        if (pid <= 0 || stat(p, &target) < 0)
                return -ESRCH;
        int ret = -ESRCH;
        pthread_mutex_lock(&r->lock);
        for (struct pb_sandbox *s = r->list; s && ret < 0; s = s->next) {
                struct stat st;
                snprintf(p, sizeof(p), "/proc/%d/ns/pid", (int)s->init);
                if (s->init <= 0 || stat(p, &st) < 0 || st.st_ino != target.st_ino)
                        continue;
                pthread_mutex_lock(&s->lock);
                *snap = strdup(s->snap);
                *g = s->grants ? pb_grants_ref(s->grants) : NULL;
                pthread_mutex_unlock(&s->lock);
                ret = *snap ? 0 : -ENOMEM;
        }
        pthread_mutex_unlock(&r->lock);
        return ret;
}

/* ---- start ---- */

static const char *vpath(const struct pb_view_set *v, enum pb_view_slot slot)
{
        return v ? pb_view_set_path(v, slot) : NULL;
}

static const char *env_get(char *const *env, const char *name)
{
        size_t n = strlen(name);
        for (char *const *e = env; e && *e; e++)
                if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
                        return *e + n + 1;
        return NULL;
}

static int user_of(uid_t uid, char **home, gid_t *gid, gid_t **groups, size_t *n_groups,
                   struct pb_error *err)
{
        struct passwd pw, *res = NULL;
        char buf[4096];
        if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) != 0 || !res)
                return pb_error_set(err, ESRCH, "no user with uid %u", (unsigned)uid);
        if (!pb_spec_path_ok(pw.pw_dir) || strcmp(pw.pw_dir, "/") == 0)
                return pb_error_set(err, EINVAL, "the home directory of uid %u is unusable: %s",
                                    (unsigned)uid, pw.pw_dir);
        int n = 64;
        gid_t *g = calloc((size_t)n, sizeof(gid_t));
        if (g && getgrouplist(pw.pw_name, pw.pw_gid, g, &n) < 0) {
                gid_t *g2 = realloc(g, (size_t)n * sizeof(gid_t));
                if (!g2 || getgrouplist(pw.pw_name, pw.pw_gid, g2, &n) < 0) {
                        free(g2 ? g2 : g);
                        g = NULL;
                } else {
                        g = g2;
                }
        }
        *home = strdup(pw.pw_dir);
        if (!g || !*home) {
                free(g);
                free(*home);
                return pb_error_set(err, ENOMEM, "out of memory");
        }
        *gid = pw.pw_gid;
        *groups = g;
        *n_groups = (size_t)n;
        return 0;
}

/* Everything but the memory: control socket, portals, views, directory. */
static void sandbox_teardown(struct pb_sandbox *s)
{
        pb_control_stop(s->ctl);
        s->ctl = NULL;
        if (s->psb)
                pb_portals_detach(s->psb);
        s->psb = NULL;
        if (s->vset)
                pb_view_set_release(s->vset);
        s->vset = NULL;
        if (s->dir)
                rmdir(s->dir);
        if (s->chan >= 0)
                close(s->chan);
        s->chan = -1;
}

static void sandbox_free(struct pb_sandbox *s)
{
        if (!s)
                return;
        sandbox_teardown(s);
        if (s->grants)
                pb_grants_unref(s->grants);
        pthread_mutex_destroy(&s->lock);
        free(s->dir);
        free(s->snap);
        free(s);
}

/* posix_spawn plugboard-launch with /dev/null as stdio and one end of a
 * socketpair as fd 3; the caller's stdio comes later, with the spec. */
static int spawn_process(pid_t *pid, int *chan, struct pb_error *err)
{
        int sp[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
                return pb_error_set(err, errno, "socketpair: %m");
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        for (int i = 0; i < 3; i++)
                posix_spawn_file_actions_addopen(&fa, i, "/dev/null", O_RDWR, 0);
        posix_spawn_file_actions_adddup2(&fa, sp[1], 3);
        posix_spawnattr_t at;
        posix_spawnattr_init(&at);
        sigset_t none, all;
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawnattr_setsigmask(&at, &none);
        posix_spawnattr_setsigdefault(&at, &all);
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                          POSIX_SPAWN_SETSID);
        const char *launcher = pb_sandbox_launcher_path();
        char *argv[] = {(char *)"plugboard-launch", NULL};
        char *envp[] = {(char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
        int r = posix_spawn(pid, launcher, &fa, &at, argv, envp);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&at);
        close(sp[1]);
        if (r != 0) {
                close(sp[0]);
                return pb_error_set(err, r, "cannot start %s: %s", launcher, strerror(r));
        }
        *chan = sp[0];
        return 0;
}

/* Keeps one launcher spawned ahead of time (exec and dynamic linking off the
 * launch path); it waits for its spec and stdio on fd 3. */
static void *spare_thread(void *arg)
{
        struct pb_sandboxes *r = arg;
        pthread_mutex_lock(&r->spare_lock);
        while (!r->stopping) {
                if (r->spare_pid > 0) {
                        pthread_cond_wait(&r->spare_cond, &r->spare_lock);
                        continue;
                }
                pthread_mutex_unlock(&r->spare_lock);
                pid_t pid = 0;
                int chan = -1;
                struct pb_error err = {0};
                int ret = spawn_process(&pid, &chan, &err);
                pthread_mutex_lock(&r->spare_lock);
                if (ret < 0) {
                        pb_warn("sandbox: cannot keep a launcher ready: %s", err.msg);
                        break; /* launches spawn their own */
                }
                r->spare_pid = pid;
                r->spare_chan = chan;
        }
        pthread_mutex_unlock(&r->spare_lock);
        return NULL;
}

static int spawn_launcher(struct pb_sandbox *s, const int fds[3], const char *json,
                          struct pb_error *err)
{
        struct pb_sandboxes *r = s->reg;
        pid_t pid = 0;
        int chan = -1;
        pthread_mutex_lock(&r->spare_lock);
        if (r->spare_pid > 0) {
                pid = r->spare_pid;
                chan = r->spare_chan;
                r->spare_pid = 0;
                r->spare_chan = -1;
                pthread_cond_signal(&r->spare_cond);
        }
        pthread_mutex_unlock(&r->spare_lock);
        if (pid == 0) {
                int ret = spawn_process(&pid, &chan, err);
                if (ret < 0)
                        return ret;
        }
        pthread_mutex_lock(&s->lock);
        s->launcher = pid;
        pthread_mutex_unlock(&s->lock);
        s->chan = chan;
        /* The length word carries the caller's stdio (SCM_RIGHTS). */
        if (pb_frame_send(s->chan, json, (uint32_t)strlen(json), fds, 3) < 0)
                return pb_error_set(err, EIO, "cannot send the spec to the launcher");
        return 0;
}

int pb_sandbox_start(struct pb_sandboxes *r, const struct pb_run_request *req,
                     const struct ucred *cred, const int fds[3], struct pb_sandbox **out,
                     struct pb_error *err)
{
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        struct pb_installed_snap *inst = NULL;
        int ret = pb_broker_snap_lookup(r->b, req->snap, &inst, err);
        if (ret < 0)
                return ret;
        const char *app_name = req->app ? req->app : req->snap;
        const struct pb_snap_app *app = pb_snap_info_app(inst->info, app_name);
        if (!app || !app->command) {
                ret =
                    pb_error_set(err, ENOENT, "snap \"%s\" has no app \"%s\"", req->snap, app_name);
                pb_installed_snap_free(inst);
                return ret;
        }
        _cleanup_free_ char *home = NULL;
        _cleanup_free_ gid_t *groups = NULL;
        size_t n_groups = 0;
        gid_t gid = 0;
        struct pb_grants *g = NULL;
        struct pb_spec *spec = NULL;
        _cleanup_free_ char *json = NULL, *sock = NULL;
        _cleanup_strv_ char **dev_links = NULL;
        struct pb_sandbox *s = calloc(1, sizeof(*s));
        if (!s) {
                pb_installed_snap_free(inst);
                return pb_error_set(err, ENOMEM, "out of memory");
        }
        s->reg = r;
        s->chan = -1;
        s->uid = cred->uid;
        pthread_mutex_init(&s->lock, NULL);
        uint8_t rnd[16];
        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
                ret = pb_error_set(err, EIO, "getrandom: %m");
                goto fail;
        }
        for (size_t i = 0; i < sizeof(rnd); i++)
                snprintf(s->id + 2 * i, 3, "%02x", rnd[i]);
        s->snap = strdup(req->snap);
        if (!s->snap || asprintf(&s->dir, "%s/sandbox/%s", r->runtime_dir, s->id) < 0 ||
            asprintf(&sock, "%s/snapd-snap.socket", s->dir) < 0) {
                s->dir = NULL;
                ret = pb_error_set(err, ENOMEM, "out of memory");
                goto fail;
        }
        if ((ret = user_of(cred->uid, &home, &gid, &groups, &n_groups, err)) < 0)
                goto fail;
        g = pb_broker_compile_grants(r->b, req->snap, cred->uid, err);
        if (!g) {
                ret = -(err && err->code ? err->code : EINVAL);
                goto fail;
        }
        s->grants = pb_grants_ref(g);
        if (mkdir(s->dir, 0700) < 0) {
                ret = pb_error_set(err, errno, "cannot create %s: %m", s->dir);
                goto fail;
        }
        struct pb_control_config cc = {.path = sock,
                                       .uid = cred->uid,
                                       .gid = gid,
                                       .snap = req->snap,
                                       .grants = g,
                                       .peer = peer_lookup,
                                       .peer_ctx = r};
        if ((ret = pb_control_start(&cc, &s->ctl, err)) < 0)
                goto fail;

        if (r->portals) {
                struct pb_portals_request pr = {.snap = req->snap,
                                                .uid = cred->uid,
                                                .gid = gid,
                                                .pulse_server = env_get(req->env, "PULSE_SERVER"),
                                                .display = env_get(req->env, "DISPLAY"),
                                                .xauthority = env_get(req->env, "XAUTHORITY"),
                                                .dir = s->dir,
                                                .private_netns =
                                                    !pb_grants_service(g, PB_SERVICE_NETWORK)};
                if ((ret = pb_portals_attach(r->portals, &pr, &s->psb, err)) < 0)
                        goto fail;
        }
        if (r->views) {
                struct pb_error verr = {0};
                if (pb_view_set_acquire(r->views, req->snap, cred->uid, gid, home, &s->vset,
                                        &verr) < 0) {
                        /* Less access, never more: without views the app gets only
                         * its own ~/snap/NAME, bound directly. */
                        pb_warn("sandbox: no views for %s (uid %u): %s", req->snap,
                                (unsigned)cred->uid, verr.msg);
                        s->vset = NULL;
                }
        }
        dev_links = dev_links_for(g);
        size_t n_extras = 0;
        const struct pb_sandbox_extra *extras =
            s->psb ? pb_portals_extras(s->psb, &n_extras) : NULL;
        char plugctl_buf[PATH_MAX];
        struct pb_sandbox_params p = {.snap = inst->name,
                                      .revision = inst->revision,
                                      .app = app_name,
                                      .command = app->command,
                                      .snap_dir = inst->dir,
                                      .instance = s->id,
                                      .args = req->args,
                                      .client_env = req->env,
                                      .cwd = req->cwd,
                                      .nofile = req->nofile,
                                      .user = {.uid = cred->uid,
                                               .gid = gid,
                                               .groups = groups,
                                               .n_groups = n_groups,
                                               .home = home},
                                      .grants = g,
                                      .home_view = vpath(s->vset, PB_VSLOT_HOME),
                                      .host_view = vpath(s->vset, PB_VSLOT_HOST),
                                      .dev_view = vpath(s->vset, PB_VSLOT_DEV),
                                      .status_view = vpath(s->vset, PB_VSLOT_STATUS),
                                      .media_views = {vpath(s->vset, PB_VSLOT_MEDIA),
                                                      vpath(s->vset, PB_VSLOT_RUN_MEDIA),
                                                      vpath(s->vset, PB_VSLOT_MNT)},
                                      .dev_links = dev_links,
                                      .control_socket = sock,
                                      .extras = extras,
                                      .n_extras = n_extras,
                                      .plugctl = plugctl_path(plugctl_buf, sizeof(plugctl_buf))};
        if ((ret = pb_sandbox_build_spec(&p, &spec, err)) < 0)
                goto fail;
        spec->notify_connect = s->psb && pb_portals_has_x11(s->psb);
        json = pb_spec_to_json(spec);
        pb_spec_free(spec);
        if (!json) {
                ret = pb_error_set(err, ENOMEM, "out of memory");
                goto fail;
        }
        /* Registered before the app runs, so no change can be missed. */
        s->enf = (struct pb_enforcer){
            .snap = s->snap, .uid = s->uid, .publish = sandbox_publish, .data = s};
        if ((ret = pb_broker_enforcer_add(r->b, &s->enf, err)) < 0)
                goto fail;
        s->enf_added = true;
        if ((ret = spawn_launcher(s, fds, json, err)) < 0)
                goto fail;
        pthread_mutex_lock(&r->lock);
        s->next = r->list;
        r->list = s;
        pthread_mutex_unlock(&r->lock);
        pb_grants_unref(g);
        pb_installed_snap_free(inst);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        pb_debug("sandbox %s: %s for uid %u spawned in %.2f ms", s->id, s->snap, (unsigned)s->uid,
                 (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
        *out = s;
        return 0;
fail:
        if (s->enf_added)
                pb_broker_enforcer_remove(r->b, &s->enf);
        if (s->launcher > 0) {
                kill(s->launcher, SIGKILL);
                waitpid(s->launcher, NULL, 0);
        }
        if (g)
                pb_grants_unref(g);
        pb_installed_snap_free(inst);
        sandbox_free(s);
        return ret;
}

int pb_sandbox_chan(const struct pb_sandbox *s)
{
        return s->chan;
}

const char *pb_sandbox_id(const struct pb_sandbox *s)
{
        return s->id;
}

void pb_sandbox_set_init_pid(struct pb_sandbox *s, pid_t pid)
{
        pthread_mutex_lock(&s->lock);
        if (s->init == 0 && pid > 0)
                s->init = pid;
        pthread_mutex_unlock(&s->lock);
}

void pb_sandbox_take_listener(struct pb_sandbox *s, int fd)
{
        if (s->psb)
                pb_portals_take_listener(s->psb, fd);
        else
                close(fd);
}

void pb_sandbox_finish(struct pb_sandbox *s)
{
        struct pb_sandboxes *r = s->reg;
        close(s->chan); /* a launcher still running ends its sandbox */
        s->chan = -1;
        while (waitpid(s->launcher, NULL, 0) < 0 && errno == EINTR)
                ;
        pb_broker_enforcer_remove(r->b, &s->enf);
        sandbox_teardown(s);
        pthread_mutex_lock(&r->lock);
        for (struct pb_sandbox **pp = &r->list; *pp; pp = &(*pp)->next) {
                if (*pp == s) {
                        *pp = s->next;
                        break;
                }
        }
        if (!r->list)
                pthread_cond_broadcast(&r->idle);
        pthread_mutex_unlock(&r->lock);
        sandbox_free(s);
}
