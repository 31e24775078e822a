#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Broker benchmark (issue 2): 1,000 installed snaps and 10,000 connections.

Measures, against a real plugboardd on a scratch state dir:
  - `plugboard connections --all` and `plugboard interface --all` wall time
    (median of N runs, process start included), goal < 50 ms; "cold" runs
    follow a connect or disconnect, so the broker's listing cache is invalid
    and the result is built again;
  - connect -> Done latency (POST /v2/interfaces until the change is Done,
    polled at 0.2 ms), median and p90, goal < 5 ms;
  - the same listings through Debian's `snap` client, for reference.

Usage: bench/broker-listings.py [--build DIR] [--snaps 1000] [--runs 20]
       bench/broker-listings.py --build DIR --snaps 1000 --keep   (leaves a state dir)
       bench/broker-listings.py --build DIR --state STATE --runs 10
       bench/broker-listings.py --build DIR --state STATE --callgrind
"""
import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

AUTO = ["audio-playback", "desktop", "desktop-legacy", "home", "network", "network-bind",
        "opengl", "wayland", "x11"]  # auto-connected on classic: 9 per snap


class Conn(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=120)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(self.path)


def api(sock, method, path, body=None):
    c = Conn(sock)
    c.request(method, path, body=None if body is None else json.dumps(body))
    r = c.getresponse()
    doc = json.loads(r.read())
    c.close()
    return doc


def wait(sock, chg, poll=0.0002):
    while True:
        d = api(sock, "GET", f"/v2/changes/{chg}")["result"]
        if d["ready"]:
            if d["status"] != "Done":
                raise RuntimeError(d.get("err"))
            return
        time.sleep(poll)


def proc_cpu_ms(pid):
    """utime + stime of a process, in ms (clock ticks: 10 ms resolution)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def timed(argv, env, runs, before=None, daemon=None):
    """Median wall ms, mean CLI CPU ms (user+sys, independent of the
    machine's load), mean broker CPU ms per run, output lines."""
    ts, cpu, dcpu = [], [], 0.0
    for _ in range(runs):
        if before:
            before()
        d0 = proc_cpu_ms(daemon) if daemon else 0
        c0 = os.times()
        t = time.perf_counter()
        r = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        ts.append((time.perf_counter() - t) * 1000)
        c1 = os.times()
        cpu.append((c1.children_user - c0.children_user + c1.children_system
                    - c0.children_system) * 1000)
        dcpu += (proc_cpu_ms(daemon) - d0) if daemon else 0
        if r.returncode != 0:
            raise RuntimeError(f"{argv}: {r.stderr.decode()}")
    return statistics.median(ts), statistics.mean(cpu), dcpu / runs, len(r.stdout.splitlines())


def callgrind_total(path):
    """Total instructions of a callgrind output file (its 'totals:' line)."""
    with open(path) as f:
        for line in f:
            if line.startswith("totals:") or line.startswith("summary:"):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {path}")


