# SPDX-License-Identifier: GPL-3.0-or-later
"""`plugboard denials`: what a confined app was refused, and which plug would
have granted it, end to end (the app runs through `plugboard run`)."""
import os

from conftest import api, binary, run_as


def prun(broker, user, args):
    env = {"PLUGBOARD_SOCKET": broker.socket,
           "PLUGBOARD_RUN_SOCKET": os.path.join(broker.workdir, "run.socket")}
    return run_as(user, [binary("plugboard"), "run"] + list(args), env=env,
                  capture_output=True, text=True, timeout=60)


def test_denied_dotfile_is_listed_with_the_plug_that_would_grant_it(broker, test_user):
    broker.install("notes")  # reads $HOME/.notesrc through personal-files (not connected)
    broker.install("vlc")
    rc = os.path.join(test_user.pw_dir, ".notesrc")
    with open(rc, "w") as f:
        f.write("secret\n")
    os.chown(rc, test_user.pw_uid, test_user.pw_gid)
    try:
        r = prun(broker, test_user, ["notes"])
    finally:
        os.unlink(rc)
    assert "notes: cannot read ~/.notesrc" in r.stdout, (r.stdout, r.stderr)
    status, doc = api(broker.socket, "GET", "/v2/plugboard/denials?snap=notes")
    assert status == 200
    hits = [d for d in doc["result"] if d["resource"].endswith("/.notesrc")]
    assert hits, (doc["result"], r.stdout, r.stderr, broker.read_log())
    assert hits[0]["uid"] == test_user.pw_uid
    out = broker.cli(["denials", "notes"])
    assert out.returncode == 0
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["Time", "Snap", "Operation", "Resource", "Interface"]
    row = [line for line in lines[1:] if "/.notesrc " in line]
    assert row and row[0].endswith("  personal-files (dot-notes)"), out.stdout
    assert hits[0]["interface"] == "personal-files" and hits[0]["plug"] == "dot-notes"
    assert "today at " in row[0]
    # the filter: vlc has none
    assert broker.cli(["denials", "vlc"]).stderr == "no denials recorded\n"
    # readable by the unprivileged user too
    assert broker.cli(["denials", "notes"], user=test_user).stdout == out.stdout
