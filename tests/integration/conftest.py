# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared fixtures for the integration tests.

The tests run as root (as CI does) and create the unprivileged user that
confined apps run as. Every test works in its own directory under
/var/tmp/pbtest-*, never in a fixed global path, so several test runs can
share a machine.
"""
import os
import pwd
import shutil
import subprocess
import tempfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEST_USER = "pbtest"


def build_dir():
    return os.environ.get("PB_BUILD_DIR", os.path.join(REPO, "build"))


def binary(name):
    """Path of a built executable, searched in the build tree."""
    b = build_dir()
    for sub in ("broker", "cli", "fs", "portals", "sandbox", "tests", "bench", ""):
        p = os.path.join(b, sub, name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    raise FileNotFoundError(f"{name} not built in {b}")


@pytest.fixture(scope="session")
def test_user():
    """The unprivileged user confined apps run as: a pwd.struct_passwd."""
    try:
        return pwd.getpwnam(TEST_USER)
    except KeyError:
        pass
    r = subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", TEST_USER],
                       capture_output=True, text=True)
    if r.returncode not in (0, 9):  # 9: created meanwhile by a parallel run
        raise RuntimeError(f"useradd failed: {r.stderr}")
    return pwd.getpwnam(TEST_USER)


@pytest.fixture
def workdir():
    """A private, world-traversable scratch directory (tmp_path is root-only)."""
    d = tempfile.mkdtemp(prefix="pbtest-", dir="/var/tmp")
    os.chmod(d, 0o755)
    yield d
    unmount_below(d)
    shutil.rmtree(d, ignore_errors=True)


def unmount_below(d):
    """Lazily unmount every mount at or below d, deepest first (views,
    loop-mounted images): `umount -R` does nothing when d itself is not a
    mount point, and dead views would pile up."""
    import re
    unescape = lambda p: re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), p)
    with open("/proc/self/mountinfo") as f:
        points = [unescape(line.split()[4]) for line in f]
    below = [p for p in points if p == d or p.startswith(d + "/")]
    for p in sorted(set(below), key=len, reverse=True):
        subprocess.run(["umount", "-l", p], capture_output=True)


def run_as(user, argv, **kw):
    """Run argv as `user` (a struct_passwd) with a clean environment."""
    env = kw.pop("env", None) or {}
    base = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": user.pw_dir,
            "USER": user.pw_name, "LANG": "C.UTF-8"}
    base.update(env)

    def demote():
        os.setgroups([])
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)

    return subprocess.run(argv, preexec_fn=demote, env=base, **kw)


# ---------------------------------------------------------------------------
# The broker (issue 2). Other areas' tests start a broker with start_broker():
#
#   b = start_broker(workdir)            # a real plugboardd on a private state dir
#   b.cli(["install", ".../examples/vlc"], check=True)
#   b.snap(["connections", "vlc"])       # Debian's real snap client, same daemon
#   b.stop()
# ---------------------------------------------------------------------------
import signal as _signal
import socket as _socket
import time as _time

EXAMPLES = os.path.join(REPO, "examples")


class Broker:
    """A running plugboardd on a private state dir and socket."""

    def __init__(self, workdir, declarations_dir=None, interfaces_dir=None, extra_args=(),
                 env=None):
        self.workdir = workdir
        self.state_dir = os.path.join(workdir, "state")
        self.root = os.path.join(workdir, "root")  # SNAPPY_GLOBAL_ROOT for Debian's snap
        self.socket = os.path.join(workdir, "plugboard.socket")
        self.declarations_dir = declarations_dir or os.path.join(workdir, "declarations")
        self.interfaces_dir = interfaces_dir or os.path.join(workdir, "interfaces")
        self.extra_args = list(extra_args)
        self.env = env
        self.log_path = os.path.join(workdir, "plugboardd.log")
        self.proc = None
        os.makedirs(self.declarations_dir, exist_ok=True)
        os.makedirs(os.path.join(self.root, "run"), exist_ok=True)
        link = os.path.join(self.root, "run", "snapd.socket")
        if not os.path.islink(link):
            os.symlink(self.socket, link)
        os.makedirs(os.path.join(workdir, "home"), exist_ok=True)

    def argv(self):
        return [binary("plugboardd"), "--state-dir", self.state_dir, "--socket", self.socket,
                "--declarations-dir", self.declarations_dir,
                "--interfaces-dir", self.interfaces_dir] + self.extra_args

    def start(self, timeout=10.0):
        """Start and wait until the socket accepts connections."""
        self.log = open(self.log_path, "ab")
        env = dict(os.environ)
        env.update(self.env or {})
        self.proc = subprocess.Popen(self.argv(), stdout=self.log, stderr=self.log, env=env)
        deadline = _time.monotonic() + timeout
        while _time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"plugboardd exited with {self.proc.returncode}: "
                                   f"{self.read_log()}")
            try:
                with _socket.socket(_socket.AF_UNIX) as s:
                    s.connect(self.socket)
                return self
            except OSError:
                _time.sleep(0.02)
        raise RuntimeError(f"plugboardd did not come up: {self.read_log()}")

    def read_log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def cli_env(self, env=None):
        e = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "TZ": "UTC",
             "PLUGBOARD_SOCKET": self.socket, "HOME": os.path.join(self.workdir, "home")}
        e.update(env or {})
        return e

    def cli(self, args, check=False, env=None, user=None, timeout=60):
        """Run `plugboard ARGS` (as root, or as `user`, a struct_passwd)."""
        argv = [binary("plugboard")] + list(args)
        if user is not None:
            e = {"PLUGBOARD_SOCKET": self.socket, "TZ": "UTC"}
            e.update(env or {})
            r = run_as(user, argv, env=e, capture_output=True, text=True, timeout=timeout)
        else:
            r = subprocess.run(argv, env=self.cli_env(env), capture_output=True, text=True,
                               timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"plugboard {' '.join(args)} failed ({r.returncode}): "
                                 f"{r.stdout}{r.stderr}")
        return r

    def snap(self, args, check=False, env=None, timeout=60):
        """Run Debian's real `snap` client against this daemon."""
        e = self.cli_env(env)
        e.update({"SNAPPY_GLOBAL_ROOT": self.root, "SNAP_REEXEC": "0"})
        r = subprocess.run(["/usr/bin/snap"] + list(args), env=e, capture_output=True,
                           text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if check and r.returncode != 0:
            raise AssertionError(f"snap {' '.join(args)} failed ({r.returncode}): "
                                 f"{r.stdout}{r.stderr}")
        return r

    def install(self, example_or_path):
        path = example_or_path
        if not os.path.isabs(path):
            path = os.path.join(EXAMPLES, path)
        return self.cli(["install", "--dangerous", path], check=True)

    def state(self):
        import json
        with open(os.path.join(self.state_dir, "state.json")) as f:
            return json.load(f)

    def stop(self):
        """SIGTERM and wait; returns the exit status."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(_signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
            return self.proc.returncode
        return None

    def kill(self):
        """SIGKILL, as a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
            self.log.close()

    def restart(self):
        self.stop()
        return self.start()


def start_broker(workdir, **kw):
    """Start a real plugboardd in `workdir` (see Broker). Call .stop() when done."""
    return Broker(workdir, **kw).start()



@pytest.fixture
def broker(workdir):
    """A running plugboardd on a private state dir and socket, stopped after the test."""
    b = start_broker(workdir)
    yield b
    b.stop()


def api(sock_path, method, path, body=None, timeout=10.0):
    """One HTTP request to a broker socket: returns (status, decoded JSON)."""
    import http.client
    import json as _json

    class _Conn(http.client.HTTPConnection):
        def connect(self):
            self.sock = _socket.socket(_socket.AF_UNIX)
            self.sock.settimeout(timeout)
            self.sock.connect(sock_path)

    c = _Conn("localhost", timeout=timeout)
    try:
        data = None if body is None else _json.dumps(body)
        c.request(method, path, body=data,
                  headers={"Content-Type": "application/json"} if data else {})
        r = c.getresponse()
        return r.status, _json.loads(r.read() or b"null")
    finally:
        c.close()
