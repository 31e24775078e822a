# SPDX-License-Identifier: GPL-3.0-or-later
"""`plugboard run` through the real broker: example snaps run as the
unprivileged test user, plugctl and Debian's snapctl inside, signals, exit
status, pipes, terminals, and device revocation by killing the holder."""
import os
import shutil
import signal
import subprocess
import time

import pytest

from conftest import REPO, binary, build_dir, run_as
from . import launchlib



@pytest.fixture
def snaps(broker, workdir):
    """The probe and media-check examples, installed."""
    d = os.path.join(workdir, "snaps")
    os.makedirs(d)
    for name in ("probe", "media-check"):
        shutil.copytree(os.path.join(REPO, "examples", name), os.path.join(d, name))
    shutil.copy(launchlib.find_built(build_dir(), "pb-probe"),
                os.path.join(d, "probe", "bin", "pb-probe"))
    for name in ("probe", "media-check"):
        broker.install(os.path.join(d, name))
    return d


def env_of(broker):
    return {"PLUGBOARD_SOCKET": broker.socket,
            "PLUGBOARD_RUN_SOCKET": os.path.join(broker.workdir, "run.socket")}


def prun(broker, user, args, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 30)
    return run_as(user, [binary("plugboard"), "run"] + list(args), env=env_of(broker), **kw)


def ppopen(broker, user, args, **kw):
    def demote():
        os.setgroups([])
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)
    env = {"PATH": "/usr/bin:/bin", "HOME": user.pw_dir, "LANG": "C.UTF-8"}
    env.update(env_of(broker))
    return subprocess.Popen([binary("plugboard"), "run"] + list(args), preexec_fn=demote,
                            env=env, text=True, **kw)


