# SPDX-License-Identifier: GPL-3.0-or-later
"""Debian's real `snap` client (snapd 2.57.6) drives plugboardd unchanged and
prints exactly what `plugboard` prints."""
import pytest


def same(broker, args):
    a = broker.cli(args)
    b = broker.snap(args)
    assert (b.returncode, b.stdout, b.stderr) == (a.returncode, a.stdout, a.stderr), args
    return a


@pytest.fixture
def installed(broker):
    for s in ("vlc", "gizmo", "minicom", "guvcview"):
        broker.install(s)
    return broker


LISTINGS = [
    ["connections"],
    ["connections", "--all"],
    ["connections", "vlc"],
    ["connections", "gizmo"],
    ["connections", "system"],
    ["connections", "not-found"],
    ["connections", "--all", "vlc"],
    ["interface"],
    ["interface", "--all"],
    ["interface", "home"],
    ["interface", "serial-port", "--attrs"],
    ["interface", "content", "--attrs"],
    ["interface", "camera"],
    ["interface", "no-such-thing"],
]


@pytest.mark.parametrize("args", LISTINGS, ids=[" ".join(a) for a in LISTINGS])
def test_listings_identical(installed, args):
    if "--attrs" not in args:
        same(installed, args)
        return
    # with --attrs plugboard prints snap's lines, then what the interface grants
    a, b = installed.cli(args), installed.snap(args)
    assert (a.returncode, a.stderr) == (b.returncode, b.stderr) == (0, "")
    assert a.stdout.startswith(b.stdout)
    assert a.stdout[len(b.stdout):].startswith("grants:\n  - ")


def test_snap_connect_disconnect_forget_round_trip(installed):
    b = installed
    r = b.snap(["connect", "vlc:camera"])
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    same(b, ["connections", "vlc"])
    assert "vlc:camera          :camera          manual" in b.cli(["connections", "vlc"]).stdout
    r = b.snap(["disconnect", "vlc:camera"])
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    r = b.snap(["disconnect", "vlc:home"])
    assert r.returncode == 0
    same(b, ["connections", "vlc"])
    r = b.snap(["disconnect", "vlc:home"])
    assert (r.returncode, r.stdout) == (0, "No connections to disconnect\n")
    r = b.snap(["disconnect", "--forget", "vlc:home"])
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    b.install("vlc")
    assert "vlc:home            :home            -" in b.snap(["connections", "vlc"]).stdout


def test_snap_no_wait(installed):
    b = installed
    r = b.snap(["connect", "--no-wait", "vlc:audio-record"])
    assert r.returncode == 0 and r.stdout.strip().isdigit()
    r2 = b.cli(["connect", "--no-wait", "vlc:audio-record"])
    assert int(r2.stdout) == int(r.stdout) + 1
    r = b.snap(["disconnect", "--no-wait", "vlc:audio-record"])
    assert r.returncode == 0 and r.stdout.strip().isdigit()


ERRORS = [
    ["connect", "foo:home"],
    ["connect", "vlc:nope"],
    ["connect", "minicom:serial"],
    ["connect", "minicom:serial", "gizmo"],
    ["connect", "vlc:camera", "gizmo:ser0"],
    ["connect", "home"],
    ["disconnect", "vlc:camera", ":camera"],
    ["disconnect", "--forget", "vlc:camera", ":camera"],
    ["disconnect", "vlc:nope"],
    ["disconnect", "home-consumer"],
    ["connect", "a:b:c"],
]


@pytest.mark.parametrize("args", ERRORS, ids=[" ".join(a) for a in ERRORS])
def test_errors_identical(installed, args):
    r = same(installed, args)
    assert r.returncode == 1


def test_error_wrapping_follows_columns(installed):
    """snap wraps daemon errors with Go's go/doc/comment (least raggedness,
    not greedy): compare at many widths."""
    cases = [["connect", "vlc:camera", "gizmo:ser0"],
             ["connect", "minicom:serial", "gizmo"],
             ["connect", "a-very-long-snap-name-that-is-not-installed-anywhere:with-a-plug"],
             ["disconnect", "--forget", "vlc:camera-is-a-long-name", "gizmo:long-slot-name"]]
    for cols in range(40, 102, 3):
        env = {"COLUMNS": str(cols)}
        for args in cases:
            a, b = installed.cli(args, env=env), installed.snap(args, env=env)
            assert (a.returncode, a.stderr) == (b.returncode, b.stderr), (cols, args)
    assert "\n       " in installed.cli(["connect", "vlc:camera", "gizmo:ser0"],
                                       env={"COLUMNS": "50"}).stderr


def test_changes_list_and_remove_identical(installed):
    b = installed
    b.cli(["connect", "vlc:camera"], check=True)
    b.cli(["connect", "vlc:nope"])
    same(b, ["changes"])
    last = b.cli(["changes"]).stdout.splitlines()[-2].split()[0]
    same(b, ["change", last])
    same(b, ["change", "1"])
    same(b, ["change", "999"])
    same(b, ["list"])
    r = b.snap(["remove", "guvcview"])
    assert (r.returncode, r.stdout, r.stderr) == (0, "guvcview removed\n", "")
    same(b, ["list"])
    same(b, ["remove", "guvcview"])


def test_snap_try_directory_installs_and_refreshes(broker):
    from conftest import EXAMPLES
    import os
    d = os.path.join(EXAMPLES, "vlc")
    r = broker.snap(["try", d])
    assert (r.returncode, r.stdout, r.stderr) == (0, f"vlc 3.0.20 mounted from {d}\n", "")
    r = broker.snap(["try", d])  # again: a refresh to x2
    assert r.returncode == 0
    assert broker.snap(["list", "vlc"]).stdout.splitlines()[1].split()[2] == "x2"
    same(broker, ["connections", "vlc"])
    r = broker.snap(["list", "nope"])
    assert (r.returncode, r.stderr) == (1, "error: no matching snaps installed\n")
    # uploads of .snap files are not supported: a clear error, nothing installed
    r = broker.snap(["install", "--dangerous", "/etc/hostname"])
    assert r.returncode == 1 and "plugboard install" in r.stderr
