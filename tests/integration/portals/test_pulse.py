# SPDX-License-Identifier: GPL-3.0-or-later
"""The PulseAudio portal against a real PulseAudio (null sink), clients run
as the unprivileged test user through pb-portal-harness."""
import os
import select
import socket
import struct
import subprocess
import time

import pytest

from .conftest import kill, popen_as, run_as_user, wait_for


def start_proxy(harness, pulse, workdir, user, grants, *extra):
    sock = os.path.join(workdir, "sandbox-native")
    h = harness("--pulse", sock, pulse.socket, "--owner", f"{user.pw_uid}:{user.pw_gid}",
                "--grants", grants, *extra)
    return h, {"PULSE_SERVER": "unix:" + sock}


def count(pulse, what):
    r = pulse.ctl("list", "short", what)
    assert r.returncode == 0, r.stderr
    return len([ln for ln in r.stdout.splitlines() if ln.strip()])


def test_playback_works_with_audio_playback_and_no_shm(harness, pulse, workdir, test_user, tone):
    h, env = start_proxy(harness, pulse, workdir, test_user, "audio-playback")
    env["PULSE_LOG"] = "4"
    r = run_as_user(test_user, ["paplay", tone], env)
    assert r.returncode == 0, r.stderr
    # The AUTH flags were rewritten: audio went inline, not through memfd/SHM.
    assert "Negotiated SHM: no" in r.stderr


def test_without_audio_playback_the_connection_is_refused(harness, pulse, workdir, test_user,
                                                          tone):
    h, env = start_proxy(harness, pulse, workdir, test_user, "audio-record")
    r = run_as_user(test_user, ["paplay", tone], env)
    assert r.returncode != 0
    assert count(pulse, "sink-inputs") == 0


def test_parec_denied_without_audio_record(harness, pulse, workdir, test_user):
    h, env = start_proxy(harness, pulse, workdir, test_user, "audio-playback")
    r = run_as_user(test_user, ["parec", "--device=null.monitor"], env)
    assert r.returncode != 0
    assert "Access denied" in r.stderr
    assert count(pulse, "source-outputs") == 0


def test_revoking_audio_record_kills_recording_while_playback_goes_on(
        harness, pulse, workdir, test_user):
    h, env = start_proxy(harness, pulse, workdir, test_user, "audio-playback,audio-record")
    long_tone = os.path.join(workdir, "long.wav")
    subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", long_tone, "synth", "3",
                    "sine", "440", "vol", "0.5"], check=True)
    os.chmod(long_tone, 0o644)
    out = os.path.join(workdir, "rec.raw")
    with open(out, "wb") as f:
        rec = popen_as(test_user, ["parec", "--latency-msec=50", "--device=null.monitor"], env,
                       stdout=f, stderr=subprocess.PIPE)
    play = popen_as(test_user, ["paplay", long_tone], env, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: count(pulse, "source-outputs") == 1 and count(pulse, "sink-inputs") == 1,
                 15, "record and playback streams upstream")
        wait_for(lambda: os.path.getsize(out) > 0, 15, "recorded data")
        assert play.poll() is None, "playback ended before the revoke"
        us = h.publish("audio-playback")
        # Done means done: the upstream stream is gone when publish returns
        # (the DELETE is on the wire; the server handles it right away).
        wait_for(lambda: count(pulse, "source-outputs") == 0, 5, "source output deleted")
        rc = rec.wait(10)
        err = rec.stderr.read().decode()
        assert rc != 0
        assert "Entity killed" in err
        size_after_kill = os.path.getsize(out)
        assert play.wait(20) == 0, play.stderr.read().decode()
        assert os.path.getsize(out) == size_after_kill
        assert us < 1_000_000
        # And a new recording is refused.
        r = run_as_user(test_user, ["parec", "--device=null.monitor"], env)
        assert "Access denied" in r.stderr
    finally:
        kill(rec)
        kill(play)
        rec.stderr.close()
        play.stderr.close()


