# SPDX-License-Identifier: GPL-3.0-or-later
"""A dead daemon leaves views that fail closed; stopping a view with files
still open does not hang; the FUSE fd is never inherited; a daemon out of
descriptors gives clear errors and recovers."""
import errno
import json
import os
import signal
import textwrap
import time

from .conftest import as_user, home_spec, probe, read_line, spawn_probe

CREATE_UNTIL_FAILURE = textwrap.dedent("""
    import json, os, sys
    d, n = sys.argv[1], int(sys.argv[2])
    made, err = [], None
    for i in range(n):
        name = f"f{i:04d}"
        try:
            os.close(os.open(os.path.join(d, name), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except OSError as e:
            err = e.errno
            break
        made.append(name)
    print(json.dumps({"made": made, "errno": err}))
""")


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


def test_out_of_descriptors_is_a_clear_error_that_leaves_nothing_behind(views, home, test_user):
    """Every node the kernel keeps cached holds one of the daemon's
    descriptors. When they run out, a create fails with ENFILE (not EMFILE,
    which would name the app's own table), takes back what it made on the
    host, and the daemon lives on: once the kernel forgets nodes, creates and
    listings work again."""
    v = views("home", home, home_spec(home), nofile=200)
    host = os.path.join(home, "Documents", "many")
    os.mkdir(host)
    os.chown(host, test_user.pw_uid, test_user.pw_gid)
    r = as_user(test_user, ["/usr/bin/python3", "-c", CREATE_UNTIL_FAILURE,
                            v.path("Documents", "many"), "1000"])
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["errno"] == errno.ENFILE, out["errno"]
    assert 0 < len(out["made"]) < 1000
    # Nothing behind: the host holds exactly the files the app was told about.
    assert sorted(os.listdir(host)) == out["made"]
    assert v.proc.poll() is None
    # The kernel forgets unused nodes (FORGET), which gives the descriptors
    # back; the FORGETs are asynchronous, so the app retries for a while.
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("2\n")
    many = v.path("Documents", "many")
    again = ["sh", "-c", f"touch {many}/late && ls -1 {many} | wc -l"]
    deadline = time.monotonic() + 20
    r = as_user(test_user, again)
    while r.returncode != 0 and time.monotonic() < deadline:
        r = as_user(test_user, again)
    assert r.returncode == 0, r.stderr
    assert int(r.stdout) == len(out["made"]) + 1
