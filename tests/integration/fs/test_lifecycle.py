# SPDX-License-Identifier: GPL-3.0-or-later
"""A dead daemon leaves views that fail closed; stopping a view with files
still open does not hang; the FUSE fd is never inherited."""
import json
import os
import signal

from .conftest import home_spec, probe, read_line, spawn_probe


def test_killed_daemon_fails_closed(views, home, test_user):
    v = views("home", home, home_spec(home))
    p = spawn_probe(test_user, "holder", v.path("Music/a.txt"))
    assert read_line(p) == "open"
    v.proc.send_signal(signal.SIGKILL)
    v.proc.wait(timeout=10)
    p.stdin.write("go\n")
    p.stdin.flush()
    res = json.loads(read_line(p))
    p.stdin.write("done\n")
    p.stdin.flush()
    p.wait(timeout=10)
    assert res["read"] == "ERR ENOTCONN" and res["write"] == "ERR ENOTCONN", res
    assert probe(test_user, "read", v.path("Music/a.txt")).stdout.strip() == "ERR ENOTCONN"


def test_stop_with_open_files_does_not_hang(views, home, test_user):
    v = views("home", home, home_spec(home))
    p = spawn_probe(test_user, "holder", v.path("Music/a.txt"))
    assert read_line(p) == "open"
    v.proc.stdin.write("quit\n")
    v.proc.stdin.flush()
    assert v.proc.wait(timeout=10) == 0
    p.stdin.write("go\n")
    p.stdin.flush()
    res = json.loads(read_line(p))
    p.stdin.write("done\n")
    p.stdin.flush()
    p.wait(timeout=10)
    assert res["read"] == "ERR ENOTCONN", res


def test_fuse_fd_is_close_on_exec(views, home):
    v = views("home", home, home_spec(home))
    fds = os.listdir(f"/proc/{v.proc.pid}/fd")
    fuse_fds = [fd for fd in fds
                if os.readlink(f"/proc/{v.proc.pid}/fd/{fd}") == "/dev/fuse"]
    assert fuse_fds
    for fd in fuse_fds:
        with open(f"/proc/{v.proc.pid}/fdinfo/{fd}") as f:
            flags = int(next(line for line in f if line.startswith("flags:")).split()[1], 8)
        assert flags & 0o2000000, "O_CLOEXEC"
