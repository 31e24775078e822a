/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The grant compiler: (model, snap, user) → an immutable grant table
 * (grants.h). Every plug and slot of the snap becomes an endpoint, connected
 * or not, so the audit log can name the plug that would grant a denied access.
 * The rules come from the catalogue's interface files, with substitutions
 * ($HOME, $UID, $SNAP_NAME, $SNAP_REVISION, and attribute-driven lists for
 * personal-files, system-files, serial-port), so a custom interface file grants
 * without recompiling. The snap's own $HOME/snap/NAME/REV and
 * $HOME/snap/NAME/common are always read-write.
 */
#pragma once

#include "grants.h"
#include "model.h"
#include "perror.h"

#include <stdint.h>
#include <sys/types.h>

struct pb_user {
        uid_t uid;
        gid_t gid;
        const char *home; /* absolute, clean, no trailing '/' */
};

/* NULL on error: -ENOENT snap not installed, -EINVAL bad home, -ENOMEM
 * (perr filled). */
struct pb_grants *pb_compile_grants(const struct pb_model *m, const char *snap,
                                    const struct pb_user *user, uint64_t generation,
                                    struct pb_perror *perr);
