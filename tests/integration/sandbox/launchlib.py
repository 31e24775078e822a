# SPDX-License-Identifier: GPL-3.0-or-later
"""Run plugboard-launch directly (as root, no broker) with a spec: the way the
broker does it, fd 3 a socketpair carrying u32 length + JSON, reports back."""
import json
import os
import socket
import struct
import subprocess


def find_built(build, name):
    for root, _dirs, files in os.walk(build):
        if name in files:
            p = os.path.join(root, name)
            if os.access(p, os.X_OK):
                return p
    raise FileNotFoundError(name)


def make_spec(user, snap_source, argv, snap="hello", rev="x1", env=None, mounts=None,
              network=False, **extra):
    home = user.pw_dir
    base_env = {"PATH": f"/snap/{snap}/{rev}/bin:/snap/bin:/usr/bin:/bin", "HOME": home,
                "SNAP": f"/snap/{snap}/{rev}", "SNAP_NAME": snap, "LANG": "C.UTF-8"}
    base_env.update(env or {})
    spec = {"snap": snap, "revision": rev, "app": snap, "home": home,
            "uid": user.pw_uid, "gid": user.pw_gid, "groups": [user.pw_gid],
            "argv": argv, "env": [f"{k}={v}" for k, v in base_env.items()],
            "snap-source": snap_source, "make-user-dirs": True, "cwd": home,
            "network": network,
            "mounts": mounts if mounts is not None else
            [{"source": f"{home}/snap/{snap}", "target": f"{home}/snap/{snap}", "kind": "rw"}]}
    spec.update(extra)
    return spec


class Launch:
    """A running launcher; .reports collects its "pid"/"exit" lines."""

    def __init__(self, launcher, spec, stdin=None, stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE, raw=None):
        self.chan, theirs = socket.socketpair()
        data = raw if raw is not None else json.dumps(spec).encode()
        self.chan.sendall(struct.pack("=I", len(data)) + data)
        fd = theirs.fileno()
        self.proc = subprocess.Popen([launcher, "--spec-fd", str(fd)], stdin=stdin,
                                     stdout=stdout, stderr=stderr, pass_fds=(fd,))
        theirs.close()
        self.buf = b""

    def lines(self):
        self.chan.settimeout(30)
        while True:
            try:
                d = self.chan.recv(4096)
            except (socket.timeout, ConnectionResetError):
                break
            if not d:
                break
            self.buf += d
        return self.buf.decode().splitlines()

    def signal(self, sig):
        self.chan.sendall(f"signal {int(sig)}\n".encode())

    def wait(self, timeout=30, input=None):
        out, err = self.proc.communicate(input=input, timeout=timeout)
        reports = self.lines()
        self.chan.close()
        return self.proc.returncode, out, err, reports


def run(launcher, spec, timeout=30, input=None, **kw):
    l = Launch(launcher, spec, stdin=subprocess.PIPE if input is not None else None, **kw)
    return l.wait(timeout=timeout, input=input)
