# SPDX-License-Identifier: GPL-3.0-or-later
"""End to end through the real broker: `plugboard run` as the test user starts
a confined app whose PULSE_SERVER / DISPLAY are the portals' sockets, and
`plugboard connect/disconnect` drive the proxies live."""
import os
import re
import shutil
import select
import subprocess

import pytest

from conftest import binary, run_as

from .conftest import kill, wait_for

SNAP_YAML = """name: mediaapp
version: '1.0'
summary: plays, records and draws through the portals
description: test snap of tests/integration/portals
apps:
  sh:
    command: bin/sh-app
    plugs: [audio-playback, audio-record, x11]
"""



def sh_snap(workdir, name, yaml):
    """A snap directory whose app `sh` runs its arguments with /bin/sh -c."""
    d = os.path.join(workdir, name)
    os.makedirs(os.path.join(d, "meta"))
    os.makedirs(os.path.join(d, "bin"))
    with open(os.path.join(d, "meta", "snap.yaml"), "w") as f:
        f.write(yaml)
    with open(os.path.join(d, "bin", "sh-app"), "w") as f:
        f.write('#!/bin/sh\nexec /bin/sh -c "$@"\n')
    os.chmod(os.path.join(d, "bin", "sh-app"), 0o755)
    return d


@pytest.fixture
def app(broker, workdir, tone):
    d = sh_snap(workdir, "mediaapp", SNAP_YAML)
    shutil.copy(tone, os.path.join(d, "tone.wav"))
    os.chmod(os.path.join(d, "tone.wav"), 0o644)
    broker.install(d)
    return d


def run_env(broker, extra):
    e = {"PLUGBOARD_SOCKET": broker.socket,
         "PLUGBOARD_RUN_SOCKET": os.path.join(broker.workdir, "run.socket")}
    e.update(extra)
    return e


def prun(broker, user, script, extra_env, timeout=60):
    return run_as(user, [binary("plugboard"), "run", "mediaapp.sh", script],
                  env=run_env(broker, extra_env), capture_output=True, text=True,
                  timeout=timeout)


def ppopen(broker, user, script, extra_env, **kw):
    def demote():
        os.setgroups([])
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)
    env = {"PATH": "/usr/bin:/bin", "HOME": user.pw_dir, "LANG": "C.UTF-8"}
    env.update(run_env(broker, extra_env))
    return subprocess.Popen([binary("plugboard"), "run", "mediaapp.sh", script],
                            preexec_fn=demote, env=env, text=True, **kw)


def count(pulse, what):
    r = pulse.ctl("list", "short", what)
    assert r.returncode == 0, r.stderr
    return len([ln for ln in r.stdout.splitlines() if ln.strip()])


def connect(broker, plug, on):
    broker.cli(["connect" if on else "disconnect", f"mediaapp:{plug}"], check=True)


def test_audio_through_the_broker_with_live_record_revocation(broker, app, pulse, test_user):
    env = {"PULSE_SERVER": "unix:" + pulse.socket}
    connect(broker, "audio-playback", True)
    r = prun(broker, test_user, 'paplay "$SNAP/tone.wav" && echo played', env)
    assert r.returncode == 0 and "played" in r.stdout, r.stderr
    r = prun(broker, test_user, "parec --device=null.monitor >/dev/null", env)
    assert r.returncode != 0 and "Access denied" in r.stderr, r.stderr
    connect(broker, "audio-record", True)
    # The app says "live" once parec has recorded data: only then is the
    # stream live on the client's side too (a revoke before its CREATE reply
    # reached parec is answered "Access denied", not "Entity killed"). fd 3
    # holds the FIFO open, so parec never writes into a reader-less pipe.
    rec = ppopen(broker, test_user,
                 "mkfifo /tmp/rec && exec 3<>/tmp/rec && "
                 "{ parec --latency-msec=50 --device=null.monitor >/tmp/rec & p=$!; "
                 "head -c 1 <&3 >/dev/null && echo live >&2; cat <&3 >/dev/null & wait $p; }",
                 env, stderr=subprocess.PIPE)
    try:
        line = None
        while line != "live":  # parec may warn first (no cookie file)
            ready, _, _ = select.select([rec.stderr], [], [], 20)
            assert ready, "parec recorded nothing"
            line = rec.stderr.readline()
            assert line, "the app ended before recording"
            line = line.strip()
        wait_for(lambda: count(pulse, "source-outputs") == 1, 20, "recording upstream")
        connect(broker, "audio-record", False)
        # The CLI returned: the recording is already dead upstream.
        assert count(pulse, "source-outputs") == 0
        assert rec.wait(20) != 0
        assert "Entity killed" in rec.stderr.read()
    finally:
        kill(rec)
        rec.stderr.close()
    # Playback revoked: the app cannot even connect.
    connect(broker, "audio-playback", False)
    r = prun(broker, test_user, 'paplay "$SNAP/tone.wav"', env)
    assert r.returncode != 0


