# SPDX-License-Identifier: GPL-3.0-or-later
"""The broker remembers its last 1,000 changes (GET /v2/changes); what it keeps
of each must be small. Each change used to keep the journal record that made it
durable, with the JSON text json-c caches in it (~9 KiB): the 50 x 1,000 soak
saw 9 MiB of broker RSS that looked like a leak."""
import time

from conftest import api
from hardening.hlib import sanitized


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def change(broker, op, plug):
    body = {"action": op, "plugs": [{"snap": "vlc", "plug": plug}],
            "slots": [{"snap": "", "slot": ""}]}
    status, doc = api(broker.socket, "POST", "/v2/interfaces", body)
    assert status == 202, doc
    chg = doc["change"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        status, doc = api(broker.socket, "GET", f"/v2/changes/{chg}")
        assert status == 200, doc
        if doc["result"]["ready"]:
            assert doc["result"]["status"] == "Done", doc
            return
        time.sleep(0.001)
    raise AssertionError(f"change {chg} not ready after 10 s")


def cycle(broker, n):
    for _ in range(n):
        change(broker, "connect", "camera")
        change(broker, "disconnect", "camera")


def test_remembered_changes_cost_little_memory(broker):
    broker.install("vlc")
    cycle(broker, 50)  # warm: the listing caches, the journal, malloc's arenas
    before = rss_kib(broker.proc.pid)
    cycle(broker, 300)  # 600 more remembered changes
    after = rss_kib(broker.proc.pid)
    status, doc = api(broker.socket, "GET", "/v2/changes?select=all")
    assert status == 200, doc
    assert len(doc["result"]) >= 700, len(doc["result"])  # all of them still listed
    if sanitized():
        return  # ASan's quarantine keeps freed memory: RSS says nothing there
    # 600 journal records were 5.4 MiB; the changes themselves are < 1 KiB each.
    assert after - before < 2048, (before, after)
