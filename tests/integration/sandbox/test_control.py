# SPDX-License-Identifier: GPL-3.0-or-later
"""The per-sandbox control socket, driven by plugctl and by Debian's real
snapctl (SNAPD-COMPAT §1b, §1d), served by pb-control-serve (the real server
code without a broker). Clients run as the unprivileged test user."""
import os
import socket
import subprocess

import pytest

from conftest import build_dir, run_as
from . import launchlib


@pytest.fixture
def control(workdir, test_user):
    root = os.path.join(workdir, "root")
    os.makedirs(os.path.join(root, "run"))
    os.chmod(root, 0o755)
    os.chmod(os.path.join(root, "run"), 0o755)
    sock = os.path.join(root, "run", "snapd-snap.socket")
    p = subprocess.Popen([launchlib.find_built(build_dir(), "pb-control-serve"), sock,
                          str(test_user.pw_uid), str(test_user.pw_gid), "camera=1",
                          "removable-media=0", "home=0", "audio:slot:pulseaudio=1"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline() == "ready\n"

    class C:
        pass
    c = C()
    c.root, c.sock, c.proc = root, sock, p

    def set_(name, on):
        p.stdin.write(f"set {name} {int(on)}\n")
        p.stdin.flush()
        assert p.stdout.readline() == "ok\n"
    c.set = set_
    yield c
    p.stdin.close()
    p.wait(timeout=10)


def client(control, user, tool, args, timeout=20, **kw):
    exe = "/usr/bin/snapctl" if tool == "snapctl" else launchlib.find_built(build_dir(), "plugctl")
    env = {"SNAPPY_GLOBAL_ROOT": control.root, "SNAP_COOKIE": "cookie-from-client"}
    return run_as(user, [exe] + args, env=env, capture_output=True, text=True,
                  timeout=timeout, **kw)


@pytest.mark.parametrize("tool", ["plugctl", "snapctl"])
def test_is_connected_exit_codes(control, test_user, tool):
    r = client(control, test_user, tool, ["is-connected", "camera"])
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    r = client(control, test_user, tool, ["is-connected", "removable-media"])
    assert (r.returncode, r.stdout, r.stderr) == (1, "", "")
    r = client(control, test_user, tool, ["is-connected", "nope"])
    assert r.returncode == 1
    assert r.stderr == ('error: error running snapctl: snap "ctl-snap" has no plug or slot '
                        'named "nope"\n')
    r = client(control, test_user, tool, ["is-connected"])
    assert r.returncode == 1
    assert r.stderr == ("error: error running snapctl: must specify either a plug/slot name "
                        "or --list\n")
    r = client(control, test_user, tool, ["is-connected", "--list"])
    assert (r.returncode, r.stdout) == (0, "audio\ncamera\n")


@pytest.mark.parametrize("tool", ["plugctl", "snapctl"])
def test_answers_follow_connections_live(control, test_user, tool):
    assert client(control, test_user, tool, ["is-connected", "home"]).returncode == 1
    control.set("home", True)
    assert client(control, test_user, tool, ["is-connected", "home"]).returncode == 0
    control.set("home", False)
    assert client(control, test_user, tool, ["is-connected", "home"]).returncode == 1


def test_context_id_is_ignored_identity_is_the_socket(control, test_user, workdir):
    """A client claiming another snap's cookie still gets answers about the
    snap of the socket it connected to."""
    body = b'{"context-id":"another-snaps-cookie","args":["is-connected","--list"]}'
    s = socket.socket(socket.AF_UNIX)
    s.connect(control.sock)
    s.sendall(b"POST /v2/snapctl HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body) + body)
    data = b""
    while chunk := s.recv(4096):
        data += chunk
    s.close()
    assert b'"stdout":"audio\\ncamera\\n"' in data


def test_wait_blocks_until_connected(control, test_user):
    exe = launchlib.find_built(build_dir(), "plugctl")

    def demote():
        os.setgroups([])
        os.setgid(test_user.pw_gid)
        os.setuid(test_user.pw_uid)
    p = subprocess.Popen([exe, "wait", "removable-media", "--timeout", "30"],
                         env={"SNAPPY_GLOBAL_ROOT": control.root}, preexec_fn=demote,
                         stderr=subprocess.PIPE, text=True)
    with pytest.raises(subprocess.TimeoutExpired):
        p.wait(timeout=0.5)  # still blocked: nothing connected it
    control.set("removable-media", True)
    assert p.wait(timeout=10) == 0


def test_wait_timeout_and_unknown(control, test_user):
    r = client(control, test_user, "plugctl", ["wait", "home", "--timeout", "0.3"])
    assert r.returncode == 1 and "timed out" in r.stderr
    r = client(control, test_user, "plugctl", ["wait", "nope", "--timeout", "5"])
    assert r.returncode == 1 and 'no plug or slot named "nope"' in r.stderr
    r = client(control, test_user, "plugctl", ["wait", "camera"])
    assert r.returncode == 0


def test_garbage_never_kills_the_server(control, test_user):
    for junk in (b"\x00\xff" * 3000, b"GET / HTTP/1.1\r\n" + b"X: " + b"a" * 70000 + b"\r\n\r\n",
                 b"POST /v2/snapctl HTTP/1.1\r\nContent-Length: 200000\r\n\r\n" + b"{" * 200000,
                 b"POST /v2/snapctl HTTP/1.1\r\nContent-Length: 9\r\n\r\n{\"args\":1",
                 b'POST /v2/snapctl HTTP/1.1\r\nContent-Length: 12\r\n\r\n{"args":[1]}'):
        s = socket.socket(socket.AF_UNIX)
        s.connect(control.sock)
        try:
            s.sendall(junk)
            s.shutdown(socket.SHUT_WR)
            s.settimeout(10)
            while s.recv(65536):
                pass
        except OSError:
            pass
        s.close()
    assert control.proc.poll() is None
    assert client(control, test_user, "plugctl", ["is-connected", "camera"]).returncode == 0


def test_socket_is_private_to_the_user(control, test_user):
    st = os.stat(control.sock)
    assert st.st_uid == test_user.pw_uid and (st.st_mode & 0o777) == 0o600
