# SPDX-License-Identifier: GPL-3.0-or-later
"""Power-loss-like damage to the broker's state (issue 6, crash safety).

The state is STATE/state.json (snapshot, written tmp + fsync + rename) plus
STATE/journal (one fdatasync'd line per acknowledged interface action). A
power cut can leave: a torn state.json.tmp next to an intact state.json, and
a torn last journal line. Worse damage (a truncated state.json) must never
be loaded as if it were whole. For every truncation offset we try, the daemon
either comes up with exactly the state the surviving bytes acknowledge, or
refuses to start with a message naming the file and leaves the file as it
was. It never silently drops an acknowledged connection.

(kill -9 at random moments is tests/integration/broker/test_kill9.py.)"""
import hashlib
import json
import os
import shutil

import pytest

from conftest import api, start_broker

# Interface actions after the last snapshot: each is one journal record.
OPS = [("connect", "vlc:camera"), ("disconnect", "vlc:home"), ("connect", "vlc:audio-record"),
       ("disconnect", "vlc:desktop"), ("disconnect", "minicom:themes"),
       ("disconnect", "vlc:camera"), ("connect", "vlc:camera"), ("disconnect", "vlc:audio-playback")]


def listing(b):
    """Everything GET /v2/connections?select=all says, normalised."""
    status, doc = api(b.socket, "GET", "/v2/connections?select=all")
    assert status == 200, doc
    res = doc["result"]
    return {k: sorted(json.dumps(e, sort_keys=True) for e in res.get(k, []))
            for k in ("established", "undesired", "plugs", "slots")}


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """A broker after installs (snapshot) and OPS (journal records), killed
    with SIGKILL so the journal stays as written. Returns the saved state
    directory, the listing after 0..len(OPS) ops, and the journal offsets
    where each record ends."""
    import tempfile
    wd = tempfile.mkdtemp(prefix="pbtest-hardening-", dir="/var/tmp")
    os.chmod(wd, 0o755)
    b = start_broker(wd)
    try:
        for s in ("vlc", "gizmo", "minicom"):
            b.install(s)
        states = [listing(b)]
        for op in OPS:
            b.cli(list(op), check=True)
            states.append(listing(b))
    finally:
        b.kill()
    saved = os.path.join(wd, "saved-state")
    shutil.copytree(b.state_dir, saved, symlinks=True)
    with open(os.path.join(saved, "journal"), "rb") as f:
        journal = f.read()
    ends = [i + 1 for i, c in enumerate(journal) if c == ord("\n")]
    assert len(ends) == len(OPS), (len(ends), journal[:2000])
    yield {"wd": wd, "saved": saved, "states": states, "ends": ends}
    shutil.rmtree(wd, ignore_errors=True)


def restore(history, workdir):
    """A broker (not started) on a fresh copy of the saved state."""
    from conftest import Broker
    b = Broker(workdir)
    if os.path.exists(b.state_dir):
        shutil.rmtree(b.state_dir)
    shutil.copytree(history["saved"], b.state_dir, symlinks=True)
    return b


def try_start(b):
    """Start; returns True if it came up, False if it refused (exited)."""
    try:
        b.start(timeout=30)
        return True
    except RuntimeError:
        assert b.proc.poll() is not None, "neither up nor exited"
        b.log.close()
        return False


def offsets(n, count):
    """`count` offsets spread over [0, n), always with 0, 1 and n - 1."""
    if n <= count:
        return list(range(n))
    step = n / count
    return sorted({0, 1, n - 1} | {int(i * step) for i in range(count)})


def test_restart_keeps_every_acknowledged_connection(history, workdir):
    b = restore(history, workdir)
    assert try_start(b), b.read_log()
    try:
        assert listing(b) == history["states"][-1]
        b.restart()  # clean stop + start: same again
        assert listing(b) == history["states"][-1]
    finally:
        b.stop()


def test_torn_journal_tail_loads_exactly_the_complete_records(history, workdir):
    """A power cut during an append leaves a prefix of the journal: the daemon
    must come up with the state after the complete records, no more, no
    less (the torn record was never acknowledged)."""
    saved_journal = os.path.join(history["saved"], "journal")
    size = os.path.getsize(saved_journal)
    ends = history["ends"]
    # Every record boundary, one byte either side, and points inside records.
    cuts = sorted({0, size} | {e for e in ends} | {e - 1 for e in ends} |
                  {min(e + 1, size) for e in ends} | set(offsets(size, 12)))
    for i, cut in enumerate(cuts):
        b = restore(history, os.path.join(workdir, f"j{i}"))
        os.truncate(os.path.join(b.state_dir, "journal"), cut)
        complete = sum(1 for e in ends if e <= cut)
        # A record whose bytes all landed but its "\n" did not was never
        # acknowledged either; replaying it is allowed (it is whole), not
        # required. Anything else must match the complete records exactly.
        allowed = [history["states"][complete]]
        if complete < len(ends) and cut == ends[complete] - 1:
            allowed.append(history["states"][complete + 1])
        assert try_start(b), (cut, b.read_log())
        try:
            assert listing(b) in allowed, (cut, complete, b.read_log())
        finally:
            b.stop()


def test_truncated_snapshot_is_refused_and_left_untouched(history, workdir):
    """state.json cut short (not something rename() lets a power cut do, but
    a disk can): the daemon must refuse with a message naming the file and
    must not rewrite it; loading a prefix as if whole would lose connections."""
    saved_state = os.path.join(history["saved"], "state.json")
    size = os.path.getsize(saved_state)
    refused = 0
    for i, cut in enumerate(offsets(size, 16)):
        b = restore(history, os.path.join(workdir, f"s{i}"))
        path = os.path.join(b.state_dir, "state.json")
        os.truncate(path, cut)
        before = digest(path)
        up = try_start(b)
        try:
            if up:
                # Acceptable only if nothing acknowledged was lost.
                assert listing(b) == history["states"][-1], (cut, b.read_log())
            else:
                log = b.read_log()
                assert "state.json" in log and ("corrupt" in log or "refusing" in log), \
                    (cut, log)
                assert digest(path) == before, f"state.json rewritten after refusing (cut {cut})"
                refused += 1
        finally:
            if up:
                b.stop()
    # A prefix that is not valid JSON can never be loaded: those must refuse
    # (a prefix that only lost the trailing newline is still the whole doc).
    with open(saved_state, "rb") as f:
        whole = f.read()

    def valid(cut):
        try:
            json.loads(whole[:cut])
            return True
        except ValueError:
            return False
    assert refused == sum(1 for c in offsets(size, 16) if not valid(c))


def test_torn_tmp_snapshot_is_ignored(history, workdir):
    """A power cut while a snapshot was being written leaves state.json.tmp
    torn at any offset next to the intact state.json: the daemon loads the
    intact one (plus the journal) and loses nothing."""
    saved_state = os.path.join(history["saved"], "state.json")
    with open(saved_state, "rb") as f:
        whole = f.read()
    for i, cut in enumerate(offsets(len(whole), 8)):
        b = restore(history, os.path.join(workdir, f"t{i}"))
        with open(os.path.join(b.state_dir, "state.json.tmp"), "wb") as f:
            f.write(whole[:cut])
        assert try_start(b), (cut, b.read_log())
        try:
            assert listing(b) == history["states"][-1], (cut, b.read_log())
        finally:
            b.stop()
