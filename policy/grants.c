/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The grant table: builder and matcher. See grants.h for the rules. */
#include "grants.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COMPONENTS 64

struct rule {
	char *pattern;       /* the whole pattern, for its literal prefix */
	const char **comp;   /* components (pointers into comp_buf) */
	size_t *comp_len;
	size_t ncomp;
	char *comp_buf;
	unsigned access;     /* PB_ACCESS_NONE: deny */
	bool recursive;
	int endpoint;        /* -1: always */
};

struct service_rule {
	enum pb_service service;
	int endpoint;
};

struct pb_grants {
	atomic_int refs;
	uint64_t generation;
	char *snap;
	struct pb_grants_endpoint *endpoints;
	size_t n_endpoints;
	struct rule *paths;
	size_t n_paths;
	struct rule *devices;
	size_t n_devices;
	struct service_rule *services;
	size_t n_services;
	struct pb_grants_path_root *roots;
	size_t n_roots;
};

struct pb_grants_builder {
	struct pb_grants *g;
	size_t cap_endpoints, cap_paths, cap_devices, cap_services;
};

static const char *const service_names[PB_SERVICE__COUNT] = {
	[PB_SERVICE_AUDIO_PLAYBACK] = "audio-playback",
	[PB_SERVICE_AUDIO_RECORD] = "audio-record",
	[PB_SERVICE_X11] = "x11",
	[PB_SERVICE_WAYLAND] = "wayland",
	[PB_SERVICE_NETWORK] = "network",
	[PB_SERVICE_NETWORK_BIND] = "network-bind",
};

const char *pb_service_name(enum pb_service s)
{
	return (unsigned)s < PB_SERVICE__COUNT ? service_names[s] : NULL;
}

int pb_service_from_name(const char *name)
{
	for (int i = 0; i < PB_SERVICE__COUNT; i++)
		if (strcmp(service_names[i], name) == 0)
			return i;
	return -1;
}

