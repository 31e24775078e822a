# SPDX-License-Identifier: GPL-3.0-or-later
"""Load and soak (issue 6): N confined sandboxes at once, each hammering its
home view (writes, reads, stats, renames, listings) and its control socket,
while this process disconnects and reconnects their `home` plugs CYCLES
times. Asserts: the run ends in bounded time (no deadlock), no view access
succeeds between a disconnect returning and the next connect starting, the
broker's fd count and RSS do not grow across the cycles, the broker never
crashes (it stops cleanly at the end).

CI size: 10 sandboxes, 100 cycles. bench/soak.sh runs the long version
(PB_SOAK_SANDBOXES=50 PB_SOAK_CYCLES=1000) and prints the figures recorded in
docs/PERFORMANCE.md (the test prints them too: `pytest -s`)."""
import json
import os
import shutil
import socket
import subprocess
import time

from conftest import REPO, binary, run_as, start_broker

from .hlib import sanitized

N = int(os.environ.get("PB_SOAK_SANDBOXES", "10"))
CYCLES = int(os.environ.get("PB_SOAK_CYCLES", "100"))
# Wall-time bound for the connect/disconnect phase: generous (shared CI
# cores), but a deadlock shows up as a hang far beyond it.
# (The ASan build is about 4x slower: its bound is 3x larger.)
# Optional pause per hammer round (ms), for long runs on a shared machine.
PACE_MS = float(os.environ.get("PB_SOAK_PACE_MS", "0"))
CYCLE_BUDGET_S = float(os.environ.get("PB_SOAK_BUDGET", str(max(60.0, CYCLES * 0.6))))

# Confined: prints "ready", waits for a line on stdin, then loops over file
# operations in DIR (its home view) and snapctl on the control socket until
# SIGTERM; then prints one JSON line: the start and end times
# (CLOCK_MONOTONIC ns, the test's clock too) of every view operation that
# succeeded, and counts.
# (No single quotes in it: it is passed inside '...' to the app's shell.)
HAMMER = r"""
import errno, json, os, signal, socket, sys, time
d = os.path.join(os.environ["HOME"], sys.argv[1])
pace = float(sys.argv[2]) / 1000
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
print("ready", flush=True)
sys.stdin.readline()
oks, fails, ctl_ok, ctl_fail = [], 0, 0, 0
a, b = os.path.join(d, "a"), os.path.join(d, "b")
names, ends = [], []
def op(fn, name):
    global fails
    t = time.monotonic_ns()
    try:
        fn()
        ends.append(time.monotonic_ns())
        oks.append(t)
        names.append(name)
    except OSError:
        fails += 1
def write():
    with open(a, "w") as f:
        f.write("x" * 512)
def read():
    with open(a) as f:
        f.read()
i = 0
while not stop:
    op(write, "write"); op(read, "read"); op(lambda: os.stat(a), "stat")
    op(lambda: os.rename(a, b), "rename"); op(lambda: os.rename(b, a), "rename-back")
    op(lambda: os.listdir(d), "listdir")
    i += 1
    if i % 8 == 0:
        try:
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(5)
            s.connect("/run/snapd-snap.socket")
            body = json.dumps({"args": ["is-connected", "home"]}).encode()
            s.sendall(b"POST /v2/snapctl HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
                      % (len(body), body))
            ctl_ok += s.recv(64).startswith(b"HTTP/1.")
            s.close()
        except OSError:
            ctl_fail += 1
    if fails > 200000:
        break
    if pace:
        time.sleep(pace)
print(json.dumps({"oks": oks, "ends": ends, "names": names, "fails": fails, "ctl_ok": ctl_ok, "ctl_fail": ctl_fail}),
      flush=True)
"""


assert "'" not in HAMMER


def proc_stats(pid):
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(ln.split()[1]) for ln in f if ln.startswith("VmRSS:"))
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return {"rss_kib": rss, "fds": fds, "cpu_s": cpu}


def make_snaps(broker, workdir):
    base = os.path.join(REPO, "examples", "probe")
    names = []
    for i in range(N):
        name = f"soak{i}"
        d = os.path.join(workdir, "snaps", name)
        shutil.copytree(base, d)
        y = os.path.join(d, "meta", "snap.yaml")
        with open(y) as f:
            text = f.read()
        with open(y, "w") as f:
            f.write(text.replace("name: probe", f"name: {name}", 1))
        broker.install(d)
        broker.cli(["connect", f"{name}:home"], check=True)
        names.append(name)
    return names