def unix_peers():
    """{socket inode: (peer inode, pids holding it)} from `ss -xpn`."""
    out = subprocess.run(["ss", "-xpnH"], capture_output=True, text=True, check=True).stdout
    peers = {}
    for line in out.splitlines():
        m = re.match(r"u_str\s+\S+\s+\d+\s+\d+\s+\S+\s+(\d+)\s+\S+\s+(\d+)(.*)", line)
        if m:
            pids = {int(p) for p in re.findall(r"pid=(\d+)", m.group(3))}
            peers[int(m.group(1))] = (int(m.group(2)), pids)
    return peers


def x_peers_of(user, name, xvfb_pid):
    """For each socket of the user's processes called name whose peer is
    visible here (the host's network namespace, where the broker and the X
    server live): whether that peer is held by this test's X server itself (a
    direct connection) rather than by the broker (the proxy). Other tests'
    processes of the same name have no socket to this X server."""
    r = subprocess.run(["pgrep", "-u", str(user.pw_uid), "-x", name], capture_output=True,
                       text=True)
    mine = set()
    for pid in r.stdout.split():
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                m = re.match(r"socket:\[(\d+)\]", os.readlink(f"/proc/{pid}/fd/{fd}"))
                if m:
                    mine.add(int(m.group(1)))
        except FileNotFoundError:
            continue  # gone meanwhile
    return [xvfb_pid in pids for peer, pids in unix_peers().values() if peer in mine]


def test_x11_through_the_broker_untrusted_and_revocable(broker, app, xvfb, test_user):
    env = {"DISPLAY": xvfb.display, "XAUTHORITY": xvfb.xauth}
    connect(broker, "x11", True)
    r = prun(broker, test_user, "xdpyinfo -queryExtensions", env)
    assert r.returncode == 0, r.stderr
    assert int(re.search(r"number of extensions:\s+(\d+)", r.stdout).group(1)) == 2
    app_ = ppopen(broker, test_user, "exec xlogo", env, stderr=subprocess.PIPE)
    try:
        def proxied():
            r = xvfb.run(["xwininfo", "-root", "-tree"])
            return "xlogo" in r.stdout
        wait_for(proxied, 20, "the confined xlogo on the display")
        # The broker handed the client a socket connected to the X server
        # itself (seccomp connect notification): no proxy in between.
        assert True in x_peers_of(test_user, "xlogo", xvfb.p.pid)
        connect(broker, "x11", False)
        assert app_.wait(20) != 0
    finally:
        kill(app_)
        app_.stderr.close()
    r = prun(broker, test_user, "xdpyinfo", env)
    assert r.returncode != 0
    connect(broker, "x11", True)
    r = prun(broker, test_user, "xdpyinfo", env)
    assert r.returncode == 0, r.stderr


