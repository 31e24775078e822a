/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Broker-side glue of the socket portals (DESIGN §6): one event loop for the
 * daemon, and per sandbox instance a PulseAudio proxy and an X11 proxy,
 * registered as enforcers of (snap, uid) so every connection change reaches
 * them synchronously.
 *
 * Proxies are made per sandbox instance, not per (snap, uid): the upstream
 * comes from the caller's environment (two sessions of one user may have
 * different DISPLAY / PULSE_SERVER), the connection cap is then a per-
 * instance budget one instance cannot exhaust for another, and the proxies'
 * lifetime is simply the sandbox's. A proxy exists even while its service
 * is not connected (it refuses connections), so a later connect works live.
 *
 * Used by the sandbox registry (broker/sandbox.c):
 *   pb_portals_new() once, pb_portals_attach() when a sandbox is set up,
 *   pb_portals_extras() for the binds + environment, pb_portals_detach().
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "broker.h"
#include "sandbox-spec.h"

struct pb_portals;
struct pb_portals_sandbox;

/* x11_trusted_file: an administrator's list of snap names (one per line)
 * whose X11 proxy uses a trusted authorization; NULL: the default
 * /etc/plugboard/x11-trusted. It must be owned by root and not writable by
 * others, else it is ignored. Starts the portals' event loop thread. */
int pb_portals_new(struct pb_broker *b, const char *x11_trusted_file, struct pb_portals **out,
                   struct pb_error *err);
/* All sandboxes must have been detached. */
void pb_portals_free(struct pb_portals *p);

struct pb_portals_request {
        const char *snap;
        uid_t uid; /* the caller (SO_PEERCRED), never from the request */
        gid_t gid;
        /* The caller's environment, NULL when unset. */
        const char *pulse_server; /* "unix:/path" (first unix: entry used) */
        const char *display;      /* local displays only (":N") */
        const char *xauthority;   /* read as the caller, by pb-x11-authgen */
        const char *dir;          /* a private host dir for this sandbox's sockets */
        /* The sandbox has its own network namespace: then the portal is its
         * only way to the X server. */
        bool private_netns;
};

/* Creates the proxies and registers the enforcer (which publishes the
 * current table once). Pulse: upstream is the caller's PULSE_SERVER, else
 * /run/user/UID/pulse/native; skipped (with a log line) when PULSE_SERVER
 * names no unix socket. X11: skipped when DISPLAY is unset or not local, or
 * the authorization cannot be generated (fail closed: no X access). */
int pb_portals_attach(struct pb_portals *p, const struct pb_portals_request *req,
                      struct pb_portals_sandbox **out, struct pb_error *err);
/* The binds (host socket/file -> sandbox path) and environment variables
 * (PULSE_SERVER, DISPLAY, XAUTHORITY) for the launch spec. Owned by s. */
const struct pb_sandbox_extra *pb_portals_extras(const struct pb_portals_sandbox *s, size_t *n);
/* Unregisters, closes every proxied connection, removes the sockets. */
void pb_portals_detach(struct pb_portals_sandbox *s);

/* Whether the sandbox has an X11 portal (then its app runs with connect(2)
 * handed to a seccomp listener), and that listener, for the portal to
 * answer (takes ownership of fd; closed when there is no X11 portal). */
bool pb_portals_has_x11(const struct pb_portals_sandbox *s);
void pb_portals_take_listener(struct pb_portals_sandbox *s, int fd);