def start_app(broker, user, name, subdir):
    def demote():
        os.setgroups([])
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)
    env = {"PATH": "/usr/bin:/bin", "HOME": user.pw_dir, "LANG": "C.UTF-8",
           "PLUGBOARD_SOCKET": broker.socket,
           "PLUGBOARD_RUN_SOCKET": os.path.join(broker.workdir, "run.socket")}
    return subprocess.Popen([binary("plugboard"), "run", f"{name}.sh",
                             f"exec python3 -c '{HAMMER}' {subdir} {PACE_MS}"],
                            preexec_fn=demote, env=env, text=True, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def cli(broker, args):
    r = broker.cli(args, timeout=30)  # a hang here is a deadlock: TimeoutExpired fails
    assert r.returncode == 0, (args, r.stdout, r.stderr)


def test_soak_sandboxes_hammer_views_during_connect_cycles(workdir, test_user):
    broker = start_broker(workdir)
    apps = []
    subdirs = []
    try:
        names = make_snaps(broker, workdir)
        pid = broker.proc.pid
        for i in range(N):
            sub = f"pb-soak-{os.path.basename(workdir)}-{i}"
            run_as(test_user, ["mkdir", "-p", os.path.join(test_user.pw_dir, sub)], check=True)
            subdirs.append(os.path.join(test_user.pw_dir, sub))
        base = proc_stats(pid)
        apps = [start_app(broker, test_user, names[i], os.path.basename(subdirs[i]))
                for i in range(N)]
        for p in apps:
            line = p.stdout.readline().strip()
            assert line == "ready", (line, p.stderr.read() if p.poll() is not None else "")
        idle = proc_stats(pid)
        for p in apps:
            p.stdin.write("go\n")
            p.stdin.flush()

        revoked = {n: [] for n in names}  # [(disconnect returned, connect started)]
        t0 = time.monotonic()
        warm = None
        for c in range(CYCLES):
            n = names[c % N]
            cli(broker, ["disconnect", f"{n}:home"])
            t_ret = time.monotonic_ns()
            time.sleep(0.02)  # let the sandboxes run into the revoked view
            t_con = time.monotonic_ns()
            revoked[n].append((t_ret, t_con))
            cli(broker, ["connect", f"{n}:home"])
            if c == min(CYCLES - 1, max(N, CYCLES // 10)):
                warm = proc_stats(pid)
        cycles_s = time.monotonic() - t0
        end = proc_stats(pid)
        assert broker.proc.poll() is None, "the broker died during the run"

        results = []
        for p in apps:
            p.terminate()  # relayed to the app by plugboard run
        for p in apps:
            out, err = p.communicate(timeout=60)
            lines = [ln for ln in out.splitlines() if ln.startswith("{")]
            assert lines, (out[-500:], err[-2000:])
            results.append(json.loads(lines[-1]))
        # All sandboxes gone: the broker's fds must come back to where they
        # were before the first one started (views, control sockets, spawn
        # pipes all released).
        deadline = time.monotonic() + 20
        while True:
            after = proc_stats(pid)
            if after["fds"] <= base["fds"] or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    finally:
        for p in apps:
            if p.poll() is None:
                p.kill()
                p.wait()
        status = broker.stop()
        for s in subdirs:
            shutil.rmtree(s, ignore_errors=True)

    per_sandbox_kib = (idle["rss_kib"] - base["rss_kib"]) / N
    cpu_per_sandbox = (end["cpu_s"] - idle["cpu_s"]) / N
    print(f"\nsoak: {N} sandboxes, {CYCLES} cycles in {cycles_s:.1f} s; broker RSS "
          f"base {base['rss_kib']} KiB, {N} idle sandboxes {idle['rss_kib']} KiB "
          f"({per_sandbox_kib:.0f} KiB per idle sandbox), after warm-up {warm['rss_kib']} KiB, "
          f"end {end['rss_kib']} KiB, after the apps exited {after['rss_kib']} KiB; fds base "
          f"{base['fds']} idle {idle['fds']} warm {warm['fds']} end {end['fds']} after "
          f"{after['fds']}; broker CPU during the run "
          f"{end['cpu_s'] - idle['cpu_s']:.2f} s ({cpu_per_sandbox:.3f} s per sandbox); "
          f"view ops ok {sum(len(r['oks']) for r in results)}, "
          f"failed {sum(r['fails'] for r in results)}, "
          f"snapctl ok {sum(r['ctl_ok'] for r in results)}")
    assert status == 0, ("the broker did not stop cleanly", status, broker.read_log()[-3000:])
    budget = CYCLE_BUDGET_S * (3 if sanitized() else 1)
    assert cycles_s < budget, (cycles_s, budget)
    # No access after a revoke returned (until the reconnect began).
    for n, res in zip(names, results):
        assert len(res["oks"]) > 100, (n, "the sandbox barely ran", res["fails"])
        # An operation that began after the disconnect returned and ended
        # before the reconnect began ran entirely without the grant: it must
        # have failed. (One that ends after the reconnect began may have been
        # served by the new grant: not a violation.)
        bad = [(op, t - a, e - a, b - a)
               for t, e, op in zip(res["oks"], res["ends"], res["names"])
               for (a, b) in revoked[n] if a <= t and e < b]
        assert not bad, (n, "view accesses succeeded while revoked (op, start and end ns "
                         "after the disconnect returned, window ns)", bad[:10])
    # The revocations were seen by the sandboxes.
    assert sum(r["fails"] for r in results) > 0
    assert sum(r["ctl_ok"] for r in results) > 0
    # No growth across the cycles. Under load the fd count moves with the
    # files the apps hold open and the nodes the kernel still caches (each
    # cached node keeps an O_PATH fd until the kernel forgets it), so mid-run
    # it is only bounded; the exact check is after the run: every fd back.
    assert end["fds"] <= warm["fds"] + 10 * N, (base, idle, warm, end, after)
    assert after["fds"] <= base["fds"], ("fds leaked across the run", base, after)
    if not sanitized():
        # (Under ASan, freed memory sits in its quarantine by design: RSS only
        # grows there, so memory growth is judged on the plain build, and
        # leaks by LeakSanitizer in test_leaks.py.)
        # Mid-run RSS moves with the cached nodes and busy FUSE threads of
        # every sandbox (bounded per sandbox); once the apps are gone it must
        # be back near the level of N idle sandboxes: what a leak per cycle
        # or per revocation would break.
        assert end["rss_kib"] <= warm["rss_kib"] + 8192 + 256 * N, (warm, end)
        assert after["rss_kib"] <= idle["rss_kib"] + 8192, (idle, after)
