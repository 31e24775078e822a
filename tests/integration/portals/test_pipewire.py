# SPDX-License-Identifier: GPL-3.0-or-later
"""The PulseAudio portal in front of pipewire-pulse (dbus + pipewire +
wireplumber + pipewire-pulse, private runtime dir)."""
import os
import subprocess

from .conftest import kill, popen_as, run_as_user, wait_for


def count(server, what):
    r = server.ctl("list", "short", what)
    assert r.returncode == 0, r.stderr
    return len([ln for ln in r.stdout.splitlines() if ln.strip()])


def test_pipewire_pulse_playback_and_live_record_revocation(harness, pipewire, workdir,
                                                            test_user, tone):
    sock = os.path.join(workdir, "sandbox-native")
    h = harness("--pulse", sock, pipewire.socket, "--owner",
                f"{test_user.pw_uid}:{test_user.pw_gid}", "--grants",
                "audio-playback,audio-record")
    env = {"PULSE_SERVER": "unix:" + sock}
    r = run_as_user(test_user, ["paplay", "--device=nullpw", tone], env)
    assert r.returncode == 0, r.stderr
    out = os.path.join(workdir, "rec.raw")
    with open(out, "wb") as f:
        rec = popen_as(test_user, ["parec", "--latency-msec=50", "--device=nullpw.monitor"], env,
                       stdout=f, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: count(pipewire, "source-outputs") == 1, 15, "record stream")
        # Live from the client's side too: the server may list the stream
        # before its CREATE reply reached parec, and a revoke in between is
        # (rightly) answered "Access denied", not "Entity killed".
        wait_for(lambda: os.path.getsize(out) > 0, 15, "recorded data")
        h.publish("audio-playback")
        assert rec.wait(10) != 0
        assert "Entity killed" in rec.stderr.read().decode()
        wait_for(lambda: count(pipewire, "source-outputs") == 0, 5, "record stream deleted")
        r = run_as_user(test_user, ["parec", "--device=nullpw.monitor"], env)
        assert "Access denied" in r.stderr
        r = run_as_user(test_user, ["paplay", "--device=nullpw", tone], env)
        assert r.returncode == 0, r.stderr
    finally:
        kill(rec)
        rec.stderr.close()
