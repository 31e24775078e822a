# SPDX-License-Identifier: GPL-3.0-or-later
"""READDIRPLUS learns from the walk whether files' attributes are wanted
(fs/prefetch.c): a walk that only reads names (find) gets them bare, one
that stats every name (du) gets their attributes; either way the answers
are the native ones."""
import os
import subprocess

from .conftest import as_user, home_spec


def make_tree(root, dirs=80, files=20):
    for d in range(dirs):
        p = os.path.join(root, f"d{d:03d}")
        os.makedirs(p)
        for f in range(files):
            with open(os.path.join(p, f"f{f:03d}"), "w") as fh:
                fh.write("x" * (d * files + f))


def walk(user, argv, cwd):
    r = as_user(user, argv, cwd=cwd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_names_only_walk_then_stat_walk(views, home, test_user):
    tree = os.path.join(home, "Music", "tree")
    make_tree(tree)
    subprocess.run(["chown", "-R", f"{test_user.pw_uid}:{test_user.pw_gid}", tree], check=True)
    v = views("home", home, home_spec(home))
    assert v.prefetch() == "attributes"
    find = ["find", ".", "-print"]
    native_names = sorted(walk(test_user, find, tree).split())
    view_tree = v.path("Music", "tree")
    assert sorted(walk(test_user, find, view_tree).split()) == native_names
    # find read 1,600 names and stat'ed none: files now go bare.
    assert v.prefetch() == "names"
    # du stats each of them: the bare names are looked up, the view
    # notices, and the sizes are the native ones.
    du = ["du", "-ab", "."]
    assert sorted(walk(test_user, du, view_tree).splitlines()) == \
        sorted(walk(test_user, du, tree).splitlines())
    assert v.prefetch() == "attributes"


def test_bare_names_grant_nothing_after_a_revoke(views, home, test_user):
    """Names listed without attributes are looked up when used, and that
    lookup is checked like any other: after a disconnect, none of them can
    be stat'ed or opened."""
    tree = os.path.join(home, "Music", "tree")
    make_tree(tree)
    subprocess.run(["chown", "-R", f"{test_user.pw_uid}:{test_user.pw_gid}", tree], check=True)
    v = views("home", home, home_spec(home))
    view_tree = v.path("Music", "tree")
    walk(test_user, ["find", ".", "-print"], view_tree)
    assert v.prefetch() == "names"
    assert v.publish(home_spec(home, connected=False))["rc"] == 0
    name = os.path.join(view_tree, "d079", "f019")
    r = as_user(test_user, ["stat", "-c", "%s", name])
    assert r.returncode != 0 and "No such file" in r.stderr, (r.stdout, r.stderr)
    r = as_user(test_user, ["cat", name])
    assert r.returncode != 0, r.stdout
    # Connected again: the same name answers, with the native size.
    assert v.publish(home_spec(home))["rc"] == 0
    r = as_user(test_user, ["stat", "-c", "%s", name])
    assert r.returncode == 0 and r.stdout.strip() == str(79 * 20 + 19), (r.stdout, r.stderr)
