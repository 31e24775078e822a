#!/bin/bash
# FUSE view benchmark (issue 3): the same workloads on native ext4, on the
# Plugboard home view, on libfuse's passthrough_ll example (built here from
# Debian's libfuse3-dev examples) and on bindfs, in one run; each result is
# printed as a ratio to native (higher is better), then the revocation
# latency of the view. Run as root from the source tree after a build:
#   bench/fs-bench.sh [BUILD_DIR]        (default: build; relative or absolute)
# Env: PB_BENCH_SIZE (fio file, default 1G), PB_BENCH_FILES (default 10000),
#      PB_BENCH_USER (default pbtest: workloads run as this user),
#      PB_BENCH_REPS (rounds of the metadata rows, median kept; default 3),
#      PB_BENCH_FIO_REPS (rounds of the fio rows, interleaved, median; default 1),
#      PB_BENCH_ROWS (what to run, default all: any of seqwrite seqread rand1
#        rand4 meta revoke, e.g. PB_BENCH_ROWS="seqwrite revoke" for a quick A/B),
#      PB_BENCH_TARGETS (default "view pll bindfs"; native is always run),
#      PB_BENCH_BASE (another build directory: its harness is mounted as the
#        extra target "base", e.g. a build of main, for an A/B in one run),
#      PB_BENCH_FRESH_FS=1 (each target on a fresh ext4 loop image of its own,
#        see mk_src below),
#      PB_BENCH_URING (default 1: the view takes its requests through FUSE
#        over io_uring, fs/ring.c, where the kernel has it; 0: /dev/fuse; the
#        fuse module's enable_uring is set for the mount and put back after),
#      PB_BENCH_BASE_URING (the same for the "base" target; default: as the
#        view, so PB_BENCH_BASE=build PB_BENCH_BASE_URING=0 compares the two
#        transports of one build in one run).
# The fio rows also print each daemon's CPU time per GiB moved (user+system
# of the FUSE daemon's process, load-independent enough for A/B).
# It drops the page cache for the "cold" rows (global, but harmless).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SIZE=${PB_BENCH_SIZE:-1G}
NFILES=${PB_BENCH_FILES:-10000}
. bench/view-env.sh

# Every daemon here (the view, passthrough_ll) holds a descriptor per cached
# inode: give all of them the limit a file server gets as a service
# (LimitNOFILE), not whatever this shell had (20,000 on some machines: the
# view sheds cached names from 5/8 of its limit, fs/prune.c). Root cannot
# raise it everywhere (no CAP_SYS_RESOURCE in some containers): then the
# shell's limit stays.
ulimit -n "$(cat /proc/sys/fs/nr_open)" 2>/dev/null || true

S=$(mktemp -d /var/tmp/pb-fsbench-XXXXXX)
chmod 755 "$S"
PIDS=()
URING_PARAM=/sys/module/fuse/parameters/enable_uring
URING_BEFORE=$(cat "$URING_PARAM" 2>/dev/null || true)
set_uring() { # set_uring 0|1: what the next mount is offered
	[ -w "$URING_PARAM" ] || return 0
	if [ "$1" = 1 ]; then echo Y >"$URING_PARAM"; else echo N >"$URING_PARAM"; fi
}
cleanup() {
	set +e
	[ -n "$URING_BEFORE" ] && echo "$URING_BEFORE" >"$URING_PARAM"
	[ -n "${HCTL:-}" ] && echo quit >&"${HCTL[1]}"
	for m in "$S"/mnt-*; do umount -l "$m" 2>/dev/null; done
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for m in "$S"/src-*; do umount -l "$m" 2>/dev/null; done
	rm -rf "$S"
}
trap cleanup EXIT

drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }
now() { date +%s.%N; }
secs() { # secs CMD...: wall time of CMD run as the user
	local s e
	s=$(now)
	"${AS[@]}" "$@" >/dev/null
	e=$(now)
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.4f\n", e - s }'
}
fio_bw() { # fio_bw DIR ARGS...: MB/s
	local d=$1; shift
	"${AS[@]}" fio --name=b --directory="$d" --filename=big --size="$SIZE" --ioengine=psync \
		--output-format=json "$@" |
		python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"]; print(sum(x["read"]["bw"]+x["write"]["bw"] for x in j)/1024)'
}

echo "== building anchors"
cc -O2 -Wall -o "$S/passthrough_ll" /usr/share/doc/libfuse3-dev/examples/passthrough_ll.c \
	$(pkg-config --cflags --libs fuse3)
cc -O2 -Wall -o "$S/fs-meta" bench/fs-meta.c
tar cf "$S/include.tar" -C /usr include
chmod 644 "$S/include.tar"

