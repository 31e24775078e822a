# SPDX-License-Identifier: GPL-3.0-or-later
"""The X11 portal against a real Xvfb (cookie auth, no abstract socket, no
reset); clients run as the unprivileged test user in a private mount
namespace whose /tmp/.X11-unix holds only the proxy's socket."""
import os
import re
import socket
import struct
import subprocess

import pytest

from .conftest import in_x_sandbox, kill, popen_as, run_as_user, wait_for


def start_proxy(harness, xvfb, workdir, user, grants, *extra):
    sock = os.path.join(workdir, "sandbox-X0")
    auth = os.path.join(workdir, "sandbox.xauth")
    h = harness("--x11", sock, xvfb.display, xvfb.xauth, auth,
                "--owner", f"{user.pw_uid}:{user.pw_gid}", "--grants", grants, *extra)
    return h, sock, auth


def sandboxed(user, sock, auth, argv, timeout=30):
    return subprocess.run(in_x_sandbox(user, sock, auth, argv), capture_output=True, text=True,
                          timeout=timeout)


def n_extensions(out):
    m = re.search(r"number of extensions:\s+(\d+)", out)
    assert m, out
    return int(m.group(1))


def test_untrusted_client_sees_two_extensions(harness, xvfb, workdir, test_user):
    h, sock, auth = start_proxy(harness, xvfb, workdir, test_user, "x11")
    r = sandboxed(test_user, sock, auth, ["xdpyinfo", "-queryExtensions"])
    assert r.returncode == 0, r.stderr
    assert n_extensions(r.stdout) == 2
    direct = xvfb.run(["xdpyinfo", "-queryExtensions"])
    assert n_extensions(direct.stdout) > 10


def test_trusted_opt_out_sees_all_extensions(harness, xvfb, workdir, test_user):
    h, sock, auth = start_proxy(harness, xvfb, workdir, test_user, "x11", "--trusted")
    r = sandboxed(test_user, sock, auth, ["xdpyinfo", "-queryExtensions"])
    assert r.returncode == 0, r.stderr
    assert n_extensions(r.stdout) > 10


