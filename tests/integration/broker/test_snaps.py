# SPDX-License-Identifier: GPL-3.0-or-later
"""install (directory and .snap), refresh revisions, remove, list, bad manifests."""
import os
import re
import shutil
import subprocess

from conftest import EXAMPLES


def test_install_directory_list_and_files(broker):
    r = broker.install("vlc")
    assert r.stdout == "vlc 3.0.20 installed\n"
    r = broker.cli(["list"])
    assert r.returncode == 0
    assert r.stdout == (
        "Name  Version  Rev  Tracking  Publisher  Notes\n"
        "vlc   3.0.20   x1   -         -          -\n")
    d = os.path.join(broker.state_dir, "snaps", "vlc", "x1")
    assert os.path.isfile(os.path.join(d, "meta", "snap.yaml"))
    assert os.access(os.path.join(d, "bin", "vlc"), os.X_OK)
    assert os.stat(os.path.join(d, "bin", "vlc")).st_uid == 0


def test_refresh_gets_new_local_revision_and_keeps_previous(broker):
    broker.install("vlc")
    r = broker.install("vlc")
    assert r.stdout == "vlc 3.0.20 refreshed\n"
    broker.install("vlc")
    assert broker.cli(["list"]).stdout.splitlines()[1].split()[2] == "x3"
    revs = sorted(os.listdir(os.path.join(broker.state_dir, "snaps", "vlc")))
    assert revs == ["x2", "x3"]


def test_install_squashfs_snap_file(broker, workdir):
    out = os.path.join(workdir, "gizmo_1.0_all.snap")
    subprocess.run(["mksquashfs", os.path.join(EXAMPLES, "gizmo"), out, "-noappend",
                    "-all-root", "-quiet"], check=True, capture_output=True)
    r = broker.cli(["install", "--dangerous", out])
    assert r.returncode == 0, r.stderr
    assert r.stdout == "gizmo 1.0 installed\n"
    assert os.path.isfile(os.path.join(broker.state_dir, "snaps", "gizmo", "x1", "themes",
                                       "README"))


def test_install_not_a_snap(broker, workdir):
    junk = os.path.join(workdir, "junk.snap")
    with open(junk, "wb") as f:
        f.write(b"\x00" * 4096)
    r = broker.cli(["install", junk])
    assert r.returncode == 1
    assert r.stderr.startswith(f'error: cannot install "{junk}"')
    r = broker.cli(["install", os.path.join(workdir, "missing")])
    assert r.returncode == 1 and "No such file or directory" in r.stderr
    assert broker.cli(["list"]).stdout == ""


def test_malformed_snap_yaml_names_file_line_column(broker, workdir):
    d = os.path.join(workdir, "bad")
    shutil.copytree(os.path.join(EXAMPLES, "vlc"), d)
    with open(os.path.join(d, "meta", "snap.yaml"), "w") as f:
        f.write("name: bad\nversion: 1\nplugs:\n  camera: [unclosed\n")
    r = broker.cli(["install", d])
    assert r.returncode == 1
    assert re.match(rf"error: {d}/meta/snap.yaml:\d+:\d+: ", r.stderr), r.stderr
    with open(os.path.join(d, "meta", "snap.yaml"), "w") as f:
        f.write("name: bad\nversion: 1\nplugs:\n  cam:\n    interface: [camera]\n")
    r = broker.cli(["install", d])
    assert r.returncode == 1
    assert r.stderr.startswith(f"error: {d}/meta/snap.yaml:5:"), r.stderr
    assert broker.cli(["list"]).stdout == ""
    assert os.listdir(os.path.join(broker.state_dir, "staging")) == []


def test_unknown_interface_is_dropped_like_snapd(broker, workdir):
    d = os.path.join(workdir, "weird")
    shutil.copytree(os.path.join(EXAMPLES, "vlc"), d)
    with open(os.path.join(d, "meta", "snap.yaml"), "w") as f:
        f.write("name: weird\nversion: 1\nplugs:\n  x: no-such-interface\n  home: null\n")
    r = broker.cli(["install", d])
    assert r.returncode == 0, r.stderr
    out = broker.cli(["connections", "weird"]).stdout
    assert "weird:home" in out and "weird:x" not in out