# By default every target works in a directory of its own on the machine's
# ext4 under /var/tmp: the file system users have, where reference/FUSE.md
# measured the anchors. PB_BENCH_FRESH_FS=1 gives each target an ext4 of
# its own instead, made fresh here (a loop image with direct I/O, so no
# second page cache under it; inode tables written at mkfs, so no lazy
# init runs behind the rows). Then no target's rows pay for another's
# deletes (ext4 scans past recently freed inodes when it allocates one, at
# the top of a tar profile here) or journal; but a fresh ext4 creates files
# 5-20 times faster than the aged one, so the FUSE round trips weigh more in
# every metadata ratio.
IMG_SIZE=$(($(numfmt --from=iec "$SIZE") * 2 + 2 * 1073741824))
mk_src() {
	mkdir -p "$S/src-$1" "$S/mnt-$1"
	if [ -n "${PB_BENCH_FRESH_FS:-}" ]; then
		truncate -s "$IMG_SIZE" "$S/img-$1"
		mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$S/img-$1"
		local dev
		dev=$(losetup --direct-io=on --find --show "$S/img-$1")
		mount "$dev" "$S/src-$1"
		losetup -d "$dev" # detached when unmounted
	fi
	chown "$U:$G" "$S/src-$1"
}
mk_src native
mk_src view
mk_src pll
mk_src bindfs
[ -z "${PB_BENCH_BASE:-}" ] || mk_src base
cat > "$S/grant.json" <<J
{"snap":"bench","generation":1,"endpoints":[{"name":"home","interface":"home","connected":true}],
 "paths":[{"pattern":"$S/src-view","access":"rw","recursive":true,"endpoint":"home"}]}
J
cat > "$S/revoke.json" <<J
{"snap":"bench","generation":2,"endpoints":[{"name":"home","interface":"home","connected":false}],
 "paths":[{"pattern":"$S/src-view","access":"rw","recursive":true,"endpoint":"home"}]}
J
set_uring "${PB_BENCH_URING:-1}"
coproc HCTL { exec "$HARNESS" --kind home --root "$S/src-view" --mount "$S/mnt-view" \
	--uid "$U" --gid "$G" --spec "$S/grant.json"; }
HPID=$HCTL_PID
BASE_PID=
if [ -n "${PB_BENCH_BASE:-}" ]; then
	sed "s|$S/src-view|$S/src-base|" "$S/grant.json" >"$S/grant-base.json"
	# Its stdin stays open (EOF makes a harness quit) until this script exits.
	mkfifo "$S/base.in"
	exec {BASE_W}<>"$S/base.in"
	read -r line <&"${HCTL[0]}" # the view's INIT is answered: its transport is set
	HCTL_READY=$line
	set_uring "${PB_BENCH_BASE_URING:-${PB_BENCH_URING:-1}}"
	"$PB_BENCH_BASE/fs/pb-view-harness" --kind home --root "$S/src-base" --mount "$S/mnt-base" \
		--uid "$U" --gid "$G" --spec "$S/grant-base.json" <"$S/base.in" >/dev/null &
	BASE_PID=$!
	PIDS+=($!)
fi
[ -n "${HCTL_READY:-}" ] && line=$HCTL_READY || read -r line <&"${HCTL[0]}"
[ "$line" = ready ] || { echo "harness failed" >&2; exit 1; }
echo transport >&"${HCTL[1]}"
read -r transport _ <&"${HCTL[0]}"
echo "== the view takes its requests through: $transport"
"$S/passthrough_ll" -f -o source="$S/src-pll",allow_other "$S/mnt-pll" &
PLL_PID=$!
PIDS+=($!)
bindfs -f -o allow_other "$S/src-bindfs" "$S/mnt-bindfs" &
BINDFS_PID=$!
PIDS+=($!)
for m in pll bindfs ${BASE_PID:+base}; do
	for _ in $(seq 100); do mountpoint -q "$S/mnt-$m" && break; sleep 0.05; done
done

