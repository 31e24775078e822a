/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The grant table: the compiled, immutable answer to "what may this snap, run
 * by this user, touch right now". It is the only thing fs/ and portals/ see
 * of policy (DESIGN §1: connections -> grant table -> enforcement points).
 *
 * A table is built once (by the compiler in policy/compile.c, or by tests with
 * the builder below), then only read, from any thread, without locks. It is
 * reference counted; an enforcement point swaps its pointer atomically when the
 * broker publishes a new generation.
 *
 * Path rules match absolute host paths, component by component. Each
 * component of a pattern is a glob (`*`, `?`, `[a-z]`, `[!.]`); a recursive
 * rule also covers everything below. When several rules cover a path the most
 * specific one decides: more components wins, then a non-recursive rule beats a
 * recursive one of the same length; at equal rank a deny beats allows, and
 * allows of equal rank add up. A path that is a proper ancestor of a connected
 * allow rule also gets PB_ACCESS_TRAVERSE: it may be looked up and listed (the
 * listing shows only entries that have some access), nothing more.
 *
 * Rules belong to an endpoint (a plug or slot of the snap) that is connected or
 * not; rules of unconnected endpoints grant nothing but let the audit log say
 * which plug *would* have granted a denied access. Endpoint -1 means "always"
 * (the snap's own data directories).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pb_access {
	PB_ACCESS_NONE = 0,
	PB_ACCESS_READ = 1u << 0,
	PB_ACCESS_WRITE = 1u << 1,
	PB_ACCESS_TRAVERSE = 1u << 2,
};

/* Socket services a portal or the launcher provides when granted. */
enum pb_service {
	PB_SERVICE_AUDIO_PLAYBACK,
	PB_SERVICE_AUDIO_RECORD,
	PB_SERVICE_X11,
	PB_SERVICE_WAYLAND,
	PB_SERVICE_NETWORK,
	PB_SERVICE_NETWORK_BIND,
	PB_SERVICE__COUNT
};

const char *pb_service_name(enum pb_service s);
/* -1 when unknown */
int pb_service_from_name(const char *name);

struct pb_grants;
struct pb_grants_builder;

struct pb_grants_endpoint {
	const char *name;      /* plug or slot name */
	const char *interface; /* interface name */
	bool is_slot;
	bool connected;
};

/* ---- building (policy/compile.c and tests) ---- */
struct pb_grants_builder *pb_grants_builder_new(const char *snap, uint64_t generation);
void pb_grants_builder_free(struct pb_grants_builder *b);
/* Returns the endpoint index (>= 0) or -ENOMEM. */
int pb_grants_builder_add_endpoint(struct pb_grants_builder *b, const char *name,
				   const char *interface, bool is_slot, bool connected);
/* pattern: absolute, clean ("/a/b", no "." or ".." or "//"); access
 * PB_ACCESS_NONE makes a deny rule. Returns 0, -EINVAL or -ENOMEM. */
int pb_grants_builder_add_path(struct pb_grants_builder *b, const char *pattern, unsigned access,
			       bool recursive, int endpoint);
/* pattern: relative to the device root, e.g. "video[0-9]*" or "snd/pcm*". */
int pb_grants_builder_add_device(struct pb_grants_builder *b, const char *pattern,
				 unsigned access, int endpoint);
int pb_grants_builder_add_service(struct pb_grants_builder *b, enum pb_service s, int endpoint);
/* Consumes the builder. NULL on allocation failure. */
struct pb_grants *pb_grants_builder_finish(struct pb_grants_builder *b);

/* ---- reading (any thread, no locks, no allocation) ---- */
struct pb_grants *pb_grants_ref(struct pb_grants *g);
void pb_grants_unref(struct pb_grants *g);
uint64_t pb_grants_generation(const struct pb_grants *g);
const char *pb_grants_snap(const struct pb_grants *g);

/* Access bits for an absolute, clean host path. */
unsigned pb_grants_path(const struct pb_grants *g, const char *path);
/* Whether every entry directly in the directory `dir` gets the same access
 * bits from pb_grants_path, whatever its name: true when no connected rule
 * reaches below `dir` (every rule either covers all of it or none of it).
 * A listing then checks one name instead of each. */
bool pb_grants_children_alike(const struct pb_grants *g, const char *dir);
/* Access bits for a device node, relative to the device root ("kvm"). */
unsigned pb_grants_device(const struct pb_grants *g, const char *relname);
bool pb_grants_service(const struct pb_grants *g, enum pb_service s);

/* For the audit log: the endpoint that would grant `want` if it were
 * connected, or NULL when no declared plug or slot would. */
const struct pb_grants_endpoint *pb_grants_path_would_grant(const struct pb_grants *g,
							    const char *path, unsigned want);
const struct pb_grants_endpoint *pb_grants_device_would_grant(const struct pb_grants *g,
							      const char *relname, unsigned want);
const struct pb_grants_endpoint *pb_grants_service_would_grant(const struct pb_grants *g,
							       enum pb_service s);

size_t pb_grants_endpoint_count(const struct pb_grants *g);
const struct pb_grants_endpoint *pb_grants_endpoint(const struct pb_grants *g, size_t i);
/* The named plug or slot, or NULL. */
const struct pb_grants_endpoint *pb_grants_find_endpoint(const struct pb_grants *g,
							 const char *name);

/* Path rules of every declared endpoint, connected or not, for the launcher
 * to decide where to mount views (it mounts for unconnected plugs too, so a
 * later connect shows up live): the literal (glob-free) leading part of each
 * rule's pattern, e.g. "/var/log" for "/var/log", "/home/u" for
 * "/home/u/[!.]*". Deny rules are skipped. */
struct pb_grants_path_root {
	const char *prefix;
	unsigned access;
	bool connected;
};
size_t pb_grants_path_root_count(const struct pb_grants *g);
const struct pb_grants_path_root *pb_grants_path_root(const struct pb_grants *g, size_t i);

/* Glob match of one component (no '/'), lengths given; exposed for tests. */
bool pb_glob_match(const char *pat, size_t plen, const char *s, size_t slen);
