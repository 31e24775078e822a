# SPDX-License-Identifier: GPL-3.0-or-later
"""Escape attempts through a view, each with its expected safe result."""
import json
import os
import subprocess
import threading
import uuid

import pytest

from .conftest import as_user, home_spec, probe, spec


def test_relative_symlink_to_hidden_area_is_not_followed(views, home, test_user):
    os.symlink("../.ssh/id_rsa", os.path.join(home, "Music/rel"))
    v = views("home", home, home_spec(home))
    # The daemon returns the link; the kernel resolves it inside the view,
    # where .ssh does not exist.
    assert os.readlink(v.path("Music/rel")) == "../.ssh/id_rsa"
    assert probe(test_user, "read", v.path("Music/rel")).stdout.strip() == "ERR ENOENT"


def test_absolute_symlink_is_returned_verbatim(views, home, test_user):
    target = os.path.join(v_mount := os.path.join(os.path.dirname(home), "mnt-home"), ".ssh/id_rsa")
    os.symlink(target, os.path.join(home, "Music/abs"))
    os.symlink("/etc/shadow", os.path.join(home, "Music/shadow"))
    v = views("home", home, home_spec(home))
    assert v.mount == v_mount
    assert os.readlink(v.path("Music/abs")) == target
    assert probe(test_user, "read", v.path("Music/abs")).stdout.strip() == "ERR ENOENT"
    # An absolute link to a host file resolves in the app's own namespace
    # (the sandbox has no host /etc/shadow); on this host it is still only
    # readable with the user's own permissions.
    assert os.readlink(v.path("Music/shadow")) == "/etc/shadow"
    assert probe(test_user, "read", v.path("Music/shadow")).stdout.strip() == "ERR EACCES"


def test_dotdot_stays_in_view(views, home, test_user):
    v = views("home", home, home_spec(home))
    assert probe(test_user, "read", v.path("Music/../.ssh/id_rsa")).stdout.strip() == "ERR ENOENT"
    assert probe(test_user, "read", v.path("snap/app/../other/data")).stdout.strip() == "ERR ENOENT"


def test_hardlink_follows_name_and_cannot_widen(views, home, test_user):
    # A link made on the host from a granted name to a hidden file: access
    # follows the granted name (as snapd's path rules do); the hidden name
    # stays invisible.
    os.link(os.path.join(home, ".ssh/id_rsa"), os.path.join(home, "Music/hl"))
    v = views("home", home, home_spec(home, personal=True))
    assert probe(test_user, "read", v.path(".ssh/id_rsa")).stdout.strip() == "ERR ENOENT"
    # Through the view, a read-only file cannot get a second, writable name.
    r = as_user(test_user, ["ln", v.path(".app/config"), v.path("Music/cfg-link")])
    assert r.returncode != 0 and "Permission denied" in r.stderr
    assert not os.path.exists(os.path.join(home, "Music/cfg-link"))
    r = as_user(test_user, ["ln", v.path("Music/a.txt"), v.path("Music/a-link")])
    assert r.returncode == 0, r.stderr


def test_symlink_swap_race_during_open(views, home, test_user):
    target = os.path.join(home, "Music/swap")
    # No kernel caching, so every open of the app makes the daemon look the
    # name up again while the host swaps it.
    v = views("home", home, home_spec(home), cache=-1)
    stop = threading.Event()
    uid, gid = test_user.pw_uid, test_user.pw_gid

    def swapper():
        tmpf, tmpl = target + ".f", target + ".l"
        while not stop.is_set():
            with open(tmpf, "w") as f:
                f.write("public\n")
            os.chown(tmpf, uid, gid)
            os.rename(tmpf, target)
            try:
                os.unlink(tmpl)
            except FileNotFoundError:
                pass
            os.symlink("../.ssh/id_rsa", tmpl)
            os.rename(tmpl, target)

    t = threading.Thread(target=swapper)
    t.start()
    try:
        r = probe(test_user, "swap-reads", v.path("Music/swap"), "700")
    finally:
        stop.set()
        t.join()
    seen = json.loads(r.stdout)
    assert "secret" not in seen, seen
    assert seen.get("public", 0) > 0, seen


def test_no_recursion_into_own_mount(views, workdir, test_user):
    # A host view whose root contains its own mountpoint must not show it.
    s = spec({"fs": True}, paths=[(workdir, "r", True, "fs")])
    v = views("host", workdir, s)
    names = json.loads(probe(test_user, "ls", v.mount).stdout)
    assert os.path.basename(v.mount) not in names
    assert probe(test_user, "ls", os.path.join(v.mount, os.path.basename(v.mount))).stdout \
        .strip() == "ERR ENOENT"


@pytest.fixture
def media_image(workdir, test_user):
    """An ext4 image with a device node and a set-uid file, loop-mounted
    under /media/pbtest/<unique> as removable media."""
    img = os.path.join(workdir, "stick.img")
    subprocess.run(["truncate", "-s", "16M", img], check=True)
    subprocess.run(["mkfs.ext4", "-q", "-F", img], check=True)
    mnt = os.path.join("/media", test_user.pw_name, "pb-" + uuid.uuid4().hex[:10])
    os.makedirs(mnt)
    subprocess.run(["mount", "-o", "loop", img, mnt], check=True)
    try:
        os.chown(mnt, test_user.pw_uid, test_user.pw_gid)
        os.mknod(os.path.join(mnt, "zero"), 0o666 | 0o020000, os.makedev(1, 5))
        with open(os.path.join(mnt, "photo.jpg"), "w") as f:
            f.write("jpeg\n")
        os.chown(os.path.join(mnt, "photo.jpg"), test_user.pw_uid, test_user.pw_gid)
        yield mnt
    finally:
        subprocess.run(["umount", "-l", mnt], capture_output=True)
        os.rmdir(mnt)


def test_removable_media_and_device_node_on_it(views, media_image, test_user):
    s = spec({"removable-media": True}, paths=[("/media", "rw", True, "removable-media")])
    v = views("media", "/media", s)
    rel = os.path.relpath(media_image, "/media")
    assert probe(test_user, "read", v.path(rel, "photo.jpg")).stdout == "jpeg\n"
    assert probe(test_user, "write", v.path(rel, "new.txt"), "x").stdout.strip() == "OK"
    # The node is listed, but nodev (and the daemon) never make it a device.
    assert "zero" in json.loads(probe(test_user, "ls", v.path(rel)).stdout)
    r = as_user(test_user, ["head", "-c", "1", v.path(rel, "zero")])
    assert r.returncode != 0 and "Permission denied" in r.stderr
    # FIFOs may be made; device nodes never (the user could not anyway,
    # but the daemon refuses before asking the host).
    r = as_user(test_user, ["mkfifo", v.path(rel, "fifo")])
    assert r.returncode == 0, r.stderr
    s["endpoints"][0]["connected"] = False
    v.publish(s)
    assert probe(test_user, "read", v.path(rel, "photo.jpg")).stdout.strip() == "ERR ENOENT"