def test_remove_unknown_and_files_gone(broker):
    # as snap: removing what is not installed is a note, not an error
    r = broker.cli(["remove", "nope"])
    assert (r.returncode, r.stdout, r.stderr) == (0, "", 'snap "nope" is not installed\n')
    broker.install("vlc")
    broker.cli(["remove", "vlc"], check=True)
    assert not os.path.exists(os.path.join(broker.state_dir, "snaps", "vlc"))
    assert broker.cli(["list"]).stdout == ""


def test_leftovers_of_a_crash_are_cleaned_at_start(broker):
    broker.install("vlc")
    broker.kill()
    st = broker.state_dir
    os.makedirs(os.path.join(st, "staging", "install-abc123", "snap"))
    os.makedirs(os.path.join(st, "snaps", "vlc", "x7", "meta"))    # renamed, never saved
    os.makedirs(os.path.join(st, "snaps", "ghost", "x1", "meta"))  # not in the model
    broker.start()
    assert os.listdir(os.path.join(st, "staging")) == []
    assert sorted(os.listdir(os.path.join(st, "snaps"))) == ["vlc"]
    assert os.listdir(os.path.join(st, "snaps", "vlc")) == ["x1"]
    assert broker.install("vlc").stdout == "vlc 3.0.20 refreshed\n"
    assert sorted(os.listdir(os.path.join(st, "snaps", "vlc"))) == ["x1", "x2"]


def _snap_named(workdir, name):
    src = os.path.join(workdir, "src-" + name)
    os.makedirs(os.path.join(src, "meta"))
    with open(os.path.join(src, "meta", "snap.yaml"), "w") as f:
        f.write(f"name: {name}\nversion: '1'\napps:\n  app:\n    command: bin/app\n")
    return src


def test_remove_purge_deletes_per_user_data_without_following_links(broker, workdir,
                                                                     test_user):
    """`remove --purge` deletes ~/snap/NAME of every home (/home/*, /root) as
    snapd does; plain `remove` keeps it; a link planted in the tree is removed
    as a link, and a home whose ~/snap is a link is skipped."""
    import uuid
    name = "purge-" + uuid.uuid4().hex[:8]  # unique: homes are shared with other tests
    src = _snap_named(workdir, name)
    home = test_user.pw_dir
    data = os.path.join(home, "snap", name)
    victim = os.path.join(workdir, "victim")  # what a planted link points at
    os.makedirs(os.path.join(victim, name, "x1"))
    with open(os.path.join(victim, "keep"), "w") as f:
        f.write("precious")
    fake_home = os.path.join("/home", "pbtest-" + uuid.uuid4().hex[:8])  # ~/snap is a link
    os.makedirs(fake_home)
    try:
        os.symlink(victim, os.path.join(fake_home, "snap"))

        broker.install(src)
        os.makedirs(os.path.join(data, "x1", "deep", "er"))
        os.makedirs(os.path.join(data, "common"))
        with open(os.path.join(data, "x1", "deep", "er", "file"), "w") as f:
            f.write("user data")
        os.symlink(victim, os.path.join(data, "x1", "link-to-victim"))
        os.symlink(os.path.join(victim, "keep"), os.path.join(data, "common", "keep"))

        # plain remove keeps the data
        broker.cli(["remove", name], check=True)
        assert os.path.isfile(os.path.join(data, "x1", "deep", "er", "file"))

        broker.install(src)
        r = broker.cli(["remove", name, "--purge"])
        assert r.returncode == 0, r.stderr
        assert not os.path.lexists(data)
        assert os.path.isdir(os.path.join(home, "snap"))  # only NAME goes
        # nothing behind a link was touched
        with open(os.path.join(victim, "keep")) as f:
            assert f.read() == "precious"
        assert os.path.isdir(os.path.join(victim, name, "x1"))
        assert os.path.islink(os.path.join(fake_home, "snap"))
    finally:
        shutil.rmtree(fake_home, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)
