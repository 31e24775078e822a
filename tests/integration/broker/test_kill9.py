# SPDX-License-Identifier: GPL-3.0-or-later
"""kill -9 of the daemon at random moments during a stream of connects and
disconnects: the state always loads, and no acknowledged change is lost."""
import random
import threading
import time

from conftest import api

PLUGS = ["camera", "audio-record", "home", "desktop"]


def action(op, plug):
    return {"action": op, "plugs": [{"snap": "vlc", "plug": plug}],
            "slots": [{"snap": "", "slot": ""}]}


def connected(broker):
    status, doc = api(broker.socket, "GET", "/v2/connections?snap=vlc&select=all")
    assert status == 200, doc
    return {c["plug"]["plug"] for c in doc["result"].get("established", [])}


def client(broker, log, stop):
    """Apply random connects/disconnects; log (plug, want, acknowledged)."""
    rnd = random.Random()
    while not stop.is_set():
        plug = rnd.choice(PLUGS)
        op = rnd.choice(["connect", "disconnect"])
        entry = [plug, op == "connect", False]
        log.append(entry)
        try:
            status, doc = api(broker.socket, "POST", "/v2/interfaces", action(op, plug),
                              timeout=2)
            if status == 400 and doc["result"].get("kind") == "interfaces-unchanged":
                entry[2] = True  # nothing to do: already in the wanted state
                continue
            if status != 202:
                return
            chg = doc["change"]
            while not stop.is_set():
                status, doc = api(broker.socket, "GET", f"/v2/changes/{chg}", timeout=2)
                if doc["result"]["ready"]:
                    entry[2] = doc["result"]["status"] == "Done"
                    break
                time.sleep(0.001)
            if not entry[2]:
                return
        except (OSError, ValueError, KeyError):
            return  # the daemon died under us: this entry is not acknowledged


def test_kill9_never_loses_an_acknowledged_change(workdir):
    from conftest import start_broker
    b = start_broker(workdir)
    b.install("vlc")
    rounds = 0
    start = time.monotonic()
    rnd = random.Random(1234)
    try:
        # ~15 s, but at least 10 rounds on a slow (sanitizer, loaded) machine
        while (time.monotonic() - start < 15 or rounds < 10) and time.monotonic() - start < 60:
            log, stop = [], threading.Event()
            t = threading.Thread(target=client, args=(b, log, stop))
            t.start()
            time.sleep(rnd.uniform(0.01, 0.3))
            b.kill()
            stop.set()
            t.join(timeout=10)
            b.start()  # must load whatever is on disk
            rounds += 1
            now = connected(b)
            # Per plug: the last acknowledged operation decides, unless an
            # unacknowledged one followed it (it may or may not have landed).
            for plug in PLUGS:
                ops = [e for e in log if e[0] == plug]
                if not ops:
                    continue
                last_ack = max((i for i, e in enumerate(ops) if e[2]), default=None)
                if last_ack is None:
                    continue
                if any(not e[2] for e in ops[last_ack + 1:]):
                    continue
                assert (plug in now) == ops[last_ack][1], (plug, ops, now, b.read_log())
        assert rounds >= 10
    finally:
        b.stop()
