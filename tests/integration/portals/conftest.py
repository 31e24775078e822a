# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the portal tests: real servers (PulseAudio, pipewire-pulse,
Xvfb) in private directories, and the pb-portal-harness that runs a proxy
from a grant spec and publishes new specs on command."""
import ctypes
import os
import select
import signal
import subprocess
import time

import pytest

from conftest import binary  # tests/integration/conftest.py


_libc = ctypes.CDLL(None, use_errno=True)


def die_with_parent():
    """preexec_fn: the server gets SIGTERM if the test process dies (a killed
    or timed-out test run must not leave servers behind). Call it after any
    uid change: the kernel clears the setting when credentials change."""
    _libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def wait_for(cond, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.02)
    raise TimeoutError(f"timed out waiting for {what}")


def kill(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


class Harness:
    def __init__(self, args):
        self.p = subprocess.Popen([binary("pb-portal-harness")] + args, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  preexec_fn=die_with_parent)
        line = self._readline(30)
        if line != "ready":
            err = self.p.stderr.read() if self.p.poll() is not None else ""
            raise RuntimeError(f"harness did not start: {line!r} {err}")

    def _readline(self, timeout):
        r, _, _ = select.select([self.p.stdout], [], [], timeout)
        if not r:
            raise TimeoutError("harness did not answer")
        return self.p.stdout.readline().strip()

    def cmd(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        return self._readline(30)

    def publish(self, spec):
        """Publishes a grant spec; returns the publish time in microseconds."""
        out = self.cmd("grants " + spec)
        assert out.startswith("ok "), out
        return int(out.split()[1])

    def conns(self):
        out = self.cmd("count").split()
        return int(out[1]), int(out[2])

    def close(self):
        """Quits; the harness must exit cleanly (under ASan: no leak, no
        error report), else the test fails."""
        rc = None
        if self.p.poll() is None:
            try:
                self.p.stdin.write("quit\n")
                self.p.stdin.flush()
                rc = self.p.wait(20)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                kill(self.p)
        else:
            rc = self.p.returncode
        err = self.p.stderr.read()
        self.p.stdout.close()
        self.p.stderr.close()
        self.p.stdin.close()
        assert rc == 0 and "Sanitizer" not in err, f"harness exit {rc}: {err[-3000:]}"



@pytest.fixture
def harness():
    made = []

    def start(*args):
        h = Harness(list(args))
        made.append(h)
        return h

    yield start
    for h in made:
        h.close()


class Pulse:
    def __init__(self, d, user=None, anonymous=True):
        """A private PulseAudio with a null sink; as root with anonymous
        access by default, or as `user` with the normal same-user
        (credentials) or cookie authentication."""
        self.dir = d
        self.socket = os.path.join(d, "native")
        for sub in ("home", "run", "state"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
            if user:
                os.chown(os.path.join(d, sub), user.pw_uid, user.pw_gid)
        if user:
            os.chown(d, user.pw_uid, user.pw_gid)
        env = dict(PATH="/usr/bin:/bin", HOME=os.path.join(d, "home"),
                   PULSE_RUNTIME_PATH=os.path.join(d, "run"),
                   PULSE_STATE_PATH=os.path.join(d, "state"))
        self.log = open(os.path.join(d, "pulse.log"), "w")
        proto = f"module-native-protocol-unix socket={self.socket}"
        if anonymous:
            proto += " auth-anonymous=1"
        self.p = subprocess.Popen(
            ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit",
             "--use-pid-file=no", "--log-target=stderr", "-L", "module-null-sink",
             "-L", proto], env=env, stdout=self.log, stderr=self.log,
            preexec_fn=(lambda: (demoter(user)(), die_with_parent())) if user
            else die_with_parent)
        self.ctl_env = {"PATH": "/usr/bin:/bin", "PULSE_SERVER": "unix:" + self.socket,
                        "HOME": os.path.join(d, "home")}
        self.user = user
        try:
            wait_for(lambda: self.ctl("info").returncode == 0, 20, "pulseaudio")
        except BaseException:
            self.close()
            raise

    def ctl(self, *args):
        return subprocess.run(["pactl"] + list(args), env=self.ctl_env, capture_output=True,
                              text=True, timeout=20,
                              preexec_fn=demoter(self.user) if self.user else None)

    def close(self):
        kill(self.p)
        self.log.close()


@pytest.fixture
def user_pulse(workdir, test_user):
    """PulseAudio run by the test user, authenticating as a desktop session's
    does (same uid by SCM_CREDENTIALS, or the user's cookie)."""
    d = os.path.join(workdir, "upa")
    os.makedirs(d)
    s = Pulse(d, user=test_user, anonymous=False)
    yield s
    s.close()


@pytest.fixture
def pulse(workdir):
    d = os.path.join(workdir, "pa")
    os.makedirs(d)
    s = Pulse(d)
    yield s
    s.close()


@pytest.fixture
def tone(workdir):
    """A 2 s 44.1 kHz stereo tone, readable by the test user."""
    path = os.path.join(workdir, "tone.wav")
    subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", path, "synth", "2",
                    "sine", "440", "vol", "0.5"], check=True)
    os.chmod(path, 0o644)
    return path


