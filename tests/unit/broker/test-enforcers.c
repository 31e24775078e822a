/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The revocation fan-out, with fake enforcement points: an enforcer gets the
 * current table when it registers, a change publishes to every enforcer of
 * the affected snap before it is Done, and a failing enforcer makes the change
 * Error (fail closed). Runs a real struct pb_broker on a temporary state dir.
 */
#include "pb-test.h"

#include "daemon.h"
#include "enforcers.h"
#include "pb-config.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fake {
	struct pb_enforcer e;
	int calls;
	uint64_t last_gen;
	bool camera;
	int fail;
};

static int publish(struct pb_enforcer *e, struct pb_grants *g)
{
	struct fake *f = e->data;
	f->calls++;
	f->last_gen = pb_grants_generation(g);
	f->camera = pb_grants_device(g, "video0") != PB_ACCESS_NONE;
	return f->fail;
}

static struct pb_change *wait_ready(struct pb_broker *b, struct pb_change *c)
{
	pthread_mutex_lock(&b->lock);
	while (!pb_change_ready(c))
		pthread_cond_wait(&b->changes.cond, &b->lock);
	pthread_mutex_unlock(&b->lock);
	return c;
}

static struct pb_change *connect_camera(struct pb_broker *b, bool connect)
{
	struct pb_affected aff = {0};
	struct pb_perror perr = {0};
	struct pb_connref ref;
	pthread_mutex_lock(&b->lock);
	int r = connect ? pb_model_connect(b->model, "cam", "camera", "", "", &ref, &aff, &perr)
	                : pb_model_disconnect(b->model, "cam", "camera", "", "", false, &aff, &perr);
	PB_CHECK(r == 0);
	struct pb_change *c = pb_change_new(b, connect ? "connect-snap" : "disconnect-snap", "x");
	pb_change_add_task(c, "connect", "x");
	for (size_t i = 0; i < aff.n_snaps; i++)
		pb_change_affects(c, aff.snaps[i]);
	pb_change_submit(b, c);
	pthread_mutex_unlock(&b->lock);
	pb_affected_clear(&aff);
	return wait_ready(b, c);
}

int main(void)
{
	char dir[] = "/tmp/pb-test-enforcers-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char state[256], decl[256], ifaces[256];
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(decl, sizeof(decl), "%s/decl", dir);
	snprintf(ifaces, sizeof(ifaces), "%s/ifaces", dir);
	struct pb_broker_config cfg = {
	    .state_dir = state,
	    .declarations_dir = decl,
	    .interfaces_dir = ifaces,
	    .builtin_interfaces_dir = PB_SOURCE_INTERFACES_DIR,
	};
	static struct pb_broker b;
	struct pb_error err = {0};
	PB_CHECK(pb_broker_init(&b, &cfg, &err) == 0);
	PB_CHECK(pb_changes_start(&b) == 0);

	static const char yaml[] = "name: cam\nversion: '1'\nplugs: [camera]\n";
	struct pb_perror perr = {0};
	struct pb_snap_info *info = pb_snap_info_parse("cam.yaml", yaml, strlen(yaml), &perr);
	PB_CHECK(info != NULL);
	struct pb_install in = {.info = info};
	struct pb_affected aff = {0};
	int rev = 0;
	PB_CHECK(pb_model_install(b.model, &in, &rev, &aff, &perr) == 0 && rev == 1);
	pb_affected_clear(&aff);

	/* registering publishes the current table once */
	struct fake f = {0}, g = {0};
	f.e = (struct pb_enforcer){.snap = "cam", .uid = 0, .publish = publish, .data = &f};
	g.e = (struct pb_enforcer){.snap = "cam", .uid = 0, .publish = publish, .data = &g};
	PB_CHECK(pb_broker_enforcer_add(&b, &f.e, &err) == 0);
	PB_CHECK(f.calls == 1 && !f.camera);
	PB_CHECK(pb_broker_enforcer_add(&b, &g.e, &err) == 0);
	uint64_t gen = f.last_gen;

	/* a connect reaches every enforcer before Done, with a newer table */
	struct pb_change *c = connect_camera(&b, true);
	PB_CHECK(c->status == PB_CHANGE_DONE);
	PB_CHECK(f.calls == 2 && f.camera && f.last_gen > gen);
	PB_CHECK(g.calls == 2 && g.camera);

	/* an enforcer that cannot revoke makes the disconnect Error, not Done */
	g.fail = -EIO;
	c = connect_camera(&b, false);
	PB_CHECK(c->status == PB_CHANGE_ERROR);
	PB_CHECK(c->err && strstr(c->err, "cannot perform the following tasks") &&
	         strstr(c->err, "cannot apply the new grants of snap \"cam\""));
	PB_CHECK(f.calls == 3 && !f.camera); /* the others still got the revocation */
	g.fail = 0;

	/* an enforcer whose initial publish fails is not registered */
	struct fake h = {.fail = -EIO};
	h.e = (struct pb_enforcer){.snap = "cam", .uid = 0, .publish = publish, .data = &h};
	PB_CHECK(pb_broker_enforcer_add(&b, &h.e, &err) < 0 && !h.e.registered_);

	/* removed enforcers are not called again; unknown uid is refused */
	pb_broker_enforcer_remove(&b, &g.e);
	c = connect_camera(&b, true);
	PB_CHECK(c->status == PB_CHANGE_DONE && g.calls == 3 && f.calls == 4);
	struct pb_grants *t = pb_broker_compile_grants(&b, "cam", 0, &err);
	PB_CHECK(t && pb_grants_generation(t) > f.last_gen);
	pb_grants_unref(t);
	PB_CHECK(pb_broker_compile_grants(&b, "nope", 0, &err) == NULL && err.code == ENOENT);
	PB_CHECK(pb_broker_compile_grants(&b, "cam", 4000000000u, &err) == NULL);

	/* snap lookup for the launcher */
	struct pb_installed_snap *s = NULL;
	PB_CHECK(pb_broker_snap_lookup(&b, "cam", &s, &err) == 0);
	PB_CHECK(s && strcmp(s->revision, "x1") == 0 && strstr(s->dir, "/snaps/cam/x1") &&
	         s->info->n_plugs == 1);
	pb_installed_snap_free(s);
	PB_CHECK(pb_broker_snap_lookup(&b, "nope", &s, &err) == -ENOENT);

	pb_broker_enforcer_remove(&b, &f.e);
	pb_broker_fini(&b);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return pb_test_done();
}