static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 8;
	void *p = realloc(*arr, ncap * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

struct pb_grants_builder *pb_grants_builder_new(const char *snap, uint64_t generation)
{
	struct pb_grants_builder *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->g = calloc(1, sizeof(*b->g));
	if (!b->g || !(b->g->snap = strdup(snap ? snap : ""))) {
		free(b->g);
		free(b);
		return NULL;
	}
	atomic_init(&b->g->refs, 1);
	b->g->generation = generation;
	return b;
}

static void rule_free(struct rule *r)
{
	free(r->pattern);
	free(r->comp);
	free(r->comp_len);
	free(r->comp_buf);
}

static void grants_free(struct pb_grants *g)
{
	for (size_t i = 0; i < g->n_endpoints; i++) {
		free((char *)g->endpoints[i].name);
		free((char *)g->endpoints[i].interface);
	}
	for (size_t i = 0; i < g->n_paths; i++)
		rule_free(&g->paths[i]);
	for (size_t i = 0; i < g->n_devices; i++)
		rule_free(&g->devices[i]);
	free(g->endpoints);
	free(g->paths);
	free(g->devices);
	free(g->services);
	free(g->roots);
	free(g->snap);
	free(g);
}

void pb_grants_builder_free(struct pb_grants_builder *b)
{
	if (!b)
		return;
	grants_free(b->g);
	free(b);
}

int pb_grants_builder_add_endpoint(struct pb_grants_builder *b, const char *name,
				   const char *interface, bool is_slot, bool connected)
{
	struct pb_grants *g = b->g;
	if (grow((void **)&g->endpoints, &b->cap_endpoints, g->n_endpoints, sizeof(*g->endpoints)))
		return -ENOMEM;
	struct pb_grants_endpoint *e = &g->endpoints[g->n_endpoints];
	e->name = strdup(name);
	e->interface = strdup(interface);
	if (!e->name || !e->interface) {
		free((char *)e->name);
		free((char *)e->interface);
		return -ENOMEM;
	}
	e->is_slot = is_slot;
	e->connected = connected;
	return (int)g->n_endpoints++;
}

/* Split a pattern into components. Absolute patterns start with '/'. */
static int rule_init(struct rule *r, const char *pattern, bool absolute)
{
	memset(r, 0, sizeof(*r));
	if (absolute ? pattern[0] != '/' : pattern[0] == '/')
		return -EINVAL;
	r->pattern = strdup(pattern);
	r->comp_buf = strdup(pattern);
	r->comp = calloc(MAX_COMPONENTS, sizeof(*r->comp));
	r->comp_len = calloc(MAX_COMPONENTS, sizeof(*r->comp_len));
	if (!r->pattern || !r->comp_buf || !r->comp || !r->comp_len) {
		rule_free(r);
		return -ENOMEM;
	}
	char *save = NULL;
	for (char *c = strtok_r(r->comp_buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (r->ncomp == MAX_COMPONENTS || strcmp(c, ".") == 0 || strcmp(c, "..") == 0) {
			rule_free(r);
			return -EINVAL;
		}
		r->comp[r->ncomp] = c;
		r->comp_len[r->ncomp++] = strlen(c);
	}
	/* "//" or a trailing '/' would have vanished in strtok: refuse them. */
	if (strstr(pattern, "//") || (strlen(pattern) > 1 && pattern[strlen(pattern) - 1] == '/')) {
		rule_free(r);
		return -EINVAL;
	}
	return 0;
}

static int add_rule(struct rule **arr, size_t *n, size_t *cap, const char *pattern,
		    unsigned access, bool recursive, int endpoint, bool absolute)
{
	if (access & ~(PB_ACCESS_READ | PB_ACCESS_WRITE))
		return -EINVAL;
	if (grow((void **)arr, cap, *n, sizeof(**arr)))
		return -ENOMEM;
	struct rule *r = &(*arr)[*n];
	int ret = rule_init(r, pattern, absolute);
	if (ret < 0)
		return ret;
	r->access = access;
	r->recursive = recursive;
	r->endpoint = endpoint;
	(*n)++;
	return 0;
}

static bool endpoint_ok(const struct pb_grants *g, int endpoint)
{
	return endpoint >= -1 && endpoint < (int)g->n_endpoints;
}

int pb_grants_builder_add_path(struct pb_grants_builder *b, const char *pattern, unsigned access,
			       bool recursive, int endpoint)
{
	if (!endpoint_ok(b->g, endpoint))
		return -EINVAL;
	return add_rule(&b->g->paths, &b->g->n_paths, &b->cap_paths, pattern, access, recursive,
			endpoint, true);
}

int pb_grants_builder_add_device(struct pb_grants_builder *b, const char *pattern,
				 unsigned access, int endpoint)
{
	if (!endpoint_ok(b->g, endpoint))
		return -EINVAL;
	return add_rule(&b->g->devices, &b->g->n_devices, &b->cap_devices, pattern, access, false,
			endpoint, false);
}

int pb_grants_builder_add_service(struct pb_grants_builder *b, enum pb_service s, int endpoint)
{
	struct pb_grants *g = b->g;
	if ((unsigned)s >= PB_SERVICE__COUNT || !endpoint_ok(g, endpoint))
		return -EINVAL;
	if (grow((void **)&g->services, &b->cap_services, g->n_services, sizeof(*g->services)))
		return -ENOMEM;
	g->services[g->n_services++] = (struct service_rule){s, endpoint};
	return 0;
}

static bool rule_connected(const struct pb_grants *g, const struct rule *r)
{
	return r->endpoint < 0 || g->endpoints[r->endpoint].connected;
}

/* Literal prefix of a rule: components up to the first one with a glob. */
static int add_root(struct pb_grants *g, const struct rule *r)
{
	size_t len = 0;
	for (size_t i = 0; i < r->ncomp; i++) {
		if (strpbrk(r->comp[i], "*?["))
			break;
		len += 1 + r->comp_len[i];
	}
	char *prefix = strndup(r->pattern, len ? len : 1);
	if (!prefix)
		return -ENOMEM;
	struct pb_grants_path_root *root = &g->roots[g->n_roots++];
	root->prefix = prefix;
	root->access = r->access;
	root->connected = rule_connected(g, r);
	return 0;
}

struct pb_grants *pb_grants_builder_finish(struct pb_grants_builder *b)
{
	struct pb_grants *g = b->g;
	g->roots = calloc(g->n_paths + 1, sizeof(*g->roots));
	if (!g->roots) {
		pb_grants_builder_free(b);
		return NULL;
	}
	for (size_t i = 0; i < g->n_paths; i++) {
		const struct rule *r = &g->paths[i];
		if (r->access == PB_ACCESS_NONE)
			continue;
		if (add_root(g, r) < 0) {
			for (size_t j = 0; j < g->n_roots; j++)
				free((char *)g->roots[j].prefix);
			g->n_roots = 0;
			pb_grants_builder_free(b);
			return NULL;
		}
	}
	free(b);
	return g;
}

struct pb_grants *pb_grants_ref(struct pb_grants *g)
{
	if (g)
		atomic_fetch_add(&g->refs, 1);
	return g;
}

void pb_grants_unref(struct pb_grants *g)
{
	if (!g || atomic_fetch_sub(&g->refs, 1) != 1)
		return;
	for (size_t j = 0; j < g->n_roots; j++)
		free((char *)g->roots[j].prefix);
	grants_free(g);
}

uint64_t pb_grants_generation(const struct pb_grants *g)
{
	return g->generation;
}

const char *pb_grants_snap(const struct pb_grants *g)
{
	return g->snap;
}

enum match { MATCH_NONE, MATCH_ANCESTOR, MATCH_COVERS };

/* Compare a rule with a path, walking the path's components in place. */
static enum match rule_match(const struct rule *r, const char *path)
{
	const char *p = path;
	size_t i = 0;
	while (*p == '/')
		p++;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (i == r->ncomp)
			return r->recursive ? MATCH_COVERS : MATCH_NONE;
		if (!pb_glob_match(r->comp[i], r->comp_len[i], p, len))
			return MATCH_NONE;
		i++;
		p += len;
		while (*p == '/')
			p++;
	}
	return i == r->ncomp ? MATCH_COVERS : MATCH_ANCESTOR;
}

static unsigned rank(const struct rule *r)
{
	return (unsigned)r->ncomp * 2 + (r->recursive ? 0 : 1);
}

/*
 * Decide over a rule set. `all` also counts rules of unconnected endpoints
 * (for would-grant); `decider` returns the most specific rule that supplied
 * the `want` bits, if any.
 */
static unsigned decide(const struct pb_grants *g, const struct rule *rules, size_t n,
		       const char *path, bool all, unsigned want, const struct rule **decider)
{
	unsigned best_rank = 0, access = 0, traverse = 0;
	bool have = false, denied = false;
	const struct rule *best = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct rule *r = &rules[i];
		if (!all && !rule_connected(g, r))
			continue;
		enum match m = rule_match(r, path);
		if (m == MATCH_ANCESTOR && r->access != PB_ACCESS_NONE)
			traverse = PB_ACCESS_TRAVERSE;
		if (m != MATCH_COVERS)
			continue;
		unsigned rk = rank(r);
		if (!have || rk > best_rank) {
			have = true;
			best_rank = rk;
			access = 0;
			denied = false;
			best = NULL;
		} else if (rk < best_rank) {
			continue;
		}
		if (r->access == PB_ACCESS_NONE)
			denied = true;
		access |= r->access;
		if ((r->access & want) && !best)
			best = r;
	}
	if (denied)
		access = 0, best = NULL;
	if (decider)
		*decider = best;
	return access | traverse;
}

