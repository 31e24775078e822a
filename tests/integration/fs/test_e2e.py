# SPDX-License-Identifier: GPL-3.0-or-later
"""End to end through the real broker: an app confined by `plugboard run`
holds files of its home view open; once `plugboard disconnect` returned,
none of its reads or writes succeeds."""
import json
import os
import shutil
import subprocess
import time

import pytest

from conftest import REPO, binary, build_dir, run_as

READER = r'''
import json, os, sys, time
path = os.path.join(os.environ["HOME"], sys.argv[1])
fd = os.open(path, os.O_RDWR)
n_ok = n_fail = last_ok = 0
errs = set()
told = False
end = None
while True:
    t = time.monotonic_ns()
    if end and t > end:
        break
    try:
        os.pread(fd, 64, 0)
        n_ok += 1
        last_ok = t
    except OSError as e:
        n_fail += 1
        errs.add(e.errno)
        if end is None:
            end = t + 100_000_000
    if n_ok == 200 and not told:
        print("looping", flush=True)
        told = True
try:
    os.pwrite(fd, b"x", 0)
    w = "OK"
except OSError as e:
    w = e.errno
print(json.dumps({"ok": n_ok, "fail": n_fail, "last_ok_start": last_ok,
                  "errors": sorted(errs), "write": w}), flush=True)
'''



@pytest.fixture
def probe_snap(broker, workdir):
    d = os.path.join(workdir, "snaps", "probe")
    shutil.copytree(os.path.join(REPO, "examples", "probe"), d)
    for root, _dirs, files in os.walk(build_dir()):
        if "pb-probe" in files:
            shutil.copy(os.path.join(root, "pb-probe"), os.path.join(d, "bin", "pb-probe"))
            break
    broker.install(d)
    return d


def test_disconnect_revokes_open_files_before_the_cli_returns(broker, probe_snap, test_user,
                                                               workdir):
    name = "pb-e2e-" + os.path.basename(workdir) + ".txt"
    path = os.path.join(test_user.pw_dir, name)
    run_as(test_user, ["sh", "-c", f"echo content > {path}"], check=True)
    broker.cli(["connect", "probe:home"])

    def demote():
        os.setgroups([])
        os.setgid(test_user.pw_gid)
        os.setuid(test_user.pw_uid)

    env = {"PATH": "/usr/bin:/bin", "HOME": test_user.pw_dir, "LANG": "C.UTF-8",
           "PLUGBOARD_SOCKET": broker.socket,
           "PLUGBOARD_RUN_SOCKET": os.path.join(broker.workdir, "run.socket")}
    app = subprocess.Popen([binary("plugboard"), "run", "probe.sh",
                            f"exec python3 -c '{READER}' {name}"],
                           preexec_fn=demote, env=env, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = app.stdout.readline().strip()
        assert line == "looping", (line, app.stderr.read() if app.poll() is not None else "")
        broker.cli(["disconnect", "probe:home"], check=True)
        returned = time.monotonic_ns()
        res = json.loads(app.stdout.readline())
        assert app.wait(timeout=30) == 0
    finally:
        if app.poll() is None:
            app.kill()
        os.unlink(path)
    assert res["ok"] >= 200 and res["fail"] > 0, res
    assert res["errors"] == [13], res  # EACCES
    assert res["write"] == 13, res
    assert res["last_ok_start"] < returned, "no read succeeded after the CLI returned"
