# SPDX-License-Identifier: GPL-3.0-or-later
"""A dead daemon leaves views that fail closed; stopping a view with files
still open does not hang; the FUSE fd is never inherited; a daemon out of
descriptors gives clear errors and recovers."""
import errno
import json
import os
import signal
import subprocess
import textwrap
import time

from .conftest import as_user, demote_fn, home_spec, probe, read_line, spawn_probe

# Creates up to N files in DIR, keeping each open if HOLD is "hold" (an open
# file pins its node: the kernel cannot let go of it).
CREATE_UNTIL_FAILURE = textwrap.dedent("""
    import json, os, sys
    d, n, hold = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "hold"
    made, err, fds = [], None, []
    for i in range(n):
        name = f"f{i:04d}"
        try:
            fd = os.open(os.path.join(d, name), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except OSError as e:
            err = e.errno
            break
        fds.append(fd) if hold else os.close(fd)
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


def many_dir(v, home, user):
    """An empty Documents/many of the user's: (host path, path in view v)."""
    host = os.path.join(home, "Documents", "many")
    os.mkdir(host)
    os.chown(host, user.pw_uid, user.pw_gid)
    return host, v.path("Documents", "many")


def test_out_of_descriptors_is_a_clear_error_that_leaves_nothing_behind(views, home, test_user):
    """Every node the kernel keeps cached holds one of the daemon's
    descriptors. When every one is pinned (the app holds its files open), a
    create fails with ENFILE (not EMFILE, which would name the app's own
    table) and takes back what it made on the host, and the daemon lives on:
    once the files are closed, the view sheds their nodes and creates and
    listings work again."""
    v = views("home", home, home_spec(home), nofile=400)
    host, many = many_dir(v, home, test_user)
    r = as_user(test_user, ["/usr/bin/python3", "-c", CREATE_UNTIL_FAILURE, many, "1000", "hold"])
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["errno"] == errno.ENFILE, out["errno"]
    assert 0 < len(out["made"]) < 1000
    # Nothing behind: the host holds exactly the files the app was told about.
    assert sorted(os.listdir(host)) == out["made"]
    assert v.proc.poll() is None
    # The app has exited: its nodes are idle now. The failed create asked the
    # view to shed nodes; that is asynchronous (the kernel's FORGETs), so
    # the next one is retried for a while.
    again = ["sh", "-c", f"touch {many}/late && ls -1 {many} | wc -l"]
    deadline = time.monotonic() + 20
    r = as_user(test_user, again)
    while r.returncode != 0 and time.monotonic() < deadline:
        r = as_user(test_user, again)
    assert r.returncode == 0, r.stderr
    assert int(r.stdout) == len(out["made"]) + 1


def test_a_tree_larger_than_the_descriptor_limit_works(views, home, test_user):
    """Files created and closed leave idle nodes behind: the view asks the
    kernel to drop cached names before its descriptors run out, so five
    times more files than its RLIMIT_NOFILE are created, listed and read
    back without an error."""
    v = views("home", home, home_spec(home), nofile=400)
    host, many = many_dir(v, home, test_user)
    r = as_user(test_user, ["/usr/bin/python3", "-c", CREATE_UNTIL_FAILURE, many, "2000", "close"])
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["errno"] is None and len(out["made"]) == 2000, (out["errno"], len(out["made"]))
    r = as_user(test_user, ["sh", "-c", f"ls -1 {many} | wc -l && cat {many}/* | wc -c && "
                            f"stat -c %s {many}/* | sort -u"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["2000", "0", "0"], r.stdout
    assert sorted(os.listdir(host)) == out["made"]


HOLD_CWD_AND_FILE = textwrap.dedent("""
    import json, os, sys
    os.chdir(sys.argv[1])
    fd = os.open(sys.argv[2], os.O_RDONLY)
    print("ready", flush=True)
    sys.stdin.readline()
    print(json.dumps({"cwd": os.getcwd(), "fd": os.readlink(f"/proc/self/fd/{fd}"),
                      "read": os.pread(fd, 100, 0).decode()}), flush=True)
""")


def test_shedding_nodes_spares_working_directories_and_open_files(views, home, test_user):
    """The view drops only names of files nobody has open: a process whose
    working directory and open file are in the view keeps both intact (a
    dropped directory would make getcwd() fail, a dropped open file would
    read "(deleted)" in /proc) while another one creates five times more
    files than the view's descriptor limit."""
    v = views("home", home, home_spec(home), nofile=400)
    cwd, held = v.path("Documents", "deep"), v.path("Music", "a.txt")
    p = subprocess.Popen(["/usr/bin/python3", "-c", HOLD_CWD_AND_FILE, cwd, held],
                         preexec_fn=demote_fn(test_user), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    try:
        assert read_line(p) == "ready"
        _, many = many_dir(v, home, test_user)
        r = as_user(test_user, ["/usr/bin/python3", "-c", CREATE_UNTIL_FAILURE, many, "2000",
                                "close"])
        assert json.loads(r.stdout)["errno"] is None, r.stdout
        p.stdin.write("go\n")
        p.stdin.flush()
        assert json.loads(read_line(p)) == {"cwd": cwd, "fd": held, "read": "hello\n"}
    finally:
        p.kill()
        p.wait()