declare -A R
ROWS=" ${PB_BENCH_ROWS:-seqwrite seqread rand1 rand4 meta revoke} "
want() { [[ "$ROWS" == *" $1 "* ]]; }
ticks() { # ticks PID: user+system clock ticks of a process (0 for none)
	[ -n "$1" ] && awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
HZ=$(getconf CLK_TCK)
GIB=$(numfmt --from=iec "$SIZE" | awk '{ print $1 / 1073741824 }')
fio_row() { # fio_row LABEL ROW REP DIR ARGS...: bandwidth and daemon CPU s/GiB
	local l=$1 w=$2 k=$3 d=$4 t0 bw
	shift 4
	want "$w" || return 0
	t0=$(ticks "${DPID[$l]:-}")
	bw=$(fio_bw "$d" "$@")
	R[$l,$w,$k]=$bw
	# Bytes moved: the whole file for the write, bw x 5 s for the timed reads.
	R[$l,${w}_cpu,$k]=$(awk -v a="$t0" -v b="$(ticks "${DPID[$l]:-}")" -v hz="$HZ" \
		-v gib="$GIB" -v bw="$bw" -v seq="$([[ $w == seqwrite ]] && echo 1 || echo 0)" \
		'BEGIN { g = seq ? gib : bw * 5 / 1024; printf "%.3f\n", (b - a) / hz / g }')
}
run_fio() { # run_fio LABEL DIR REP
	local l=$1 d=$2 k=$3
	echo "== $l: fio, round $k"
	# Reads are warm for everyone (--invalidate=0): with fio's default, the
	# native file is dropped from the page cache before each job while a
	# FUSE daemon still reads from the host's cache, which flatters FUSE.
	fio_row "$l" seqwrite "$k" "$d" --rw=write --bs=1M --end_fsync=1
	if want seqread || want rand1 || want rand4; then
		[ -e "$d/big" ] || "${AS[@]}" fio --name=b --directory="$d" --filename=big \
			--size="$SIZE" --rw=write --bs=1M --output-format=terse >/dev/null
	fi
	# Warm sequential reads take ~0.2 s per pass over 1 GiB: one pass is
	# mostly noise (0.64-0.99 of native in back-to-back runs), so the file
	# is read over and over for 5 s, like the random rows.
	fio_row "$l" seqread "$k" "$d" --rw=read --bs=1M --invalidate=0 --runtime=5 --time_based
	fio_row "$l" rand1 "$k" "$d" --rw=randread --bs=4k --runtime=5 --time_based --invalidate=0
	fio_row "$l" rand4 "$k" "$d" --rw=randread --bs=4k --runtime=5 --time_based --numjobs=4 \
		--invalidate=0
	"${AS[@]}" rm -f "$d/big"
}
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
run_meta() { # run_meta LABEL DIR REP
	local l=$1 d=$2 k=$3 op t
	# The previous target's dirty metadata is written back first: left
	# alone, its journal commit lands inside this target's rows (the
	# target after native paid for native's creates).
	sync
	"${AS[@]}" mkdir "$d/meta"
	while read -r op t; do R[$l,$op,$k]=$t; done < <("${AS[@]}" "$S/fs-meta" "$d/meta" "$NFILES")
	"${AS[@]}" mkdir "$d/tar"
	R[$l,tar,$k]=$(secs tar xf "$S/include.tar" -C "$d/tar")
	drop
	R[$l,find_cold,$k]=$(secs find "$d/tar")
	R[$l,find_warm,$k]=$(secs find "$d/tar")
	drop
	R[$l,du_cold,$k]=$(secs du -s "$d/tar")
	R[$l,du_warm,$k]=$(secs du -s "$d/tar")
	"${AS[@]}" rm -rf "$d/tar" "$d/meta"
}
read -r -a TARGETS <<<"native ${PB_BENCH_TARGETS:-view pll bindfs}"
declare -A DIR=([native]="$S/src-native" [view]="$S/mnt-view" [pll]="$S/mnt-pll"
	[bindfs]="$S/mnt-bindfs" [base]="$S/mnt-base")
# The FUSE daemons, for their CPU time (the view runs inside the harness).
declare -A DPID=([view]="$HPID" [pll]="$PLL_PID" [bindfs]="$BINDFS_PID" [base]="$BASE_PID")
FIO=(seqwrite seqread rand1 rand4)
FIO_REPS=${PB_BENCH_FIO_REPS:-1}
for k in $(seq "$FIO_REPS"); do
	for l in "${TARGETS[@]}"; do run_fio "$l" "${DIR[$l]}" "$k"; done
done
# Metadata rows: REPS rounds, targets interleaved, median kept (the machine
# is shared; one slow moment should not decide a row).
REPS=${PB_BENCH_REPS:-3}
META=(create stat_first stat_warm readdir unlink tar find_cold find_warm du_cold du_warm)
if want meta; then
	# The order rotates from round to round: no target always follows the
	# same one (a run with the same build as "view" and "base" had the one
	# right after native 3-8 % slower on every metadata row).
	for k in $(seq "$REPS"); do
		n=${#TARGETS[@]}
		for i in $(seq 0 $((n - 1))); do
			l=${TARGETS[$(((i + k - 1) % n))]}
			echo "== $l: metadata, round $k"
			run_meta "$l" "${DIR[$l]}" "$k"
		done
	done
fi
for l in "${TARGETS[@]}"; do
	for w in "${FIO[@]}"; do
		want "$w" || continue
		R[$l,$w]=$(for k in $(seq "$FIO_REPS"); do echo "${R[$l,$w,$k]}"; done | median)
		R[$l,${w}_cpu]=$(for k in $(seq "$FIO_REPS"); do echo "${R[$l,${w}_cpu,$k]}"; done |
			median)
	done
	want meta || continue
	for w in "${META[@]}"; do
		R[$l,$w]=$(for k in $(seq "$REPS"); do echo "${R[$l,$w,$k]}"; done | median)
	done
done

echo
printf "%-12s %14s" workload native
for l in "${TARGETS[@]:1}"; do printf " %14s" "$l"; done
echo "   (ratio to native, higher is better)"
for w in "${FIO[@]}"; do
	want "$w" || continue
	printf "%-12s %9.0f MB/s" "$w" "${R[native,$w]}"
	for l in "${TARGETS[@]:1}"; do
		printf " %14.2f" "$(awk -v a="${R[$l,$w]}" -v n="${R[native,$w]}" 'BEGIN{print a/n}')"
	done
	echo
done
for w in "${META[@]}"; do
	want meta || break
	printf "%-12s %12.4f s" "$w" "${R[native,$w]}"
	for l in "${TARGETS[@]:1}"; do
		printf " %14.2f" "$(awk -v a="${R[$l,$w]}" -v n="${R[native,$w]}" 'BEGIN{print n/a}')"
	done
	echo
done
for w in "${FIO[@]}"; do
	want "$w" || continue
	printf "%-12s %14s" "${w} cpu" "(s/GiB)"
	for l in "${TARGETS[@]:1}"; do printf " %14.3f" "${R[$l,${w}_cpu]}"; done
	echo "   (FUSE daemon CPU per GiB)"
done
want revoke || exit 0
echo
echo "== revocation latency (pb_view_publish, view only)"
publish() { # publish SPEC -> prints "ms (nodes)"
	echo "publish $1" >&"${HCTL[1]}"
	read -r ok ns nodes rc _ check <&"${HCTL[0]}"
	[ "$ok" = ok ] && [ "$rc" = 0 ] || { echo "publish failed: $ok $rc" >&2; exit 1; }
	awk -v ns="$ns" -v n="$nodes" -v c="$check" \
		'BEGIN { printf "%.2f ms (%d nodes invalidated; deciding %.2f ms)\n", ns / 1e6, n, c / 1e6 }'
}
hold() { # hold FILES...: a user process opens them all (reads each through)
	rm -f "$S/hold.in" "$S/hold.out"
	mkfifo "$S/hold.in" "$S/hold.out"
	chmod 666 "$S/hold.in" "$S/hold.out"
	"${AS[@]}" /usr/bin/python3 -c '
import os, sys
fds = [os.open(p, os.O_RDONLY) for p in sys.argv[1:]]
for fd in fds:
    while os.read(fd, 1 << 20):
        pass
print("held", flush=True)
sys.stdin.read()' "$@" <"$S/hold.in" >"$S/hold.out" &
	HOLD_PID=$!
	exec {HOLD_W}>"$S/hold.in"
	read -r _ <"$S/hold.out"
}
unhold() { exec {HOLD_W}>&-; wait "$HOLD_PID" 2>/dev/null || true; }
# Each case PB_BENCH_REVOKE_REPS times (default 3): revoke, then re-grant.
RREPS=${PB_BENCH_REVOKE_REPS:-3}
"${AS[@]}" mkdir "$S/mnt-view/small"
for i in $(seq 1000); do echo "$i" > "$S/src-view/small/f$i"; done
chown -R "$U:$G" "$S/src-view/small"
for k in $(seq "$RREPS"); do
	hold "$S"/mnt-view/small/f*
	printf "1000 open small files (cached), round %d: %s\n" "$k" "$(publish "$S/revoke.json")"
	unhold
	publish "$S/grant.json" >/dev/null
done
"${AS[@]}" dd if=/dev/zero of="$S/mnt-view/big" bs=1M count=1024 status=none
for k in $(seq "$RREPS"); do
	hold "$S/mnt-view/big"
	printf "1 GiB file, fully cached, round %d: %s\n" "$k" "$(publish "$S/revoke.json")"
	unhold
	publish "$S/grant.json" >/dev/null
done
