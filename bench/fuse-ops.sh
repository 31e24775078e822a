#!/bin/bash
# What a workload asks of a FUSE file system: the requests the kernel sends,
# counted per opcode, with their mean latency (from the kernel's fuse
# tracepoints, request sent -> answer received), on the Plugboard home view
# and on bindfs, each over an empty scratch directory. fs-bench.sh says how
# fast a row is; this says why (how many round trips it costs, and which).
# Run as root from the source tree after a build:
#   bench/fuse-ops.sh BUILD_DIR 'WORKLOAD' [PREPARE]
# WORKLOAD and PREPARE are shell snippets run as the unprivileged user with
# $D set to the scratch directory; PREPARE runs first, untraced. Examples:
#   bench/fuse-ops.sh build 'dd if=/dev/zero of=$D/f bs=4k count=20000'
#   bench/fuse-ops.sh build 'tar xf /var/tmp/include.tar -C $D'
#   PB_OPS_DROP=1 bench/fuse-ops.sh build 'find $D/t' 'tar xf /var/tmp/include.tar -C $D/t'
# Env: PB_OPS_TARGETS (default "native view bindfs"; native is timed only),
#      PB_OPS_DROP=1 (drop the page cache between PREPARE and WORKLOAD),
#      PB_BENCH_USER (default pbtest).
# Tracing costs a little per request: compare the counts, and the wall
# times only with each other.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:?usage: bench/fuse-ops.sh BUILD_DIR WORKLOAD [PREPARE]}
WORK=${2:?usage: bench/fuse-ops.sh BUILD_DIR WORKLOAD [PREPARE]}
PREP=${3:-}
. bench/view-env.sh
TR=/sys/kernel/tracing
[ -d "$TR/events/fuse" ] || { echo "no fuse tracepoints in $TR (Linux >= 6.14, tracefs)" >&2; exit 1; }

S=$(mktemp -d /var/tmp/pb-fuseops-XXXXXX)
chmod 755 "$S"
PID=
cleanup() {
	set +e
	echo 0 >"$TR/tracing_on"
	echo 0 >"$TR/events/fuse/enable"
	mountpoint -q "$S/mnt" && umount -l "$S/mnt"
	[ -n "$PID" ] && kill "$PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$S"
}
trap cleanup EXIT

mount_target() { # mount_target NAME: mounts $S/mnt over $S/src, sets PID
	rm -rf "$S/src" "$S/mnt"
	mkdir "$S/src" "$S/mnt"
	chown "$U:$G" "$S/src"
	PID=
	case $1 in
	native) return 0 ;;
	view)
		cat >"$S/grant.json" <<J
{"snap":"bench","generation":1,"endpoints":[{"name":"home","interface":"home","connected":true}],
 "paths":[{"pattern":"$S/src","access":"rw","recursive":true,"endpoint":"home"}]}
J
		rm -f "$S/in"
		mkfifo "$S/in"
		# Its stdin stays open (EOF makes a harness quit) while we run.
		exec {HIN}<>"$S/in"
		"$HARNESS" --kind home --root "$S/src" --mount "$S/mnt" --uid "$U" --gid "$G" \
			--spec "$S/grant.json" <"$S/in" >/dev/null &
		PID=$!
		;;
	bindfs)
		bindfs -f -o allow_other "$S/src" "$S/mnt" &
		PID=$!
		;;
	*) echo "unknown target $1" >&2; exit 1 ;;
	esac
	for _ in $(seq 200); do mountpoint -q "$S/mnt" && return 0; sleep 0.05; done
	echo "$1 did not mount" >&2
	exit 1
}

unmount_target() {
	mountpoint -q "$S/mnt" && umount "$S/mnt"
	[ -n "$PID" ] && { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
	PID=
}

summarise() { # summarise TRACE: requests per opcode, mean latency
	/usr/bin/python3 - "$1" <<'PY'
import collections, re, sys
sent, count, total = {}, collections.Counter(), collections.defaultdict(float)
send = re.compile(r" (\d+\.\d+): fuse_request_send: connection \d+ req (\d+) opcode \d+ \((\w+)\)")
end = re.compile(r" (\d+\.\d+): fuse_request_end: connection \d+ req (\d+)")
for line in open(sys.argv[1]):
    m = send.search(line)
    if m:
        sent[m.group(2)] = (float(m.group(1)), m.group(3))
        count[m.group(3)] += 1
        continue
    m = end.search(line)
    if m and m.group(2) in sent:
        t, op = sent.pop(m.group(2))
        total[op] += float(m.group(1)) - t
print(f"  {'request':18s} {'count':>8s} {'mean us':>9s} {'sum ms':>9s}")
for op, n in count.most_common():
    print(f"  {op.removeprefix('FUSE_'):18s} {n:8d} {total[op] / n * 1e6:9.1f} {total[op] * 1e3:9.1f}")
print(f"  {'all':18s} {sum(count.values()):8d}")
PY
}

for t in ${PB_OPS_TARGETS:-native view bindfs}; do
	mount_target "$t"
	D=$S/mnt
	[ "$t" = native ] && D=$S/src
	[ -n "$PREP" ] && "${AS[@]}" env D="$D" bash -c "$PREP" >/dev/null
	[ -n "${PB_OPS_DROP:-}" ] && { sync; echo 3 >/proc/sys/vm/drop_caches; }
	echo 0 >"$TR/tracing_on"
	echo >"$TR/trace"
	echo 65536 >"$TR/buffer_size_kb"
	echo 1 >"$TR/events/fuse/enable"
	echo 1 >"$TR/tracing_on"
	s=$(date +%s.%N)
	"${AS[@]}" env D="$D" bash -c "$WORK" >/dev/null
	e=$(date +%s.%N)
	echo 0 >"$TR/tracing_on"
	echo 0 >"$TR/events/fuse/enable"
	echo "== $t: $(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }') s"
	[ "$t" = native ] || summarise "$TR/trace"
	unmount_target
done
