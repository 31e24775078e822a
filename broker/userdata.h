/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Per-user snap data (~/snap/NAME), removed by `remove --purge` as snapd
 * removes it (backend/snapdata.go: the homes are /home/<x> and /root). The
 * homes are users' territory: every step is relative to a directory fd,
 * opened O_NOFOLLOW, so a symlink planted anywhere on the way (~/snap, a
 * subdirectory, a file) is removed as a link or skipped, never followed, and
 * other file systems mounted inside are left alone.
 */
#pragma once

/* Remove ~/snap/<snap> in every home under homes_root ("/home") and in
 * root_home ("/root"). Best effort: problems are logged, the rest goes on.
 * Returns the number of homes whose ~/snap/<snap> could not be removed
 * entirely. */
int pb_purge_user_data(const char *homes_root, const char *root_home, const char *snap);

/* Remove `name` (a directory tree, a file or a link) inside the directory
 * dfd, without following symlinks or leaving dfd's file system. 0, -ENOENT
 * if it does not exist, or another negative errno (part may be removed). */
int pb_remove_tree_at(int dfd, const char *name);
