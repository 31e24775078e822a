# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the FUSE view tests: a real view mounted by pb-view-harness
(fs/harness.c) from a rule spec, republished on demand, and helpers to run
probes as the unprivileged test user."""
import json
import os
import resource
import select
import subprocess
import time

import pytest

from conftest import binary, run_as  # noqa: F401  (tests/integration/conftest.py)

HERE = os.path.dirname(os.path.abspath(__file__))
PROBE = os.path.join(HERE, "probe.py")


def demote_fn(user):
    def demote():
        os.setgroups([])
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)
    return demote


class View:
    """One mounted view served by pb-view-harness."""

    def __init__(self, workdir, user, kind, root, spec, name=None, cache=0, nofile=None,
                 env=None):
        self.workdir = workdir
        self.user = user
        self.kind = kind
        self.root = root
        self.n = 0
        name = name or kind
        self.mount = os.path.join(workdir, "mnt-" + name)
        os.makedirs(self.mount, exist_ok=True)
        self.audit = os.path.join(workdir, "audit-" + name)
        path = self._write_spec(spec)
        self.proc = subprocess.Popen(
            [binary("pb-view-harness"), "--kind", kind, "--root", root or "/",
             "--mount", self.mount, "--uid", str(user.pw_uid), "--gid", str(user.pw_gid),
             "--spec", path, "--audit", self.audit, "--cache", str(cache)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=dict(os.environ, **(env or {})),
            preexec_fn=(lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile)))
            if nofile else None)
        line = self._readline(10)
        if line != "ready":
            self.proc.kill()
            raise RuntimeError(f"harness did not start: {line!r} {self.proc.stderr.read()}")

    def _write_spec(self, spec):
        self.n += 1
        path = os.path.join(self.workdir, f"spec-{self.kind}-{self.n}.json")
        with open(path, "w") as f:
            json.dump(spec, f)
        return path

    def _readline(self, timeout):
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not r:
            raise TimeoutError("harness did not answer")
        return self.proc.stdout.readline().strip()

    def publish(self, spec):
        """Publish a new table; returns when pb_view_publish() returned."""
        path = self._write_spec(spec)
        self.proc.stdin.write(f"publish {path}\n")
        self.proc.stdin.flush()
        line = self._readline(30)
        parts = line.split()
        assert parts[0] == "ok", line
        return {"elapsed_ns": int(parts[1]), "invalidated": int(parts[2]),
                "rc": int(parts[3]), "t_mono_ns": int(parts[4]), "check_ns": int(parts[5])}

    def transport(self):
        """("io_uring", requests served through it) or ("device", 0)."""
        self.proc.stdin.write("transport\n")
        self.proc.stdin.flush()
        kind, served = self._readline(10).split()
        return kind, int(served)

    def prefetch(self):
        """What READDIRPLUS answers carry for files now: "attributes" or
        "names" (fs/prefetch.c)."""
        self.proc.stdin.write("prefetch\n")
        self.proc.stdin.flush()
        return self._readline(10)

    def audit_lines(self):
        try:
            with open(self.audit) as f:
                return [line.rstrip("\n").split("\t") for line in f]
        except FileNotFoundError:
            return []

    def path(self, *parts):
        return os.path.join(self.mount, *parts)

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        subprocess.run(["umount", "-l", self.mount], capture_output=True)


@pytest.fixture
def views(workdir, test_user):
    """Factory: views(kind, root, spec) -> View; all stopped at the end."""
    made = []

    def make(kind, root, spec, name=None, cache=0, nofile=None, env=None):
        v = View(workdir, test_user, kind, root, spec, name, cache, nofile, env)
        made.append(v)
        return v

    yield make
    for v in made:
        v.stop()


def spec(endpoints, paths=(), devices=(), snap="app", generation=1):
    """endpoints: {name: connected}; paths: (pattern, access, recursive, endpoint)."""
    return {
        "snap": snap, "generation": generation,
        "endpoints": [{"name": n, "interface": n, "connected": c} for n, c in endpoints.items()],
        "paths": [{"pattern": p, "access": a, "recursive": r, "endpoint": e}
                  for p, a, r, e in paths],
        "devices": [{"pattern": p, "access": a, "endpoint": e} for p, a, e in devices],
    }


def home_spec(home, connected=True, personal=None, extra=(), snap="app"):
    """Rules as the compiler emits them for the home interface (policy
    tests/unit/policy/test-grants.c), plus the snap's own directory."""
    eps = {"home": connected}
    paths = [
        (f"{home}/snap/{snap}/x1", "rw", True, None),
        (f"{home}/snap/{snap}/common", "rw", True, None),
        (home, "r", False, "home"),
        (f"{home}/[!.]*", "rw", True, "home"),
        (f"{home}/snap", "r", False, "home"),
        (f"{home}/snap/*", "", True, "home"),
    ]
    if personal is not None:
        eps["dot-app"] = personal
        paths.append((f"{home}/.app", "r", True, "dot-app"))
    return spec(eps, paths + list(extra), snap=snap)


@pytest.fixture
def home(workdir, test_user):
    """A host home directory owned by the test user, with some content."""
    h = os.path.join(workdir, "home")
    for d in ("Music", "Documents/deep", ".ssh", ".app", "snap/app/common", "snap/other"):
        os.makedirs(os.path.join(h, d), exist_ok=True)
    files = {"Music/a.txt": "hello\n", ".ssh/id_rsa": "secret\n", ".app/config": "cfg\n",
             "Documents/deep/note": "note\n", "snap/other/data": "other\n",
             ".hidden": "hidden\n"}
    for rel, content in files.items():
        with open(os.path.join(h, rel), "w") as f:
            f.write(content)
    subprocess.run(["chown", "-R", f"{test_user.pw_uid}:{test_user.pw_gid}", h], check=True)
    return h


def as_user(user, argv, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 60)
    return run_as(user, argv, **kw)


def probe(user, *args, **kw):
    """Run fs probe.py as the test user; returns CompletedProcess."""
    return as_user(user, ["/usr/bin/python3", PROBE, *args], **kw)


def spawn_probe(user, *args):
    """A long-running probe as the test user with line-based stdin/stdout."""
    return subprocess.Popen(["/usr/bin/python3", PROBE, *args], preexec_fn=demote_fn(user),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})


def read_line(p, timeout=10):
    r, _, _ = select.select([p.stdout], [], [], timeout)
    if not r:
        raise TimeoutError("probe did not answer")
    return p.stdout.readline().strip()


def wait_for(cond, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return cond()
