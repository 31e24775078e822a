#!/bin/bash
# Launch latency of `plugboard run SNAP` for an app that runs `true`, against a
# plain exec of true and against bwrap, with a warm broker; plus the
# is-connected round trip on a sandbox's control socket.
#   sudo bench/launch-bench.sh [BUILD_DIR] [RUNS]
# Prints medians and ratios (docs/PERFORMANCE.md, "Launcher"). The snap does
# not plug network, so like bwrap --unshare-net the sandbox gets its own netns.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
runs=${2:-200}
[ "$(id -u)" = 0 ] || { echo "run as root (the broker runs as root)" >&2; exit 1; }
w=$(mktemp -d /var/tmp/pbbench-XXXXXX)
chmod 755 "$w"
cleanup() {
	[ -n "${hold:-}" ] && kill "$hold" 2>/dev/null || true
	[ -n "${bpid:-}" ] && kill "$bpid" 2>/dev/null && wait "$bpid" 2>/dev/null || true
	rm -rf "$w"
}
trap cleanup EXIT

mkdir -p "$w/snap/bench-true/meta" "$w/snap/bench-true/bin" "$w/state" "$w/decl" "$w/ifaces"
cp /usr/bin/true "$w/snap/bench-true/bin/true"
printf '#!/bin/sh\nexec sleep 600\n' > "$w/snap/bench-true/bin/hold"
chmod 755 "$w/snap/bench-true/bin/hold"
cat > "$w/snap/bench-true/meta/snap.yaml" <<YAML
name: bench-true
version: '1'
summary: runs true
description: launch benchmark
apps:
  bench-true:
    command: bin/true
    plugs: [home, removable-media, camera, log-observe]
  hold:
    command: bin/hold
YAML
"$build/broker/plugboardd" --state-dir "$w/state" --socket "$w/api.sock" \
	--declarations-dir "$w/decl" --interfaces-dir "$w/ifaces" >"$w/log" 2>&1 &
bpid=$!
for _ in $(seq 100); do [ -S "$w/run.socket" ] && break; sleep 0.05; done
export PLUGBOARD_SOCKET=$w/api.sock PLUGBOARD_RUN_SOCKET=$w/run.socket
"$build/cli/plugboard" install --dangerous "$w/snap/bench-true" >/dev/null
"$build/cli/plugboard" run bench-true # warm: the first run creates ~/snap dirs

hyperfine -N -i --style none --warmup 20 --runs "$runs" --export-json "$w/h.json" \
	-n exec "/usr/bin/true" \
	-n bwrap "bwrap --ro-bind / / --dev /dev --proc /proc --unshare-pid --unshare-ipc --unshare-net true" \
	-n plugboard "$build/cli/plugboard run bench-true" >/dev/null
python3 - "$w/h.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
med = {k: v["median"] * 1000 for k, v in r.items()}
for k in ("exec", "bwrap", "plugboard"):
    bad = sum(1 for c in r[k].get("exit_codes", []) if c != 0)
    print(f"{k:10s} median {med[k]:7.2f} ms" + (f"  ({bad} runs FAILED)" if bad else ""))
print(f"plugboard / bwrap = {med['plugboard'] / med['bwrap']:.2f}x (goal <= 1.5x), "
      f"plugboard / exec = {med['plugboard'] / med['exec']:.1f}x")
PY

# is-connected round trip, on the control socket of a running sandbox
"$build/cli/plugboard" run bench-true.hold 2>/dev/null &
hold=$!
sock=
for _ in $(seq 200); do
	sock=$(ls "$w"/sandbox/*/snapd-snap.socket 2>/dev/null | head -1) && [ -S "$sock" ] && break
	sleep 0.05
done
"$build/sandbox/pb-launch-rtt" "$sock" 2000 home