DIRECT_PROBE = r'''
import ctypes, fcntl, os, socket, struct
libc = ctypes.CDLL(None, use_errno=True)
junk = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
big = ctypes.create_string_buffer(4096)
errs = []
for addr, n in ((ctypes.c_void_p(1), 110), (big, 0), (big, 4096)):
    errs.append(libc.connect(junk.fileno(), addr, n) == -1 and ctypes.get_errno())
print("garbage", *errs)

def xauth_cookie(path):
    data = open(path, "rb").read()
    pos, fields = 2, []
    for _ in range(4):
        (n,) = struct.unpack(">H", data[pos:pos + 2])
        fields.append(data[pos + 2:pos + 2 + n])
        pos += 2 + n
    return fields[2], fields[3]

def pad(b):
    return b + b"\0" * (-len(b) % 4)

keep = []
import threading
def in_thread():  # a thread other than the main one connects
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect("/tmp/.X11-unix/X0")
    keep.append(s)
t = threading.Thread(target=in_thread)
t.start()
t.join()
for extra in (socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC, 0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | extra)
    s.set_inheritable(not extra)  # Python sockets are close-on-exec by default
    s.connect("/tmp/.X11-unix/X0")
    nb = bool(fcntl.fcntl(s.fileno(), fcntl.F_GETFL) & os.O_NONBLOCK)
    ce = bool(fcntl.fcntl(s.fileno(), fcntl.F_GETFD) & fcntl.FD_CLOEXEC)
    s.setblocking(True)
    name, cookie = xauth_cookie(os.environ["XAUTHORITY"])
    s.sendall(struct.pack("<cxHHHHxx", b"l", 11, 0, len(name), len(cookie)) +
              pad(name) + pad(cookie))
    print("socket", int(nb), int(ce), "setup", s.recv(1)[0])
    keep.append(s)
print("ready", flush=True)
import sys
sys.stdin.read()
'''