def test_exit_status_args_and_environment(broker, snaps, test_user):
    r = prun(broker, test_user, ["probe", "argv", "-x", "--help", "--", "a b"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["arg[0]=-x", "arg[1]=--help", "arg[2]=--", "arg[3]=a b"]
    assert prun(broker, test_user, ["probe.sh", "exit 7"]).returncode == 7
    assert prun(broker, test_user, ["probe.sh", "kill -TERM $$"]).returncode == 128 + 15
    r = prun(broker, test_user, ["probe.sh", 'id -u; echo "$SNAP|$SNAP_NAME|$SNAP_REVISION|'
                                 '$HOME|$SNAP_USER_DATA|$XDG_RUNTIME_DIR"; '
                                 'test -n "$SNAP_COOKIE" && echo cookie'])
    assert r.returncode == 0, r.stderr
    home = test_user.pw_dir
    assert r.stdout.splitlines() == [
        str(test_user.pw_uid),
        f"/snap/probe/x1|probe|x1|{home}|{home}/snap/probe/x1|/run/user/{test_user.pw_uid}",
        "cookie"]


def test_app_gets_its_callers_descriptor_limit(broker, snaps, test_user):
    """The broker raises its own soft RLIMIT_NOFILE to the hard limit (its
    views hold a descriptor per cached inode); an app must get its
    caller's soft limit, as if run natively, not the broker's."""
    for limit in ("777", "1024"):
        r = run_as(test_user, ["sh", "-c", f'ulimit -Sn {limit} && exec "$0" run probe.sh "ulimit -Sn"',
                               binary("plugboard")], env=env_of(broker), capture_output=True,
                   text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == limit


def test_refusals(broker, snaps, test_user):
    r = prun(broker, test_user, ["nosuchsnap"])
    assert r.returncode == 1 and r.stderr == 'error: snap "nosuchsnap" is not installed\n'
    r = prun(broker, test_user, ["probe.nosuchapp"])
    assert r.returncode == 1 and 'has no app "nosuchapp"' in r.stderr
    r = prun(broker, test_user, [])
    assert r.returncode == 64


def test_pipe_without_terminal(broker, snaps, test_user):
    r = prun(broker, test_user, ["probe.sh", "[ -t 0 ] || echo no-tty; tr a-z A-Z"],
             input="through a pipe\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "no-tty\nTHROUGH A PIPE\n"


def test_with_a_terminal(broker, snaps, test_user):
    cmd = (f"PLUGBOARD_RUN_SOCKET={env_of(broker)['PLUGBOARD_RUN_SOCKET']} "
           f"{binary('plugboard')} run probe.sh '[ -t 0 ] && [ -t 1 ] && echo on-a-tty; exit 5'")
    r = run_as(test_user, ["script", "-qec", cmd, "/dev/null"], capture_output=True,
               text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert "on-a-tty" in r.stdout
    assert r.returncode == 5


def test_signal_relayed_to_the_app(broker, snaps, test_user):
    p = ppopen(broker, test_user, ["probe.sh", "trap 'echo got-int; exit 9' INT; echo ready; "
                                   "while :; do sleep 0.1; done"], stdout=subprocess.PIPE)
    assert p.stdout.readline() == "ready\n"
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=20)
    assert out == "got-int\n" and p.returncode == 9
    p = ppopen(broker, test_user, ["probe.sh", "echo ready; exec sleep 60"],
               stdout=subprocess.PIPE)
    assert p.stdout.readline() == "ready\n"
    p.send_signal(signal.SIGTERM)
    p.communicate(timeout=20)
    assert p.returncode == 128 + signal.SIGTERM


def _alive(marker):
    return subprocess.run(["pgrep", "-f", marker], capture_output=True).returncode == 0


def test_killed_client_ends_the_sandbox(broker, snaps, test_user):
    marker = "sleep 4321.5"
    p = ppopen(broker, test_user, ["probe.sh", f"echo ready; exec {marker}"],
               stdout=subprocess.PIPE)
    assert p.stdout.readline() == "ready\n"
    assert _alive(marker)
    p.kill()
    p.wait()
    deadline = time.monotonic() + 10
    while _alive(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(marker)


def test_media_check_example_asks_plugctl(broker, snaps, test_user):
    r = prun(broker, test_user, ["media-check"])
    assert r.returncode == 1
    assert "please connect removable-media" in r.stderr
    broker.cli(["connect", "media-check:removable-media"], check=True)
    r = prun(broker, test_user, ["media-check"])
    assert r.returncode == 0 and "removable-media is connected" in r.stdout


def test_plugctl_wait_returns_when_connected(broker, snaps, test_user):
    p = ppopen(broker, test_user, ["media-check", "--wait", "60"], stdout=subprocess.PIPE,
               stderr=subprocess.PIPE)
    assert "please connect removable-media" in p.stderr.readline()
    with pytest.raises(subprocess.TimeoutExpired):
        p.wait(timeout=0.5)  # blocked in plugctl wait
    broker.cli(["connect", "media-check:removable-media"], check=True)
    out, _ = p.communicate(timeout=20)
    assert p.returncode == 0 and "removable-media is now connected" in out


def test_debian_snapctl_inside(broker, snaps, test_user):
    r = prun(broker, test_user, ["probe.sh",
                                 "for p in network camera nope ''; do snapctl is-connected $p; "
                                 "echo rc=$?; done; plugctl is-connected --list"])
    assert r.stdout.splitlines() == ["rc=0", "rc=1", "rc=1", "rc=1", "home", "network"]
    assert r.stderr.splitlines() == [
        'error: error running snapctl: snap "probe" has no plug or slot named "nope"',
        "error: error running snapctl: must specify either a plug/slot name or --list"]


def test_spoofed_cookie_still_answers_for_own_snap(broker, snaps, test_user):
    """The probe presents media-check's real cookie (its sandbox id) and still
    gets answers about its own plugs: the socket is the identity."""
    other = ppopen(broker, test_user, ["media-check", "--wait", "60"], stderr=subprocess.PIPE)
    assert "please connect" in other.stderr.readline()  # media-check runs, blocked
    ids = os.listdir(os.path.join(broker.workdir, "sandbox"))
    assert len(ids) == 1
    r = prun(broker, test_user, ["probe.sh",
                                 f"export SNAP_COOKIE={ids[0]}; snapctl is-connected --list; "
                                 "snapctl is-connected network; echo rc=$?"])
    # probe's plugs (media-check has no network plug and nothing else connected)
    assert r.stdout == "home\nnetwork\nrc=0\n", r.stderr
    other.kill()
    other.wait()


def test_broker_sockets_unreachable_inside(broker, snaps, test_user):
    run_sock = env_of(broker)["PLUGBOARD_RUN_SOCKET"]
    r = prun(broker, test_user, ["probe", "none", "--connect", broker.socket,
                                 "--connect", run_sock, "--connect", "/run/plugboard/run.socket"])
    assert r.returncode == 0, r.stderr
    assert all(l.endswith(" ENOENT") for l in r.stdout.splitlines()), r.stdout
    assert len(r.stdout.splitlines()) == 3


def test_device_holder_killed_on_revoking_publish(broker, snaps, test_user):
    """/dev/fuse is not granted to the probe; an app holding it open is
    killed at the next publish (no revoke() for device fds), while an app
    holding only allowed fds carries on."""
    with open("/dev/fuse", "rb") as dev:
        p = ppopen(broker, test_user, ["probe.sh", "echo started; exec sleep 60"],
                   stdin=dev, stdout=subprocess.PIPE)
    assert p.stdout.readline() == "started\n"
    q = ppopen(broker, test_user, ["probe.sh", "echo started; read x; echo done-$x"],
               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert q.stdout.readline() == "started\n"
    broker.cli(["connect", "probe:camera"], check=True)  # a publish for the probe snap
    p.communicate(timeout=20)
    assert p.returncode == 128 + signal.SIGKILL
    out, _ = q.communicate(input="ok\n", timeout=20)
    assert q.returncode == 0 and out == "done-ok\n"


def test_portal_sockets_and_environment(broker, snaps, test_user, workdir):
    """The portals' sockets are bound into the sandbox and named by
    PULSE_SERVER (the portals part's proxies; their behaviour is tested in
    tests/integration/portals)."""
    r = prun(broker, test_user, ["probe.sh",
                                 'echo "$PULSE_SERVER"; s=${PULSE_SERVER#unix:}; '
                                 '[ -S "$s" ] && echo socket'])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("unix:/") and lines[1] == "socket", (r.stdout, r.stderr)


class Session:
    """An app that runs one shell command per line of stdin, so a test can
    ask it to look again after a connect or disconnect, without a restart."""

    def __init__(self, broker, user):
        self.p = ppopen(broker, user, ["probe.sh",
                                       'while read -r c; do sh -c "$c" 2>&1; echo "rc=$?"; '
                                       'echo END; done'],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def ask(self, cmd):
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()
        out = []
        while (line := self.p.stdout.readline()) != "END\n":
            assert line, "the app died"
            out.append(line)
        return "".join(out)

    def close(self):
        self.p.stdin.close()
        return self.p.wait(timeout=20)


def test_home_appears_and_vanishes_live(broker, snaps, test_user, workdir):
    name = "pb-live-" + os.path.basename(workdir) + ".txt"
    path = os.path.join(test_user.pw_dir, name)
    run_as(test_user, ["sh", "-c", f"echo secret-content > {path}"], check=True)
    try:
        broker.cli(["disconnect", "probe:home"], check=True)
        s = Session(broker, test_user)
        assert "rc=0" not in s.ask(f"cat $HOME/{name}")
        # its own data stays reachable while home is not connected
        assert s.ask("touch $SNAP_USER_DATA/own && echo ok").startswith("ok")
        broker.cli(["connect", "probe:home"], check=True)
        assert s.ask(f"cat $HOME/{name}") == "secret-content\nrc=0\n"
        broker.cli(["disconnect", "probe:home"], check=True)
        out = s.ask(f"cat $HOME/{name}")
        assert "secret-content" not in out and "rc=0" not in out
        assert s.close() == 0
    finally:
        os.unlink(path)


def test_media_appears_live(broker, snaps, test_user, workdir):
    d = os.path.join("/media", "pb-live-" + os.path.basename(workdir))
    os.makedirs(d)
    with open(os.path.join(d, "on-the-stick"), "w") as f:
        f.write("x")
    os.chmod(d, 0o755)
    try:
        s = Session(broker, test_user)
        assert "on-the-stick" not in s.ask(f"ls {d}")
        broker.cli(["connect", "probe:removable-media"], check=True)
        assert s.ask(f"ls {d}") == "on-the-stick\nrc=0\n"
        broker.cli(["disconnect", "probe:removable-media"], check=True)
        assert "on-the-stick" not in s.ask(f"ls {d}")
        assert s.close() == 0
    finally:
        shutil.rmtree(d)


def test_device_appears_live_and_holder_is_killed_on_disconnect(broker, snaps, test_user):
    s = Session(broker, test_user)
    assert "rc=0" not in s.ask("exec 3</dev/fuse")  # not connected: nothing there
    broker.cli(["connect", "probe:fuse-support"], check=True)
    assert s.ask("exec 3</dev/fuse && echo opened") == "opened\nrc=0\n"
    holder = ppopen(broker, test_user, ["probe", "hold", "/dev/fuse"], stdout=subprocess.PIPE)
    assert holder.stdout.readline() == "hold OK\n"
    broker.cli(["disconnect", "probe:fuse-support"], check=True)
    # the kernel cannot revoke the open fd: the holder is gone when disconnect returns
    holder.communicate(timeout=20)
    assert holder.returncode == 128 + signal.SIGKILL
    assert "rc=0" not in s.ask("exec 3</dev/fuse")
    assert s.close() == 0


def test_status_view_for_plain_shell_launchers(broker, snaps, test_user):
    s = Session(broker, test_user)
    probe = "[ -e /run/plugboard/plugs/camera ] && echo yes || echo no"
    assert s.ask(probe) == "no\nrc=0\n"
    broker.cli(["connect", "probe:camera"], check=True)
    assert s.ask(probe) == "yes\nrc=0\n"
    assert s.ask("[ -e /run/plugboard/plugs/network ] && echo yes") == "yes\nrc=0\n"
    broker.cli(["disconnect", "probe:camera"], check=True)
    assert s.ask(probe) == "no\nrc=0\n"
    assert s.close() == 0


def test_closed_stdio_becomes_dev_null(broker, snaps, test_user):
    """Harnesses (hyperfine, daemons) may start us with fd 0 closed."""
    def demote_and_close():
        os.setgroups([])
        os.setgid(test_user.pw_gid)
        os.setuid(test_user.pw_uid)
        os.close(0)
    env = {"PATH": "/usr/bin:/bin"}
    env.update(env_of(broker))
    r = subprocess.run([binary("plugboard"), "run", "probe.sh", "cat; echo eof"],
                       preexec_fn=demote_and_close, env=env, capture_output=True, text=True,
                       timeout=30)
    assert (r.returncode, r.stdout) == (0, "eof\n"), r.stderr


RAW_CLIENT = r'''
import json, os, socket, struct, sys
mode, path = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX)
s.connect(path)
fds = [0, 1, 2]
if mode == "garbage":
    s.sendall(b"\xff" * 64)
elif mode == "huge":
    s.sendmsg([struct.pack("=I", 1 << 30)], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("3i", *fds))])
elif mode == "nofds":
    d = b'{"snap":"probe"}'
    s.sendall(struct.pack("=I", len(d)) + d)
elif mode == "badjson":
    d = b'{"snap":"probe", "args": [1, 2]}'
    s.sendmsg([struct.pack("=I", len(d))], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("3i", *fds))])
    s.sendall(d)
elif mode == "spoof":
    d = json.dumps({"snap": "probe", "app": "sh", "uid": 0, "gid": 0,
                    "args": ["id -u"], "env": ["PATH=/usr/bin:/bin"]}).encode()
    s.sendmsg([struct.pack("=I", len(d))], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("3i", *fds))])
    s.sendall(d)
s.shutdown(socket.SHUT_WR) if mode == "garbage" else None
print(s.recv(4096).decode().strip())
'''


def test_run_socket_hostile_requests(broker, snaps, test_user):
    """Garbage, a huge length, missing fds, bad JSON get an error line; the uid
    comes from SO_PEERCRED whatever the request says; the broker lives on."""
    path = env_of(broker)["PLUGBOARD_RUN_SOCKET"]
    for mode, want in (("garbage", "error "), ("huge", "error run request too large"),
                       ("nofds", "error a run request carries its length and 3 fds"),
                       ("badjson", "error malformed run request")):
        r = run_as(test_user, ["/usr/bin/python3", "-c", RAW_CLIENT, mode, path],
                   capture_output=True, text=True, timeout=30)
        assert r.stdout.startswith(want), (mode, r.stdout, r.stderr)
    r = run_as(test_user, ["/usr/bin/python3", "-c", RAW_CLIENT, "spoof", path],
               capture_output=True, text=True, timeout=30)
    assert r.stdout.startswith(f"{test_user.pw_uid}\n") or r.stdout == str(test_user.pw_uid), r
    assert broker.proc.poll() is None
    assert prun(broker, test_user, ["probe.sh", "exit 0"]).returncode == 0


def test_probe_through_the_views(broker, snaps, test_user):
    """With the views mounted: device nodes not granted are absent, also when
    reached through the dev view's own path; the host view shows nothing
    that is not granted; the status view cannot be written."""
    checks = [("read", "/dev/kvm"), ("read", "/run/plugboard-dev/kvm"),
              ("read", "/run/plugboard-dev/fuse"), ("read", "/run/plugboard-host/etc/shadow"),
              ("write", "/run/plugboard-host/etc/pb-probe"), ("write", "/run/plugboard/pb-probe"),
              ("write", "/usr/pb-probe")]
    cmd = "; ".join(f"/snap/probe/x1/bin/pb-probe {m} {p}" for m, p in checks)
    r = prun(broker, test_user, ["probe.sh", cmd])
    assert r.returncode == 0, r.stderr
    results = [l.split()[1] for l in r.stdout.splitlines()]
    assert len(results) == len(checks)
    # not granted: not there at all; read-only mounts: EROFS
    assert results == ["ENOENT"] * 5 + ["EROFS"] * 2, list(zip(checks, results))


def test_broker_killed_then_restarted(broker, snaps, test_user):
    """kill -9 of the broker ends its sandboxes (their launchers see the
    channel close); a restarted broker detaches the dead views and serves
    new runs with live views again."""
    s = Session(broker, test_user)
    assert s.ask("[ -e /run/plugboard/plugs/network ] && echo yes") == "yes\nrc=0\n"
    broker.kill()
    assert s.p.wait(timeout=20) != 0
    broker.start()
    r = prun(broker, test_user, ["probe.sh", "[ -e /run/plugboard/plugs/network ] && echo yes"])
    assert (r.returncode, r.stdout) == (0, "yes\n"), r.stderr
    assert "detached a stale view" in broker.read_log()


def test_media_is_writable_when_connected_and_stays_so_on_the_host(broker, snaps, test_user,
                                                                      workdir):
    """The read-only containers (/media, /mnt, ...) must not take the views
    mounted on them along: a connected removable-media is read-write, in the
    sandbox and, after it, on the host's view mount."""
    d = os.path.join("/media", "pb-rw-" + os.path.basename(workdir))
    os.makedirs(d)
    os.chown(d, test_user.pw_uid, test_user.pw_gid)
    try:
        broker.cli(["connect", "probe:removable-media"], check=True)
        for attempt in ("first", "second"):
            r = prun(broker, test_user, ["probe.sh", f"echo {attempt} > {d}/{attempt} && cat {d}/{attempt}"])
            assert r.returncode == 0, r.stderr
            assert r.stdout == f"{attempt}\n"
            with open(os.path.join(d, attempt)) as f:
                assert f.read() == f"{attempt}\n"
        with open("/proc/self/mountinfo") as f:
            views = [line.split() for line in f if "/views/" in line and "/media" in line]
        assert views, "no media view mounted on the host"
        for v in views:
            assert v[5].split(",")[0] == "rw", v
    finally:
        shutil.rmtree(d)
