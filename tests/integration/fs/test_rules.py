# SPDX-License-Identifier: GPL-3.0-or-later
"""What a view shows and allows, rule by rule, as seen by the app's user."""
import json
import os
import stat
import subprocess

from .conftest import as_user, home_spec, probe, spec


def test_home_visible_and_hidden(views, home, test_user):
    v = views("home", home, home_spec(home))
    names = json.loads(probe(test_user, "ls", v.mount).stdout)
    assert "Music" in names and "Documents" in names and "snap" in names
    assert ".ssh" not in names and ".hidden" not in names and ".app" not in names
    assert probe(test_user, "read", v.path("Music/a.txt")).stdout == "hello\n"
    assert probe(test_user, "read", v.path(".ssh/id_rsa")).stdout.strip() == "ERR ENOENT"
    assert probe(test_user, "read", v.path(".hidden")).stdout.strip() == "ERR ENOENT"


def test_other_snaps_data_invisible(views, home, test_user):
    v = views("home", home, home_spec(home))
    assert json.loads(probe(test_user, "ls", v.path("snap")).stdout) == ["app"]
    assert probe(test_user, "read", v.path("snap/other/data")).stdout.strip() == "ERR ENOENT"


def test_read_write_and_read_only(views, home, test_user):
    v = views("home", home, home_spec(home))
    assert probe(test_user, "write", v.path("Music/new.txt"), "data").stdout.strip() == "OK"
    with open(os.path.join(home, "Music/new.txt")) as f:
        assert f.read() == "data"
    st = os.stat(os.path.join(home, "Music/new.txt"))
    assert st.st_uid == test_user.pw_uid, "files are created as the user"
    # Top-level dot-files are not granted by home: cannot be created either.
    assert probe(test_user, "write", v.path(".newdot"), "x").stdout.strip() == "ERR EACCES"
    assert not os.path.exists(os.path.join(home, ".newdot"))
    assert probe(test_user, "write", v.path("snap/app/common/db"), "x").stdout.strip() == "OK"


def test_home_unconnected_shows_only_own_dirs(views, home, test_user):
    v = views("home", home, home_spec(home, connected=False))
    assert json.loads(probe(test_user, "ls", v.mount).stdout) == ["snap"]
    assert probe(test_user, "read", v.path("Music/a.txt")).stdout.strip() == "ERR ENOENT"
    assert probe(test_user, "write", v.path("snap/app/common/x"), "1").stdout.strip() == "OK"


def test_personal_files_read_only(views, home, test_user):
    v = views("home", home, home_spec(home, personal=True))
    assert probe(test_user, "read", v.path(".app/config")).stdout == "cfg\n"
    assert probe(test_user, "write", v.path(".app/config"), "x").stdout.strip() == "ERR EACCES"
    assert probe(test_user, "read", v.path(".ssh/id_rsa")).stdout.strip() == "ERR ENOENT"
    v2 = views("home", home, home_spec(home, personal=False), name="home2")
    assert probe(test_user, "read", v2.path(".app/config")).stdout.strip() == "ERR ENOENT"


def test_denials_are_audited_with_the_plug(views, home, test_user):
    v = views("home", home, home_spec(home, personal=False))
    probe(test_user, "read", v.path(".app/config"))
    lines = v.audit_lines()
    assert ["app", os.path.join(home, ".app"), "lookup", "dot-app"] in lines, lines


def test_other_users_are_refused(views, home, test_user, workdir):
    v = views("home", home, home_spec(home))
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        "ls", v.mount], capture_output=True, text=True)
    assert r.returncode != 0 and "Permission denied" in r.stderr


def test_host_permissions_apply(views, home, test_user):
    os.chmod(os.path.join(home, "Music/a.txt"), 0o000)
    v = views("home", home, home_spec(home))
    assert probe(test_user, "read", v.path("Music/a.txt")).stdout.strip() == "ERR EACCES"


def test_status_view_follows_connections(views, test_user):
    s = spec({"home": True, "camera": False})
    s["endpoints"].append({"name": "x11", "interface": "x11", "slot": True, "connected": True})
    v = views("status", None, s)
    assert json.loads(probe(test_user, "ls", v.path("plugs")).stdout) == ["home"]
    assert json.loads(probe(test_user, "ls", v.path("slots")).stdout) == ["x11"]
    assert os.path.exists(v.path("plugs/home"))
    assert not os.path.exists(v.path("plugs/camera"))
    s2 = spec({"home": False, "camera": True})
    v.publish(s2)
    assert not os.path.exists(v.path("plugs/home"))
    assert os.path.exists(v.path("plugs/camera"))
    assert json.loads(probe(test_user, "ls", v.path("plugs")).stdout) == ["camera"]


def test_dev_view_shows_only_granted_host_nodes(views, test_user):
    s = spec({"kvm": True, "rng": False, "fuse": True, "loop": True},
             devices=[("kvm", "rw", "kvm"), ("hwrng", "r", "rng"), ("fuse", "rw", "fuse"),
                      ("loop[0-9]*", "rw", "loop"), ("loop-control", "rw", "loop")])
    v = views("dev", "/dev", s)
    names = json.loads(probe(test_user, "ls", v.mount).stdout)
    assert "kvm" in names and "fuse" in names and "loop-control" in names
    assert "hwrng" not in names and "null" not in names and "sda" not in names
    st = os.stat(v.path("kvm"))
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.stat("/dev/kvm").st_rdev
    s["endpoints"][1]["connected"] = True
    s["endpoints"][0]["connected"] = False
    v.publish(s)
    assert os.path.exists(v.path("hwrng")) and not os.path.exists(v.path("kvm"))


def test_dev_view_test_nodes_usable_and_revoked(views, workdir, test_user):
    root = os.path.join(workdir, "devroot")
    os.makedirs(root)
    os.mknod(os.path.join(root, "video0"), 0o666 | stat.S_IFCHR, os.makedev(1, 5))  # zero
    os.mknod(os.path.join(root, "ttyUSB0"), 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # null
    os.mknod(os.path.join(root, "ttyS0"), 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    with open(os.path.join(root, "plainfile"), "w") as f:
        f.write("x")
    s = spec({"camera": True, "serial-port": False},
             devices=[("video[0-9]*", "rw", "camera"), ("ttyUSB[0-9]*", "rw", "serial-port")])
    v = views("dev", root, s)
    assert json.loads(probe(test_user, "ls", v.mount).stdout) == ["video0"]
    r = as_user(test_user, ["head", "-c", "4", v.path("video0")])
    assert r.returncode == 0 and r.stdout == "\0\0\0\0"
    s["endpoints"] = [{"name": "camera", "interface": "camera", "connected": False},
                      {"name": "serial-port", "interface": "serial-port", "connected": True}]
    v.publish(s)
    assert json.loads(probe(test_user, "ls", v.mount).stdout) == ["ttyUSB0"]
    r = as_user(test_user, ["head", "-c", "4", v.path("video0")])
    assert r.returncode != 0 and "No such file" in r.stderr


def test_dev_view_keeps_host_permissions(views, test_user):
    # /dev/kvm is root:kvm 0660 and the test user is not in group kvm.
    v = views("dev", "/dev", spec({"kvm": True}, devices=[("kvm", "rw", "kvm")]))
    r = as_user(test_user, ["sh", "-c", f"exec 3<>{v.path('kvm')}"])
    assert r.returncode != 0 and "Permission denied" in r.stderr