def callgrind(build, state):
    work = tempfile.mkdtemp(prefix="pbbench-cg-", dir="/var/tmp")
    sock = os.path.join(work, "sock")
    proc = None
    try:
        shutil.copytree(state, os.path.join(work, "state"))
        out = os.path.join(work, "broker.cg")
        log = open(os.path.join(work, "log"), "w")
        proc = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                                 os.path.join(build, "broker", "plugboardd"), "--state-dir",
                                 os.path.join(work, "state"), "--socket", sock,
                                 "--declarations-dir", os.path.join(work, "decl")], stderr=log)
        deadline = time.time() + 300
        while not os.path.exists(sock):
            if time.time() > deadline or proc.poll() is not None:
                raise RuntimeError("broker did not start under valgrind")
            time.sleep(0.1)
        env = {"PATH": "/usr/bin:/bin", "PLUGBOARD_SOCKET": sock, "LANG": "C.UTF-8",
               "HOME": work}
        pb = os.path.join(build, "cli", "plugboard")
        # invalidate the listing cache, then count exactly one GET
        r = api(sock, "POST", "/v2/interfaces",
                {"action": "disconnect", "plugs": [{"snap": "bench-0001", "plug": "camera"}],
                 "slots": [{"snap": "", "slot": ""}]})
        wait(sock, r["change"], poll=0.01)
        subprocess.run(["callgrind_control", "-z", str(proc.pid)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        api_path = "/v2/plugboard/connections?select=all"
        c = Conn(sock)
        c.request("GET", api_path)
        resp = c.getresponse()
        size = len(resp.read())
        c.close()
        if resp.status != 200:
            raise RuntimeError(f"GET {api_path}: HTTP {resp.status} (a build without it?)")
        subprocess.run(["callgrind_control", "-d", str(proc.pid)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        dumps = sorted(f for f in os.listdir(work) if f.startswith("broker.cg."))
        broker_ir = callgrind_total(os.path.join(work, dumps[-1]))
        cli_out = os.path.join(work, "cli.cg")
        t = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={cli_out}",
                            pb, "connections", "--all"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, check=True)
        cli_ir = callgrind_total(cli_out)
        print(f"callgrind, {len(t.stdout.splitlines())} table lines:")
        print(f"  broker, one cold GET {api_path} ({size / 1e6:.2f} MB): "
              f"{broker_ir / 1e6:.1f}M instructions")
        print(f"  CLI process `plugboard connections --all`: {cli_ir / 1e6:.1f}M instructions")
        print(f"  together: {(broker_ir + cli_ir) / 1e6:.1f}M instructions")
        return 0
    finally:
        if proc:
            proc.terminate()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "build"))
    ap.add_argument("--snaps", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--state", help="start from a copy of this state dir (e.g. one left by "
                    "--keep) instead of installing and connecting: for before/after runs of "
                    "the listings; connect latency is then not measured")
    ap.add_argument("--keep", action="store_true",
                    help="leave the broker running on its state (for profiling)")
    ap.add_argument("--callgrind", action="store_true",
                    help="(with --state) instead of timing: count the instructions of one cold "
                    "GET in the broker and of the `plugboard connections --all` process with "
                    "valgrind's callgrind (load-independent; ~1 min)")
    a = ap.parse_args()
    if a.callgrind:
        if not a.state:
            ap.error("--callgrind needs --state")
        return callgrind(os.path.abspath(a.build), a.state)
    build = os.path.abspath(a.build)
    work = tempfile.mkdtemp(prefix="pbbench-", dir="/var/tmp")
    sock = os.path.join(work, "sock")
    proc = None
    try:
        src = os.path.join(work, "src")
        for i in range(a.snaps):
            d = os.path.join(src, f"bench-{i:04d}", "meta")
            os.makedirs(d)
            with open(os.path.join(d, "snap.yaml"), "w") as f:
                f.write(f"name: bench-{i:04d}\nversion: '1'\nplugs: [{', '.join(AUTO)}, camera]\n"
                        "apps:\n  app:\n    command: bin/app\n")
        if a.state:
            shutil.copytree(a.state, os.path.join(work, "state"))
        root = os.path.join(work, "root", "run")
        os.makedirs(root)
        os.symlink(sock, os.path.join(root, "snapd.socket"))
        log = open(os.path.join(work, "log"), "w")
        proc = subprocess.Popen([os.path.join(build, "broker", "plugboardd"), "--state-dir",
                                 os.path.join(work, "state"), "--socket", sock,
                                 "--declarations-dir", os.path.join(work, "decl")],
                                stderr=log)
        while not os.path.exists(sock):
            time.sleep(0.01)
        t0 = time.perf_counter()
        for i in range(0 if a.state else a.snaps):
            r = api(sock, "POST", "/v2/snaps",
                    {"action": "install", "path": os.path.join(src, f"bench-{i:04d}")})
            wait(sock, r["change"], poll=0.001)
        t_install = time.perf_counter() - t0
        lat = []
        for i in range(0 if a.state else a.snaps):
            t = time.perf_counter()
            r = api(sock, "POST", "/v2/interfaces",
                    {"action": "connect", "plugs": [{"snap": f"bench-{i:04d}", "plug": "camera"}],
                     "slots": [{"snap": "", "slot": ""}]})
            wait(sock, r["change"])
            lat.append((time.perf_counter() - t) * 1000)
        conns = api(sock, "GET", "/v2/connections")["result"]["established"]
        state_size = os.path.getsize(os.path.join(work, "state", "state.json"))
        env = {"PATH": "/usr/bin:/bin", "PLUGBOARD_SOCKET": sock, "LANG": "C.UTF-8",
               "HOME": work}
        senv = dict(env, SNAPPY_GLOBAL_ROOT=os.path.join(work, "root"), SNAP_REEXEC="0")
        pb = os.path.join(build, "cli", "plugboard")
        flip = [0]

        def change():
            # a disconnect or connect before each run: the listing cache is
            # invalid, the broker builds the result again ("cold")
            op = "disconnect" if flip[0] % 2 == 0 else "connect"
            flip[0] += 1
            r = api(sock, "POST", "/v2/interfaces",
                    {"action": op, "plugs": [{"snap": "bench-0001", "plug": "camera"}],
                     "slots": [{"snap": "", "slot": ""}]})
            wait(sock, r["change"])

        rows = [
            ("plugboard connections --all", timed([pb, "connections", "--all"], env, a.runs,
                                                          daemon=proc.pid)),
            ("plugboard connections --all (cold)",
             timed([pb, "connections", "--all"], env, a.runs, before=change, daemon=proc.pid)),
            ("plugboard interface --all (cold)",
             timed([pb, "interface", "--all"], env, a.runs, before=change, daemon=proc.pid)),
            ("plugboard interface --all", timed([pb, "interface", "--all"], env, a.runs,
                                                daemon=proc.pid)),
            ("plugboard connections bench-0000", timed([pb, "connections", "bench-0000"], env,
                                                        a.runs)),
            ("snap connections --all (Debian client)",
             timed(["/usr/bin/snap", "connections", "--all"], senv, a.runs, daemon=proc.pid)),
            ("snap interface --all (Debian client)",
             timed(["/usr/bin/snap", "interface", "--all"], senv, a.runs)),
        ]
        lat.sort()
        print(f"snaps installed: {0 if a.state else a.snaps} (install loop {t_install:.1f} s), "
              f"connections: {len(conns)}, state.json: {state_size / 1e6:.1f} MB")
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
        print(f"{'command':42} {'wall ms':>8} {'vs 50':>6} {'cli cpu':>8} {'broker cpu':>10} "
              f"{'lines':>6}")
        for name, (ms, cpu, dcpu, lines) in rows:
            print(f"{name:42} {ms:8.1f} {ms / 50:5.2f}x {cpu:8.1f} {dcpu:10.1f} {lines:6d}")
        # The goal, both ways: a listing right after a change (the
        # broker builds it) and a repeated one (served from its cache).
        warm, cold = rows[0][1][0], rows[1][1][0]
        verdict = "met" if max(warm, cold) < 50 else "NOT met"
        print(f"goal `plugboard connections --all` < 50 ms: warm {warm:.1f} ms ({warm / 50:.2f}x), "
              f"cold {cold:.1f} ms ({cold / 50:.2f}x): {verdict}")
        if not lat:
            return 0
        med = statistics.median(lat)
        p90 = lat[int(len(lat) * 0.9)]
        print(f"connect -> Done latency (n={len(lat)}): median {med:.2f} ms, p90 {p90:.2f} ms, "
              f"vs 5 ms goal: {med / 5:.2f}x")
    finally:
        if a.keep and proc:
            print(f"kept: PLUGBOARD_SOCKET={sock} (plugboardd pid {proc.pid}, dir {work})")
        else:
            if proc:
                proc.terminate()
                proc.wait()
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