def test_revoking_playback_closes_the_connection(harness, pulse, workdir, test_user):
    h, env = start_proxy(harness, pulse, workdir, test_user, "audio-playback")
    # pacat reading an endless pipe keeps its stream open until killed.
    play = popen_as(test_user, ["pacat", "--playback", "--raw"], env, stdin=subprocess.PIPE,
                    stderr=subprocess.PIPE)
    try:
        wait_for(lambda: count(pulse, "sink-inputs") == 1, 15, "playback stream")
        h.publish("none")
        assert h.conns()[0] == 0
        wait_for(lambda: count(pulse, "sink-inputs") == 0, 5, "sink input gone")
        play.stdin.write(b"\0" * 65536)
        play.stdin.flush()
        assert play.wait(10) != 0
    except BrokenPipeError:
        assert play.wait(10) != 0
    finally:
        kill(play)
        play.stderr.close()
        try:
            play.stdin.close()
        except BrokenPipeError:
            pass


@pytest.mark.parametrize("argv", [
    ["load-module", "module-null-sink", "sink_name=evil"],
    ["unload-module", "module-null-sink"],
    ["set-default-sink", "null"],
    ["suspend-sink", "null", "1"],
    ["set-sink-volume", "null", "10%"],
    ["move-sink-input", "0", "null"],
    ["set-sink-input-volume", "0", "50%"],
    ["set-source-output-volume", "0", "50%"],
    ["list", "short", "clients"],
    ["list", "short", "sink-inputs"],
    ["list", "short", "modules"],
])
def test_commands_outside_the_allow_list_are_refused(harness, pulse, workdir, test_user, argv):
    h, env = start_proxy(harness, pulse, workdir, test_user, "audio-playback,audio-record")
    modules = count(pulse, "modules")
    r = run_as_user(test_user, ["pactl"] + argv, env)
    assert r.returncode != 0
    assert "Access denied" in r.stderr or "access" in r.stderr.lower(), r.stderr
    assert count(pulse, "modules") == modules
    info = pulse.ctl("info").stdout
    assert "Default Sink: null" in info


def test_allowed_queries_work(harness, pulse, workdir, test_user):
    h, env = start_proxy(harness, pulse, workdir, test_user, "audio-playback")
    r = run_as_user(test_user, ["pactl", "list", "short", "sinks"], env)
    assert r.returncode == 0 and "null" in r.stdout, r.stderr
    r = run_as_user(test_user, ["pactl", "info"], env)
    assert r.returncode == 0 and "Server Name: pulseaudio" in r.stdout


def raw_conn(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)  # blocking: waits while the listen backlog is full
    s.settimeout(5)
    return s


def closed_by_proxy(s):
    """True when the proxy closed the connection (EOF), within the timeout."""
    try:
        while True:
            data = s.recv(65536)
            if not data:
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def frame(payload, channel=0xFFFFFFFF, flags=0, length=None):
    n = len(payload) if length is None else length
    return struct.pack(">IIIII", n, channel, 0, 0, flags) + payload


def auth_packet():
    body = b"L" + struct.pack(">I", 8) + b"L" + struct.pack(">I", 0) + b"L" + \
        struct.pack(">I", 35) + b"x" + struct.pack(">I", 256) + b"\0" * 256
    return frame(body)


@pytest.mark.parametrize("bad", [
    os.urandom(4096),
    frame(b"", length=0),
    frame(b"", length=17 * 1024 * 1024),
    frame(b"", length=2 * 1024 * 1024),            # above the client cap
    auth_packet() + frame(b"\0" * 16, channel=0, flags=0x80000000),  # SHM memblock
    frame(b"L" + struct.pack(">I", 20) + b"L" + struct.pack(">I", 1)),  # not AUTH first
    auth_packet() + frame(b"L" + struct.pack(">I", 20) + b"L" + struct.pack(">I", 0xFFFF0001)),
])
def test_hostile_frames_are_rejected_without_harming_a_good_client(
        harness, pulse, workdir, test_user, bad):
    h, env = start_proxy(harness, pulse, workdir, test_user, "audio-playback")
    sock = env["PULSE_SERVER"][5:]
    good = popen_as(test_user, ["pacat", "--playback", "--raw"], env, stdin=subprocess.PIPE,
                    stderr=subprocess.PIPE)
    try:
        wait_for(lambda: count(pulse, "sink-inputs") == 1, 15, "good client's stream")
        s = raw_conn(sock)
        try:
            s.sendall(bad)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert closed_by_proxy(s)
        s.close()
        good.stdin.write(b"\0" * 44100)
        good.stdin.close()
        assert good.wait(20) == 0, good.stderr.read().decode()
    finally:
        kill(good)
        good.stderr.close()