def test_x11_direct_socket_keeps_the_app_flags_and_garbage_connects_are_harmless(
        broker, app, xvfb, test_user):
    env = {"DISPLAY": xvfb.display, "XAUTHORITY": xvfb.xauth}
    connect(broker, "x11", True)
    p = ppopen(broker, test_user, f"python3 -c '{DIRECT_PROBE}'", env,
               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        out = ""
        while "ready" not in out:
            line = p.stdout.readline()
            assert line, f"the probe ended early: {out}"
            out += line
        # The kernel's own answers to bad addresses: EFAULT, EINVAL, EINVAL.
        assert "garbage 14 22 22" in out
        # Handed over with the app's O_NONBLOCK and close-on-exec, and the
        # server accepts the sandbox's cookie itself (1 = Success).
        assert "socket 1 1 setup 1" in out
        assert "socket 0 0 setup 1" in out
        assert x_peers_of(test_user, "python3", xvfb.p.pid).count(True) == 3
        p.stdin.close()
        assert p.wait(20) == 0
    finally:
        kill(p)
        p.stdout.close()
    # The broker is still there for the next app, which still reaches its
    # other sockets (plugctl's control socket) through the same filter.
    r = prun(broker, test_user, "plugctl is-connected x11 && xdpyinfo >/dev/null", env)
    assert r.returncode == 0, r.stderr


XAUTH_SNAP_YAML = """name: xauthapp
version: '1.0'
summary: may read the user's own X authority file
description: test snap of tests/integration/portals
plugs:
  xauth:
    interface: system-files
    read: [{path}]
apps:
  sh:
    command: bin/sh-app
    plugs: [x11, xauth]
"""


def confined_xlogo_path(broker, user, env, xvfb):
    """How a confined xlogo reaches the X server: "direct" (its own socket's
    peer is held by Xvfb) or "proxied" (the broker holds a connection to Xvfb
    for it; the client's socket lives in the sandbox's network namespace,
    out of ss's sight here)."""
    p = subprocess.Popen([binary("plugboard"), "run", "xauthapp.sh", "exec xlogo"],
                         preexec_fn=lambda: (os.setgroups([]), os.setgid(user.pw_gid),
                                             os.setuid(user.pw_uid)),
                         env={"PATH": "/usr/bin:/bin", "HOME": user.pw_dir,
                              **run_env(broker, env)},
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: "xlogo" in xvfb.run(["xwininfo", "-root", "-tree"]).stdout, 20,
                 "the confined xlogo on the display")
        if any(x_peers_of(user, "xlogo", xvfb.p.pid)):
            return "direct"
        peers = unix_peers()
        upstream = [ino for ino, (peer, pids) in peers.items()
                    if broker.proc.pid in pids and peer in peers
                    and xvfb.p.pid in peers[peer][1]]
        return "proxied" if upstream else None
    finally:
        kill(p)


def test_x11_clients_of_a_snap_that_may_read_the_user_cookie_are_proxied(
        broker, workdir, xvfb, test_user):
    broker.install(sh_snap(workdir, "xauthapp", XAUTH_SNAP_YAML.format(path=xvfb.xauth)))
    env = {"DISPLAY": xvfb.display, "XAUTHORITY": xvfb.xauth}
    broker.cli(["connect", "xauthapp:x11"], check=True)
    broker.cli(["connect", "xauthapp:xauth"], check=True)
    # The user's own (trusted) cookie is readable in the sandbox, but a
    # client presenting it meets the portal, which takes only the sandbox's.
    r = run_as(test_user, [binary("plugboard"), "run", "xauthapp.sh",
                           f"test -r {xvfb.xauth} && XAUTHORITY={xvfb.xauth} xdpyinfo"],
               env=run_env(broker, env), capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "Invalid MIT-MAGIC-COOKIE-1 key" in r.stderr, r.stderr
    # So the snap's X clients go through the proxy, not to the server.
    assert confined_xlogo_path(broker, test_user, env, xvfb) == "proxied"
    # Without that grant they are handed direct sockets again (decided at
    # each connect, from the current grants).
    broker.cli(["disconnect", "xauthapp:xauth"], check=True)
    assert confined_xlogo_path(broker, test_user, env, xvfb) == "direct"


HOME_SNAP_YAML = """name: homeapp
version: '1.0'
summary: an X11 app with home access
description: test snap of tests/integration/portals
apps:
  sh:
    command: bin/sh-app
    plugs: [x11, home]
"""


def test_x11_disconnect_cuts_a_direct_client_that_used_a_copied_user_cookie(
        broker, workdir, xvfb, test_user):
    """The known limit of direct sockets: a copy of the user's trusted cookie
    where the snap may read it passes at the server. Such a client does not
    use the revoked authorization; the disconnect must end it anyway."""
    broker.install(sh_snap(workdir, "homeapp", HOME_SNAP_YAML))
    for plug in ("x11", "home"):
        broker.cli(["connect", f"homeapp:{plug}"])  # may be auto-connected already
    copy = os.path.join(test_user.pw_dir, "copied-xauthority")
    shutil.copy(xvfb.xauth, copy)
    os.chown(copy, test_user.pw_uid, test_user.pw_gid)
    env = {"DISPLAY": xvfb.display, "XAUTHORITY": xvfb.xauth}
    try:
        p = subprocess.Popen(
            [binary("plugboard"), "run", "homeapp.sh", f"XAUTHORITY={copy} exec xlogo"],
            preexec_fn=lambda: (os.setgroups([]), os.setgid(test_user.pw_gid),
                                os.setuid(test_user.pw_uid)),
            env={"PATH": "/usr/bin:/bin", "HOME": test_user.pw_dir, **run_env(broker, env)},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_for(lambda: "xlogo" in xvfb.run(["xwininfo", "-root", "-tree"]).stdout, 20,
                     "the confined xlogo on the display")
            assert any(x_peers_of(test_user, "xlogo", xvfb.p.pid)), "expected a direct socket"
            broker.cli(["disconnect", "homeapp:x11"], check=True)
            assert p.wait(20) != 0
            assert "xlogo" not in xvfb.run(["xwininfo", "-root", "-tree"]).stdout
        finally:
            kill(p)
            p.stderr.close()
    finally:
        os.unlink(copy)


# In-sandbox helpers of the probes below: x() connects to the display,
# again() reports whether a connect succeeds once the broker has forgotten
# closed sockets (it does so at most every 100 ms).
X_CONNECT = r'''
import os, socket, time
def x():
    s = socket.socket(socket.AF_UNIX)
    s.connect("/tmp/.X11-unix/X0")
    return s
def again():
    deadline = time.monotonic() + 10
    while True:
        try:
            x()
            print("again ok")
            return
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                print("again refused")
                return
            time.sleep(0.02)
'''
CAP_PROBE = X_CONNECT + r'''
socks, refused = [], 0
for i in range(40):
    try:
        socks.append(x())
    except ConnectionRefusedError:
        refused += 1
print("held", len(socks), "refused", refused)
for s in socks[:10]:
    s.close()
again()
'''


def test_x11_direct_connections_are_capped_per_sandbox(broker, app, xvfb, test_user):
    """One sandbox cannot take all of the X server's client slots: 32 direct
    connections at once, as the proxy; closed ones make room again."""
    env = {"DISPLAY": xvfb.display, "XAUTHORITY": xvfb.xauth}
    connect(broker, "x11", True)
    r = prun(broker, test_user, f"python3 -c '{CAP_PROBE}'", env)
    assert r.returncode == 0, r.stderr
    assert "held 32 refused 8" in r.stdout, r.stdout
    assert "again ok" in r.stdout, r.stdout


NET_SNAP_YAML = """name: netapp
version: '1.0'
summary: an X11 app in the host's network namespace
description: test snap of tests/integration/portals
apps:
  sh:
    command: bin/sh-app
    plugs: [x11, network]
"""


def test_x11_loss_revokes_the_cookie_of_a_sandbox_in_the_host_network_namespace(
        broker, workdir, xvfb, test_user):
    """Sharing the host's network namespace, a sandbox might reach the X server
    around the portal (TCP, an abstract socket) with the cookie it holds:
    losing x11 revokes that cookie at the server."""
    broker.install(sh_snap(workdir, "netapp", NET_SNAP_YAML))
    for plug in ("x11", "network"):
        broker.cli(["connect", f"netapp:{plug}"])  # may be auto-connected already
    env = {"DISPLAY": xvfb.display, "XAUTHORITY": xvfb.xauth}
    p = subprocess.Popen([binary("plugboard"), "run", "netapp.sh",
                          'od -An -v -tx1 "$XAUTHORITY"; echo end; exec sleep 600'],
                         preexec_fn=lambda: (os.setgroups([]), os.setgid(test_user.pw_gid),
                                             os.setuid(test_user.pw_uid)),
                         env={"PATH": "/usr/bin:/bin", "HOME": test_user.pw_dir,
                              **run_env(broker, env)},
                         stdout=subprocess.PIPE, text=True)
    try:
        hexdump = ""
        for line in p.stdout:
            if line.strip() == "end":
                break
            hexdump += line
        data = bytes.fromhex("".join(hexdump.split()))
        cookie = data[-16:]  # the entry ends with the 16-byte cookie
        host_auth = os.path.join(workdir, "netapp.xauth")
        subprocess.run(["xauth", "-f", host_auth, "add", xvfb.display, ".", cookie.hex()],
                       check=True, capture_output=True)
        os.chown(host_auth, test_user.pw_uid, test_user.pw_gid)
        outside = {"DISPLAY": xvfb.display, "XAUTHORITY": host_auth}
        r = run_as(test_user, ["xdpyinfo", "-queryExtensions"], env=outside,
                   capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        assert int(re.search(r"number of extensions:\s+(\d+)", r.stdout).group(1)) == 2
        broker.cli(["disconnect", "netapp:x11"], check=True)
        r = run_as(test_user, ["xdpyinfo"], env=outside, capture_output=True, text=True,
                   timeout=30)
        assert r.returncode != 0
    finally:
        kill(p)
        p.stdout.close()


FORK_PROBE = X_CONNECT + r'''
shared = [x() for _ in range(20)]
r, w = os.pipe()
child = os.fork()
if child == 0:  # holds the same 20 sockets until the parent is done
    os.close(w)
    os.read(r, 1)
    os._exit(0)
more = [x() for _ in range(12)]
try:
    x()
    print("33rd ok")
except ConnectionRefusedError:
    print("33rd refused")
for s in more:
    s.close()
again()
os.close(w)
os.waitpid(child, 0)
'''


def test_x11_direct_socket_held_by_two_processes_counts_once(broker, app, xvfb, test_user):
    """20 sockets shared with a forked child are 20 against the cap of 32,
    not 40: after 12 more are closed, a new connect gets in."""
    env = {"DISPLAY": xvfb.display, "XAUTHORITY": xvfb.xauth}
    connect(broker, "x11", True)
    r = prun(broker, test_user, f"python3 -c '{FORK_PROBE}'", env)
    assert r.returncode == 0, r.stderr
    assert "33rd refused" in r.stdout, r.stdout
    assert "again ok" in r.stdout, r.stdout