def test_untrusted_client_cannot_read_other_windows_or_the_root(harness, xvfb, workdir,
                                                                 test_user):
    h, sock, auth = start_proxy(harness, xvfb, workdir, test_user, "x11")
    logo = subprocess.Popen(["xlogo", "-name", "pbvictim"], env=xvfb.env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def victim():
            r = xvfb.run(["xwininfo", "-name", "pbvictim"])
            m = re.search(r"Window id: (0x[0-9a-f]+)", r.stdout)
            return m.group(1) if m else None
        wid = wait_for(victim, 15, "the trusted client's window")
        # The trusted client can read it: the test can fail.
        assert xvfb.run(["xwd", "-silent", "-out", "/dev/null", "-id", wid]).returncode == 0
        r = sandboxed(test_user, sock, auth, ["xwd", "-silent", "-out", "/dev/null", "-id", wid])
        assert r.returncode != 0
        r = sandboxed(test_user, sock, auth, ["xwd", "-silent", "-out", "/dev/null", "-root"])
        assert r.returncode != 0
        # Input injection is unavailable too.
        r = sandboxed(test_user, sock, auth, ["xdotool", "key", "a"])
        assert r.returncode != 0 or "XTEST" in r.stderr
    finally:
        kill(logo)


def sandbox_cookie_at_the_server(auth, xvfb, workdir, user):
    """An authority file for the real display holding the sandbox's cookie:
    what a confined client presents when it is handed a direct socket."""
    data = open(auth, "rb").read()
    pos, fields = 2, []
    for _ in range(4):
        (n,) = struct.unpack(">H", data[pos:pos + 2])
        fields.append(data[pos + 2:pos + 2 + n])
        pos += 2 + n
    path = os.path.join(workdir, "direct.xauth")
    if os.path.exists(path):
        os.unlink(path)
    subprocess.run(["xauth", "-f", path, "add", xvfb.display, ".", fields[3].hex()],
                   check=True, capture_output=True)
    os.chown(path, user.pw_uid, user.pw_gid)
    return {"DISPLAY": xvfb.display, "XAUTHORITY": path}


def test_the_sandbox_cookie_is_untrusted_at_the_real_server_and_dies_with_x11(
        harness, xvfb, workdir, test_user):
    h, sock, auth = start_proxy(harness, xvfb, workdir, test_user, "x11")
    env = sandbox_cookie_at_the_server(auth, xvfb, workdir, test_user)
    r = run_as_user(test_user, ["xdpyinfo", "-queryExtensions"], env)
    assert r.returncode == 0, r.stderr
    assert n_extensions(r.stdout) == 2  # untrusted, by the server itself
    client = popen_as(test_user, ["xlogo"], env, stdout=subprocess.DEVNULL,
                      stderr=subprocess.PIPE)
    try:
        wait_for(lambda: "xlogo" in xvfb.run(["xwininfo", "-root", "-tree"]).stdout, 15,
                 "xlogo on the display")
        h.publish("none")
        # The server closed the client that used the revoked cookie before
        # publish returned, and refuses the cookie from now on.
        assert client.wait(10) != 0
        assert run_as_user(test_user, ["xdpyinfo"], env).returncode != 0
    finally:
        kill(client)
        client.stderr.close()
    # Connected again: a new cookie in the same file; the old one stays dead.
    h.publish("x11")
    assert run_as_user(test_user, ["xdpyinfo"], env).returncode != 0
    env = sandbox_cookie_at_the_server(auth, xvfb, workdir, test_user)
    r = run_as_user(test_user, ["xdpyinfo"], env)
    assert r.returncode == 0, r.stderr


def test_revoking_x11_breaks_the_connection_and_reconnecting_lets_a_new_client_in(
        harness, xvfb, workdir, test_user):
    h, sock, auth = start_proxy(harness, xvfb, workdir, test_user, "x11")
    client = subprocess.Popen(in_x_sandbox(test_user, sock, auth, ["xlogo"]),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: h.conns()[1] == 1, 15, "proxied client")
        h.publish("none")
        assert h.conns()[1] == 0
        assert client.wait(10) != 0
        assert sandboxed(test_user, sock, auth, ["xdpyinfo"]).returncode != 0
        h.publish("x11")
        r = sandboxed(test_user, sock, auth, ["xdpyinfo"])
        assert r.returncode == 0, r.stderr
    finally:
        kill(client)
        client.stderr.close()


def raw(sock):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    s.settimeout(5)
    return s


def setup_request(name, data, order=b"l"):
    fmt = "<" if order == b"l" else ">"
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return order + b"\0" + struct.pack(fmt + "HHHH", 11, 0, len(name), len(data)) + b"\0\0" + \
        pad(name) + pad(data)


def read_all(s):
    out = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return out, True
            out += d
    except ConnectionResetError:  # closed with unread data: also closed
        return out, True
    except socket.timeout:
        return out, False


@pytest.mark.parametrize("order", [b"l", b"B"])
def test_bad_cookie_is_refused_and_a_good_client_is_unharmed(harness, xvfb, workdir, test_user,
                                                             order):
    h, sock, auth = start_proxy(harness, xvfb, workdir, test_user, "x11")
    good = subprocess.Popen(in_x_sandbox(test_user, sock, auth, ["xlogo"]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: h.conns()[1] == 1, 15, "good client")
        s = raw(sock)
        s.sendall(setup_request(b"MIT-MAGIC-COOKIE-1", os.urandom(16), order))
        out, closed = read_all(s)
        assert closed and out[:1] == b"\0" and b"Invalid" in out  # a Failed setup reply
        s.close()
        assert good.poll() is None and h.conns()[1] == 1
    finally:
        kill(good)
        good.stderr.close()


@pytest.mark.parametrize("bad", [
    os.urandom(64).replace(b"l", b"x").replace(b"B", b"x"),
    b"l\0" + struct.pack("<HHHH", 11, 0, 4000, 4000) + b"\0\0",  # oversize auth fields
    b"B\0" + struct.pack(">HHHH", 11, 0, 60000, 16) + b"\0\0" + b"A" * 600,
])
def test_garbage_setups_are_closed(harness, xvfb, workdir, test_user, bad):
    h, sock, auth = start_proxy(harness, xvfb, workdir, test_user, "x11")
    s = raw(sock)
    try:
        s.sendall(bad)
    except (BrokenPipeError, ConnectionResetError):
        pass
    out, closed = read_all(s)
    assert closed
    s.close()
    r = sandboxed(test_user, sock, auth, ["xdpyinfo"])
    assert r.returncode == 0, r.stderr


def test_connections_are_capped(harness, xvfb, workdir, test_user):
    h, sock, auth = start_proxy(harness, xvfb, workdir, test_user, "x11", "--max-conns", "4")
    held = [raw(sock) for _ in range(200)]
    try:
        wait_for(lambda: h.conns()[1] == 4, 10, "4 held connections")
        # At the cap a real client is refused...
        assert sandboxed(test_user, sock, auth, ["xdpyinfo"]).returncode != 0
    finally:
        for s in held:
            s.close()
    wait_for(lambda: h.conns()[1] == 0, 10, "released")
    # ... and gets in once the flood is gone.
    r = sandboxed(test_user, sock, auth, ["xdpyinfo"])
    assert r.returncode == 0, r.stderr


def test_successive_clients_share_the_upstream_authorization(harness, xvfb, workdir, test_user):
    """The generated authorization's timer starts whenever its last client
    leaves (a timeout of 0 is a 0 ms timer there, which dropped the cookie
    in a benchmark run); clients one after the other must all get in."""
    h, sock, auth = start_proxy(harness, xvfb, workdir, test_user, "x11")
    for _ in range(3):
        r = sandboxed(test_user, sock, auth, ["xdpyinfo"])
        assert r.returncode == 0, r.stderr


def sandbox_cookie(authfile):
    """The cookie of the sandbox's authority file (one FamilyWild entry)."""
    data = open(authfile, "rb").read()
    return data[-16:]


def test_a_client_that_never_reads_does_not_block_others(harness, xvfb, workdir, test_user):
    """A flood of requests whose replies are never read: the proxy's buffer
    towards that client fills, it stops reading from its upstream, and other
    clients of the same proxy are unaffected."""
    h, sock, auth = start_proxy(harness, xvfb, workdir, test_user, "x11")
    s = raw(sock)
    s.sendall(setup_request(b"MIT-MAGIC-COOKIE-1", sandbox_cookie(auth)))
    s.settimeout(5)
    reply = s.recv(8)
    assert reply[:1] == b"\x01", reply  # setup accepted
    s.setblocking(False)
    flood = struct.pack("<BBH", 43, 0, 1) * 65536  # GetInputFocus, 32 bytes of reply each
    sent = 0
    try:
        while sent < len(flood):
            sent += s.send(flood[sent:])
    except BlockingIOError:
        pass
    assert sent > 0
    r = sandboxed(test_user, sock, auth, ["xdpyinfo"])
    assert r.returncode == 0, r.stderr
    assert h.conns()[1] == 1
    s.close()