unsigned pb_grants_path(const struct pb_grants *g, const char *path)
{
	return decide(g, g->paths, g->n_paths, path, false, 0, NULL);
}

bool pb_grants_children_alike(const struct pb_grants *g, const char *dir)
{
	/* A rule that matches `dir` as an ancestor has a component for the
	 * child's own name (or beyond), so its answer depends on that name.
	 * Every other rule covers `dir` recursively (then each child alike)
	 * or fails on a component `dir` already has (then no child). */
	for (size_t i = 0; i < g->n_paths; i++)
		if (rule_connected(g, &g->paths[i]) &&
		    rule_match(&g->paths[i], dir) == MATCH_ANCESTOR)
			return false;
	return true;
}

unsigned pb_grants_device(const struct pb_grants *g, const char *relname)
{
	/* Device nodes have no ancestors worth traversing for the caller: the
	 * dev view lists directories (snd/, bus/usb/...) on its own. */
	return decide(g, g->devices, g->n_devices, relname, false, 0, NULL);
}

bool pb_grants_service(const struct pb_grants *g, enum pb_service s)
{
	for (size_t i = 0; i < g->n_services; i++)
		if (g->services[i].service == s &&
		    (g->services[i].endpoint < 0 || g->endpoints[g->services[i].endpoint].connected))
			return true;
	return false;
}

static const struct pb_grants_endpoint *would_grant(const struct pb_grants *g,
						    const struct rule *rules, size_t n,
						    const char *path, unsigned want)
{
	const struct rule *decider = NULL;
	unsigned access = decide(g, rules, n, path, true, want, &decider);
	if ((access & want) != want || !decider || decider->endpoint < 0)
		return NULL;
	return &g->endpoints[decider->endpoint];
}

const struct pb_grants_endpoint *pb_grants_path_would_grant(const struct pb_grants *g,
							    const char *path, unsigned want)
{
	return would_grant(g, g->paths, g->n_paths, path, want);
}

const struct pb_grants_endpoint *pb_grants_device_would_grant(const struct pb_grants *g,
							      const char *relname, unsigned want)
{
	return would_grant(g, g->devices, g->n_devices, relname, want);
}

const struct pb_grants_endpoint *pb_grants_service_would_grant(const struct pb_grants *g,
							       enum pb_service s)
{
	for (size_t i = 0; i < g->n_services; i++)
		if (g->services[i].service == s && g->services[i].endpoint >= 0)
			return &g->endpoints[g->services[i].endpoint];
	return NULL;
}

size_t pb_grants_endpoint_count(const struct pb_grants *g)
{
	return g->n_endpoints;
}

const struct pb_grants_endpoint *pb_grants_endpoint(const struct pb_grants *g, size_t i)
{
	return i < g->n_endpoints ? &g->endpoints[i] : NULL;
}

const struct pb_grants_endpoint *pb_grants_find_endpoint(const struct pb_grants *g,
							 const char *name)
{
	for (size_t i = 0; i < g->n_endpoints; i++)
		if (strcmp(g->endpoints[i].name, name) == 0)
			return &g->endpoints[i];
	return NULL;
}

size_t pb_grants_path_root_count(const struct pb_grants *g)
{
	return g->n_roots;
}

const struct pb_grants_path_root *pb_grants_path_root(const struct pb_grants *g, size_t i)
{
	return i < g->n_roots ? &g->roots[i] : NULL;
}