def test_connections_are_capped_and_a_good_client_still_gets_in(harness, pulse, workdir,
                                                                 test_user, tone):
    h, env = start_proxy(harness, pulse, workdir, test_user, "audio-playback",
                         "--max-conns", "8")
    sock = env["PULSE_SERVER"][5:]
    held = []
    try:
        # A flood of connections: the first 8 are proxied, the rest closed.
        for _ in range(500):
            held.append(raw_conn(sock))
        wait_for(lambda: h.conns()[0] == 8, 10, "8 proxied connections")
        open_ = set(held)
        deadline = time.monotonic() + 15
        while len(open_) > 8 and time.monotonic() < deadline:
            r, _, _ = select.select(list(open_), [], [], 1)
            for s in r:
                if s.recv(4096) == b"":
                    open_.discard(s)
        assert len(open_) == 8
        # The proxied ones stay open.
        r, _, _ = select.select(list(open_), [], [], 0.3)
        assert r == []
        # While at the cap a good client is refused too; after the flood ends it gets in.
        for s in held:
            s.close()
        held = []
        wait_for(lambda: h.conns()[0] == 0, 10, "connections released")
        r = run_as_user(test_user, ["paplay", tone], env)
        assert r.returncode == 0, r.stderr
    finally:
        for s in held:
            s.close()


def test_slow_reader_does_not_block_other_clients(harness, pulse, workdir, test_user, tone):
    """A client that subscribes, asks a lot and never reads: its own queue
    fills and its reading stops; another client is unaffected."""
    h, env = start_proxy(harness, pulse, workdir, test_user, "audio-playback")
    sock = env["PULSE_SERVER"][5:]
    s = raw_conn(sock)
    s.sendall(auth_packet())
    req = b"".join(frame(b"L" + struct.pack(">I", 22) + b"L" + struct.pack(">I", t))
                   for t in range(1, 20001))  # GET_SINK_INFO_LIST x 20000, never read
    s.setblocking(False)
    try:
        s.send(req)
    except BlockingIOError:
        pass
    r = run_as_user(test_user, ["paplay", tone], env)
    assert r.returncode == 0, r.stderr
    s.close()


def test_users_own_server_accepts_the_proxy_as_that_user(harness, user_pulse, workdir,
                                                         test_user, tone):
    """The real per-user server: no anonymous access; the proxy connects with
    the user's filesystem identity and vouches for the user's uid with
    SCM_CREDENTIALS on AUTH. The app has no cookie (its HOME is not the
    server's), so the credentials are what lets it in."""
    h, env = start_proxy(harness, user_pulse, workdir, test_user, "audio-playback",
                         "--upstream-as-owner")
    r = run_as_user(test_user, ["paplay", tone], env)
    assert r.returncode == 0, r.stderr


def test_users_own_server_refuses_the_proxys_own_identity(harness, user_pulse, workdir,
                                                          test_user, tone):
    """Control for the test above: the same proxy sending root's credentials is
    refused by the user's server."""
    h, env = start_proxy(harness, user_pulse, workdir, test_user, "audio-playback")
    r = run_as_user(test_user, ["paplay", tone], env)
    assert r.returncode != 0


def test_upstream_the_user_cannot_reach_is_not_reached(harness, pulse, workdir, test_user,
                                                       tone):
    """PULSE_SERVER is chosen by the caller: a socket the user may not open
    (here a root-only directory) stays out of reach through the proxy."""
    os.chmod(pulse.dir, 0o700)
    h, env = start_proxy(harness, pulse, workdir, test_user, "audio-playback",
                         "--upstream-as-owner")
    r = run_as_user(test_user, ["paplay", tone], env)
    assert r.returncode != 0
    os.chmod(pulse.dir, 0o755)
    r = run_as_user(test_user, ["paplay", tone], env)
    assert r.returncode == 0, r.stderr
