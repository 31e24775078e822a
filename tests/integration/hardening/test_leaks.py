# SPDX-License-Identifier: GPL-3.0-or-later
"""plugboardd through a whole session (installs, connects, disconnects,
listings, a confined run with its views before and after a revoke, a removal,
a clean stop) under a leak checker: valgrind --leak-check=full on a plain
build, LeakSanitizer on an ASan build (valgrind cannot run ASan binaries).
Asserts no leak and no memory error.

Under valgrind the daemon runs without --sim-hints=fuse-compatible (with it,
valgrind 3.19 aborts on any readlink(): its wrapper completes the call early,
which the hint's may-block flag does not allow). Without the hint valgrind
keeps its big lock through a stat() on a FUSE mount, so no broker thread may
wait on an answer of the broker's own FUSE threads: the views answer INIT
before their workers start (fs/view.c) instead of being stat()ed."""
import os
import re
import shutil
import subprocess

from conftest import REPO, Broker, binary, run_as

from .hlib import sanitized

class CheckedBroker(Broker):
    def __init__(self, workdir, report):
        # valgrind 3.19 keeps its big lock through a blocking io_uring_enter:
        # the views' io_uring queues (fs/ring.c) would stop every thread.
        env = {"PB_FS_URING": "0"}
        if sanitized():
            # Leak checking on for the daemon (the suite turns it off for
            # the other tests' many short-lived processes).
            env = {"ASAN_OPTIONS": f"detect_leaks=1:log_path={report}:abort_on_error=0",
                   "LSAN_OPTIONS": "report_objects=1"}  # io_uring too
        super().__init__(workdir, env=env)
        self.report = report

    def argv(self):
        if sanitized():
            return super().argv()
        return ["valgrind", "--leak-check=full", "--show-leak-kinds=definite,indirect",
                "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99",
                "--track-fds=no", "--num-callers=30", f"--log-file={self.report}"] + super().argv()


def scenario(b, workdir, user):
    for s in ("vlc", "gizmo", "minicom"):
        b.install(s)
    d = os.path.join(workdir, "probe")
    shutil.copytree(os.path.join(REPO, "examples", "probe"), d)
    b.install(d)
    for args in (["connect", "vlc:camera"], ["disconnect", "vlc:home"],
                 ["disconnect", "minicom:themes"], ["connect", "minicom:themes", "gizmo:themes"],
                 ["connect", "probe:home"]):
        b.cli(args, check=True, timeout=120)
    for args in (["connections", "--all"], ["interface"], ["list"], ["changes"], ["denials"],
                 ["connections", "vlc"], ["interface", "camera", "--attrs"]):
        r = b.cli(args, timeout=120)
        assert r.returncode == 0, (args, r.stdout, r.stderr)
    # A confined run: the broker mounts the views, serves them, tears down.
    confined_run(b, workdir, user)
    b.cli(["remove", "gizmo"], check=True, timeout=120)


def confined_run(b, workdir, user):
    name = "pb-leak-" + os.path.basename(workdir)
    path = os.path.join(user.pw_dir, name)
    run_as(user, ["sh", "-c", f"echo hello > {path}"], check=True)
    try:
        env = {"PLUGBOARD_SOCKET": b.socket,
               "PLUGBOARD_RUN_SOCKET": os.path.join(b.workdir, "run.socket")}
        r = run_as(user, [binary("plugboard"), "run", "probe.sh", f'cat "$HOME/{name}"'],
                   env=env, capture_output=True, text=True, timeout=180)
        assert r.returncode == 0 and r.stdout.strip() == "hello", (r.stdout, r.stderr)
        b.cli(["disconnect", "probe:home"], check=True, timeout=120)
        r = run_as(user, [binary("plugboard"), "run", "probe.sh", f'cat "$HOME/{name}"'],
                   env=env, capture_output=True, text=True, timeout=180)
        assert r.returncode != 0, "read after disconnect succeeded"
    finally:
        os.unlink(path)


def test_daemon_session_has_no_leaks_or_memory_errors(workdir, test_user):
    report = os.path.join(workdir, "leak-report")
    b = CheckedBroker(workdir, report)
    b.start(timeout=120)
    try:
        scenario(b, workdir, test_user)
    finally:
        status = b.stop()
    texts = []
    for f in os.listdir(workdir):
        if f.startswith("leak-report"):
            with open(os.path.join(workdir, f), errors="replace") as fh:
                texts.append(fh.read())
    text = "\n".join(texts)
    log = b.read_log()
    if sanitized():
        assert status == 0, (status, text, log[-3000:])
        assert "LeakSanitizer" not in text and "ERROR: AddressSanitizer" not in text, text
    else:
        # --error-exitcode=99: any memory error or definite/indirect leak.
        assert status == 0, (status, text[-6000:], log[-2000:])
        assert not re.search(r"definitely lost: [1-9]", text), text
        # valgrind really ran the daemon to its end and checked the heap.
        assert "Memcheck" in text and re.search(
            r"definitely lost: 0 bytes|All heap blocks were freed", text), text
        assert not re.search(r"ERROR SUMMARY: [1-9]", text), text
