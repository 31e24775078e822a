# SPDX-License-Identifier: GPL-3.0-or-later
"""The broker dies (kill -9) under a running sandbox: the sandbox fails
closed -- its views answer ENOTCONN, the sockets the broker served inside it
refuse connections, nothing succeeds after the kill -- and once the broker is
back, newly launched apps work again."""
import errno
import os
import shutil
import socket
import subprocess
import time

import pytest

from conftest import REPO, binary, run_as

# Runs confined: loops over the home view (stat + open/read) and the
# sandbox's control socket; prints "looping" once everything worked, then one
# line per round: "ok T" or "fail T ERRORS" (T: CLOCK_MONOTONIC ns, the same
# clock as the test's), until it is killed or has failed for 0.5 s.
HAMMER = r"""
import errno, os, socket, sys, time
path = os.path.join(os.environ["HOME"], sys.argv[1])
ok = 0
end = None
while True:
    t = time.monotonic_ns()
    if end and t > end:
        break
    errs = []
    try:
        os.stat(path)
        with open(path) as f:
            f.read()
    except OSError as e:
        errs.append("view:" + errno.errorcode.get(e.errno, str(e.errno)))
    try:
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(2)
        s.connect("/run/snapd-snap.socket")
        s.sendall(b"GET /v2/plugboard/wait?name=home HTTP/1.1\r\nHost: x\r\n\r\n")
        if not s.recv(64).startswith(b"HTTP/1."):
            raise OSError(errno.EPROTO, "no answer")
        s.close()
    except OSError as e:
        errs.append("control:" + errno.errorcode.get(e.errno or 0, str(e)))
    if errs:
        print("fail", t, ",".join(errs), flush=True)
        if end is None:
            end = t + 500_000_000
    else:
        ok += 1
        print("ok", t, flush=True)
        if ok == 20:
            print("looping", flush=True)
"""


def fuse_mounts_under(d):
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            fstype = fields[fields.index("-") + 1]
            if fstype.startswith("fuse") and fields[4].startswith(d + "/"):
                out.append(fields[4])
    return out


def sockets_under(d):
    import stat
    out = []
    for root, _dirs, files in os.walk(d):
        for f in files:
            p = os.path.join(root, f)
            try:
                if stat.S_ISSOCK(os.lstat(p).st_mode):
                    out.append(p)
            except OSError:
                pass
    return out



def run_env(b):
    return {"PLUGBOARD_SOCKET": b.socket,
            "PLUGBOARD_RUN_SOCKET": os.path.join(b.workdir, "run.socket")}


def test_broker_down_fails_closed_and_new_apps_work_after_restart(broker, workdir, test_user):
    d = os.path.join(workdir, "probe")
    shutil.copytree(os.path.join(REPO, "examples", "probe"), d)
    broker.install(d)
    broker.cli(["connect", "probe:home"], check=True)
    name = "pb-down-" + os.path.basename(workdir) + ".txt"
    path = os.path.join(test_user.pw_dir, name)
    run_as(test_user, ["sh", "-c", f"echo content > {path}"], check=True)

    def demote():
        os.setgroups([])
        os.setgid(test_user.pw_gid)
        os.setuid(test_user.pw_uid)

    env = {"PATH": "/usr/bin:/bin", "HOME": test_user.pw_dir, "LANG": "C.UTF-8"}
    env.update(run_env(broker))
    app = subprocess.Popen([binary("plugboard"), "run", "probe.sh",
                            f"exec python3 -c '{HAMMER}' {name}"],
                           preexec_fn=demote, env=env, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = []
    try:
        while True:
            line = app.stdout.readline()
            assert line, ("app ended early", lines[-5:], app.stderr.read())
            lines.append(line.split())
            if line.strip() == "looping":
                break
        sandbox_dir = os.path.join(workdir, "sandbox")
        mounts = fuse_mounts_under(workdir)
        socks = [p for p in sockets_under(sandbox_dir) if p.endswith("snapd-snap.socket")]
        assert mounts and socks, (mounts, socks)
        listed = {m: sorted(os.listdir(m)) for m in mounts}
        broker.kill()
        killed = time.monotonic_ns()
        # Host side, right after the kill: the views and served sockets of
        # the running sandbox fail closed. Every request that reaches a view's
        # daemon fails: a name never looked up must be asked for.
        # With io_uring queues (fs/ring.c) the kernel ends the connection a
        # moment after the process: its io_uring is torn down asynchronously
        # and holds the device until then. A request in that moment fails
        # with ECONNABORTED, or ECANCELED if it had been handed to a queue
        # whose thread was dead; every later one with ENOTCONN.
        fresh = "pb-never-looked-up-" + os.path.basename(workdir)
        # Nothing outside the kernel tells when the teardown is over: ask
        # (each time a name never asked for) until ENOTCONN, every answer
        # before it a failure of that moment.
        for m in mounts:
            seen = []
            deadline = time.monotonic() + 10
            while not seen or (seen[-1] != errno.ENOTCONN and time.monotonic() < deadline):
                with pytest.raises(OSError) as e:
                    os.stat(os.path.join(m, f"{fresh}-{len(seen)}"))
                seen.append(e.value.errno)
            assert seen[-1] == errno.ENOTCONN, (m, seen)
            assert set(seen) <= {errno.ENOTCONN, errno.ECONNABORTED, errno.ECANCELED}, (m, seen)
        # What the kernel cached before the kill (attributes, a listing) may
        # still be served until the launcher ends the sandbox: never more.
        for m in mounts:
            try:
                assert sorted(os.listdir(m)) == listed[m], m
            except OSError as e:
                assert e.errno == errno.ENOTCONN, (m, e)
        for p in socks:
            with socket.socket(socket.AF_UNIX) as c, pytest.raises(OSError) as e:
                c.connect(p)
            assert e.value.errno in (errno.ECONNREFUSED, errno.ENOENT), (p, e.value)
        # App side: whatever it still printed (the launcher also ends the
        # sandbox when its broker goes away), nothing succeeded after the kill.
        for line in app.stdout:
            lines.append(line.split())
        app.wait(timeout=30)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    oks = [int(w[1]) for w in lines if w[0] == "ok"]
    assert oks and max(oks) < killed, "an access succeeded after the broker died"
    for w in lines:
        if w[0] == "fail" and int(w[1]) >= killed:
            for err in w[2].split(","):
                assert err in ("view:ENOTCONN", "control:ECONNREFUSED", "control:ENOENT"), w
    # Back up: a newly launched app reads through a fresh view.
    broker.start()
    run_sock = run_env(broker)["PLUGBOARD_RUN_SOCKET"]
    deadline = time.monotonic() + 30
    while True:  # the run socket comes up after the API socket
        try:
            with socket.socket(socket.AF_UNIX) as c:
                c.connect(run_sock)
            break
        except OSError:
            assert time.monotonic() < deadline, broker.read_log()[-2000:]
            time.sleep(0.02)
    try:
        r = run_as(test_user, [binary("plugboard"), "run", "probe.sh", f'cat "$HOME/{name}"'],
                   env=run_env(broker), capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and r.stdout.strip() == "content", (r.stdout, r.stderr,
                                                                      broker.read_log()[-2000:])
    finally:
        os.unlink(path)
