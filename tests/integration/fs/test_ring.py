# SPDX-License-Identifier: GPL-3.0-or-later
"""FUSE over io_uring (fs/ring.c): when the fuse module offers it (its
enable_uring parameter), a view takes its requests through per-CPU io_uring
queues instead of /dev/fuse, with the same answers, the same revocation,
and lock waits that never stall a queue."""
import json
import os
import subprocess

import pytest

from .conftest import PROBE, demote_fn, home_spec, probe, read_line

PARAM = "/sys/module/fuse/parameters/enable_uring"


@pytest.fixture
def uring():
    """The fuse module offers io_uring to the views mounted in this test:
    the transport they must use, "io_uring", or "device" on a kernel without
    FUSE over io_uring (CONFIG_FUSE_IO_URING), where they must fall back."""
    if not os.path.exists(PARAM):
        yield "device"
        return
    with open(PARAM) as f:
        before = f.read().strip()
    with open(PARAM, "w") as f:
        f.write("Y")
    yield "io_uring"
    with open(PARAM, "w") as f:
        f.write(before)


def on_cpu0(user, *args):
    """A probe pinned to CPU 0: its requests all go to queue 0."""
    return subprocess.Popen(["taskset", "-c", "0", "/usr/bin/python3", PROBE, *args],
                            preexec_fn=demote_fn(user), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})


def test_requests_come_through_io_uring_with_the_same_answers(uring, views, home, test_user):
    v = views("home", home, home_spec(home))
    assert v.transport()[0] == uring
    data = "x" * 100000 + "end\n"  # many pages, one request
    assert probe(test_user, "write", v.path("Music/new.txt"), data).stdout.strip() == "OK"
    with open(os.path.join(home, "Music/new.txt")) as f:
        assert f.read() == data
    # Read back through the view (its own READ path: straight into the
    # ring's buffer), and listed.
    got = probe(test_user, "read", v.path("Music/new.txt")).stdout
    assert got.rstrip("\n") == data.rstrip("\n")
    assert "new.txt" in json.loads(probe(test_user, "ls", v.path("Music")).stdout)
    kind, served = v.transport()
    assert kind == uring and (served >= 5 or uring == "device"), (kind, served)


def test_blocked_locks_on_one_cpu_leave_its_queue_serving(uring, views, home, test_user):
    # Each lock wait holds one queue entry until the lock comes; with more
    # waiters than the queue has entries, the queue must grow, or the
    # holder's own unlock (same CPU, same queue) would never get in.
    v = views("home", home, home_spec(home))
    lock = v.path("Music/lockfile")
    holder = on_cpu0(test_user, "flock-hold", lock)
    assert read_line(holder) == "locked"
    waiters = [subprocess.Popen(["taskset", "-c", "0", "flock", lock, "true"],
                                preexec_fn=demote_fn(test_user)) for _ in range(8)]
    try:
        ls = subprocess.run(["taskset", "-c", "0", "/usr/bin/python3", PROBE, "ls", v.mount],
                            preexec_fn=demote_fn(test_user), capture_output=True, text=True,
                            timeout=20)
        assert "Music" in json.loads(ls.stdout)
        assert v.publish(home_spec(home))["rc"] == 0
    finally:
        holder.stdin.write("release\n")
        holder.stdin.flush()
    assert [w.wait(timeout=30) for w in waiters] == [0] * len(waiters)
    holder.wait(timeout=10)
    assert v.transport()[0] == uring


def test_revocation_over_io_uring_leaves_no_read_after_publish(uring, views, home, test_user):
    v = views("home", home, home_spec(home))
    p = on_cpu0(test_user, "reader", v.path("Music/a.txt"), "600")
    assert read_line(p) == "looping"
    r = v.publish(home_spec(home, connected=False))
    res = json.loads(read_line(p))
    p.wait(timeout=10)
    assert res["ok"] > 0 and res["fail"] > 0 and res["errors"] == ["EACCES"], res
    assert res["last_ok_start"] < r["t_mono_ns"], (res, r)
    # New opens fail too: the name is gone from the view.
    assert probe(test_user, "read", v.path("Music/a.txt")).stdout.strip() == "ERR ENOENT"
    assert v.transport()[0] == uring