class Xvfb:
    def __init__(self, d):
        self.dir = d
        self.xauth = os.path.join(d, "xauth")
        cookie = os.urandom(16).hex()
        # The server loads every cookie of the file at start whatever its
        # display number; the number is picked by the server (-displayfd, no
        # clash with other runs), so the clients' entry is added afterwards.
        subprocess.run(["xauth", "-f", self.xauth, "add", ":0", ".", cookie],
                       check=True, capture_output=True)
        rfd, wfd = os.pipe()
        self.log = open(os.path.join(d, "xvfb.log"), "w")
        self.p = subprocess.Popen(
            ["Xvfb", "-displayfd", str(wfd), "-auth", self.xauth, "-nolisten", "tcp",
             "-nolisten", "local", "-noreset", "-screen", "0", "640x480x24"],
            pass_fds=(wfd,), stdout=self.log, stderr=self.log, preexec_fn=die_with_parent)
        os.close(wfd)
        try:
            self._wait_ready(rfd, cookie)
        except BaseException:
            self.close()
            raise
        finally:
            os.close(rfd)

    def _wait_ready(self, rfd, cookie):
        got = b""
        # Read up to the newline: closing the pipe earlier kills the server
        # (it writes the number and the newline separately).
        while not got.endswith(b"\n"):
            r, _, _ = select.select([rfd], [], [], 60)
            assert r, "Xvfb did not report its display"
            chunk = os.read(rfd, 64)
            assert chunk, "Xvfb exited"
            got += chunk
        self.num = int(got.decode().strip())
        self.display = f":{self.num}"
        subprocess.run(["xauth", "-f", self.xauth, "add", self.display, ".", cookie],
                       check=True, capture_output=True)
        wait_for(lambda: self.run(["xdpyinfo"]).returncode == 0, 60, "Xvfb")

    def env(self):
        return {"PATH": "/usr/bin:/bin", "DISPLAY": self.display, "XAUTHORITY": self.xauth}

    def run(self, argv, **kw):
        return subprocess.run(argv, env=self.env(), capture_output=True, text=True,
                              timeout=kw.pop("timeout", 20), **kw)

    def close(self):
        kill(self.p)
        self.log.close()


@pytest.fixture
def xvfb(workdir, test_user):
    """An X server whose cookie file belongs to the test user, as a desktop
    session's would: the proxy reads it with that user's rights only."""
    d = os.path.join(workdir, "x")
    os.makedirs(d)
    x = Xvfb(d)
    os.chown(x.xauth, test_user.pw_uid, test_user.pw_gid)
    yield x
    x.close()


def demoter(user):
    def demote():
        os.setgroups([])
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)
    return demote


def user_env(user, extra):
    env = {"PATH": "/usr/bin:/bin", "HOME": user.pw_dir, "USER": user.pw_name,
           "LANG": "C.UTF-8"}
    env.update(extra)
    return env


def popen_as(user, argv, extra_env, **kw):
    """Starts argv as `user` with a clean environment plus extra_env."""
    return subprocess.Popen(argv, preexec_fn=demoter(user), env=user_env(user, extra_env),
                            **kw)


def run_as_user(user, argv, extra_env, timeout=30, **kw):
    return subprocess.run(argv, preexec_fn=demoter(user), env=user_env(user, extra_env),
                          capture_output=True, text=True, timeout=timeout, **kw)


def in_x_sandbox(user, sock, authfile, argv):
    """argv as a confined X client would run it: a private mount namespace
    whose /tmp/.X11-unix holds only the proxy's socket (as X0), DISPLAY=:0 and
    the sandbox's authority file; the host's sockets are hidden."""
    script = ('set -e; mount -t tmpfs -o mode=1777 pbx11 /tmp/.X11-unix; '
              ': > /tmp/.X11-unix/X0; mount --bind "$0" /tmp/.X11-unix/X0; '
              'U=$1; G=$2; A=$3; shift 3; '
              'exec setpriv --reuid="$U" --regid="$G" --clear-groups '
              'env -i PATH=/usr/bin:/bin HOME=/nonexistent DISPLAY=:0 XAUTHORITY="$A" "$@"')
    return ["unshare", "-m", "--propagation", "private", "sh", "-c", script, sock,
            str(user.pw_uid), str(user.pw_gid),
            authfile] + argv


class PipeWire:
    """dbus + pipewire + wireplumber + pipewire-pulse in a private runtime dir."""

    def __init__(self, d):
        self.dir = d
        run = os.path.join(d, "run")
        os.makedirs(run, mode=0o700)
        self.env_ = {"PATH": "/usr/bin:/bin", "HOME": d, "XDG_RUNTIME_DIR": run,
                     "DBUS_SESSION_BUS_ADDRESS": f"unix:path={run}/bus"}
        self.socket = os.path.join(run, "pulse", "native")
        self.log = open(os.path.join(d, "pw.log"), "w")
        self.procs = []
        try:
            self._start_all(run)
        except BaseException:
            self.close()
            raise

    def _start_all(self, run):
        self._start(["dbus-daemon", "--session", "--nofork", f"--address=unix:path={run}/bus"])
        wait_for(lambda: os.path.exists(os.path.join(run, "bus")), 10, "dbus")
        self._start(["pipewire"])
        wait_for(lambda: os.path.exists(os.path.join(run, "pipewire-0")), 10, "pipewire")
        self._start(["wireplumber"])
        self._start(["pipewire-pulse"])
        wait_for(lambda: self.ctl("info").returncode == 0, 20, "pipewire-pulse")
        r = self.ctl("load-module", "module-null-sink", "sink_name=nullpw")
        assert r.returncode == 0, r.stderr

    def _start(self, argv):
        self.procs.append(subprocess.Popen(argv, env=self.env_, stdout=self.log,
                                           stderr=self.log, preexec_fn=die_with_parent))

    def ctl(self, *args):
        return subprocess.run(["pactl"] + list(args),
                              env=dict(self.env_, PULSE_SERVER="unix:" + self.socket),
                              capture_output=True, text=True, timeout=20)

    def close(self):
        for p in reversed(self.procs):
            kill(p)
        self.log.close()


@pytest.fixture
def pipewire(workdir):
    d = os.path.join(workdir, "pw")
    os.makedirs(d)
    pw = PipeWire(d)
    yield pw
    pw.close()
