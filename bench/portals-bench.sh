#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Portals benchmark (issue 5), in one run: the direct socket, `socat -b 262144`
# (the dumb-proxy anchor), the plugboard proxy (pb-portal-harness) and, for
# X11, a confined client: xrtt as a snap's app run by the broker, which hands
# its connect(2) a socket connected to the X server itself (untrusted).
#
#   bench/portals-bench.sh [BUILD_DIR] [ROUNDS]     (as root)
#
# X11 (Xvfb, 500x500 32-bit image, bench/xrtt.c): XSync round trip, PutImage
# and GetImage; each path runs ROUNDS times (default 3), interleaved; medians.
# The client always runs the same way: a private mount namespace whose
# /tmp/.X11-unix/X0 is the socket under test (the proxy's client is untrusted,
# as in a sandbox; direct and socat use the trusted cookie).
# PulseAudio (private server, null sink): paplay of a 10 s file (direct with
# memfd, socat with the client's SHM disabled - it fails otherwise - and the
# proxy with a default client); revocation latency of a recording (publish
# time as measured by the harness, and until parec has exited).
#
# Environment: PB_BENCH_BASE=OTHER_BUILD_DIR adds the path "proxy-base", the
# same untrusted proxy from another build (A/B of a change within one run);
# PB_BENCH_ONLY=x11 skips PulseAudio.
set -euo pipefail
B=$(realpath "${1:-build}")
ROUNDS=${2:-3}
W=$(mktemp -d /var/tmp/pbbench-XXXXXX)
chmod 755 "$W"
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT

HARNESS_BIN="$B/portals/pb-portal-harness"
# A harness driven through a FIFO (bash allows one coprocess at a time).
# start_harness NAME ARGS...; then hcmd NAME "line" prints the reply line.
start_harness() {
	local name=$1; shift
	mkfifo "$W/$name.in"
	local bin=$HARNESS_BIN
	HARNESS_BIN="$B/portals/pb-portal-harness"
	"$bin" "$@" < "$W/$name.in" > "$W/$name.out" 2>"$W/$name.err" &
	PIDS+=($!)
	eval "${name}_pid=$!"
	eval "exec {${name}_fd}>\"\$W/\$name.in\""
	for _ in $(seq 300); do grep -q '^ready$' "$W/$name.out" 2>/dev/null && return 0; sleep 0.05; done
	echo "harness $name did not start: $(cat "$W/$name.err")" >&2
	exit 1
}
hcmd() {
	local name=$1 fdvar="${1}_fd" n
	n=$(wc -l < "$W/$name.out")
	echo "$2" >&"${!fdvar}"
	while [ "$(wc -l < "$W/$name.out")" -le "$n" ]; do sleep 0.001; done
	tail -1 "$W/$name.out"
}

# CPU time (ns) the harness NAME has used so far, all its threads (the proxy
# runs in the loop thread): what busy-polling costs shows here.
hcpu() {
	local pidvar="${1}_pid"
	cat /proc/"${!pidvar}"/task/*/schedstat | awk '{s += $1} END {printf "%.0f\n", s}'
}

# Times the harness NAME has blocked so far (voluntary context switches,
# all threads): each is a wake-up later, the expensive part on an idle VM.
hwake() {
	local pidvar="${1}_pid"
	cat /proc/"${!pidvar}"/task/*/status | awk '/^voluntary_ctxt_switches/ {s += $2} END {print s}'
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# ---------------------------------------------------------------- X11
COOKIE=$(xxd -l 16 -p /dev/urandom)
xauth -f "$W/xauth" add :0 . "$COOKIE"
# An explicit, random free display number: with -displayfd alone the server
# takes the first number without a lock file in /tmp, and a test running in
# its own /tmp (another checkout's CI) may hold that one's socket.
N=
for _ in $(seq 50); do
	n=$((RANDOM % 800 + 100))
	[ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ] || { N=$n; break; }
done
Xvfb ":$N" -displayfd 4 -auth "$W/xauth" -nolisten tcp -nolisten local -noreset \
	-screen 0 1024x768x24 4>"$W/displayfd" 2>"$W/xvfb.log" &
PIDS+=($!)
for _ in $(seq 100); do grep -q . "$W/displayfd" 2>/dev/null && break; sleep 0.1; done
[ "$(head -1 "$W/displayfd")" = "$N" ] || { echo "Xvfb :$N failed: $(cat "$W/xvfb.log")" >&2; exit 1; }
XAUTHORITY="$W/xauth" xauth add ":$N" . "$COOKIE"

socat -b 262144 UNIX-LISTEN:"$W/x-socat",fork UNIX-CONNECT:/tmp/.X11-unix/X"$N" &
PIDS+=($!)
start_harness XH --x11 "$W/x-proxy" ":$N" "$W/xauth" "$W/x-sandbox.xauth" --grants x11
# The same proxy with the administrator's trusted opt-out, and a direct
# untrusted client: they separate the proxy's cost from the X server's cost
# of checking an untrusted client's requests (SECURITY extension).
start_harness XT --x11 "$W/x-proxyt" ":$N" "$W/xauth" "$W/x-sandboxt.xauth" --trusted \
	--grants x11
if [ -n "${PB_BENCH_BASE:-}" ]; then
	HARNESS_BIN="$(realpath "$PB_BENCH_BASE")/portals/pb-portal-harness"
	start_harness XB --x11 "$W/x-proxyb" ":$N" "$W/xauth" "$W/x-sandboxb.xauth" --grants x11
fi
XAUTHORITY="$W/xauth" xauth -f "$W/xauth-untrusted" generate ":$N" . untrusted timeout 0 \
	>/dev/null 2>&1
XAUTHORITY="$W/xauth-untrusted" xauth add :0 . \
	"$(XAUTHORITY="$W/xauth-untrusted" xauth list ":$N" | awk '{print $3}')"
for _ in $(seq 50); do [ -S "$W/x-socat" ] && break; sleep 0.1; done

# The confined client: a broker, a snap whose app is xrtt, x11 connected.
mkdir -p "$W/snap/bench-x/meta" "$W/snap/bench-x/bin" "$W/state" "$W/decl" "$W/ifaces"
cp "$B/bench/xrtt" "$W/snap/bench-x/bin/xrtt"
cat > "$W/snap/bench-x/meta/snap.yaml" <<YAML
name: bench-x
version: '1'
summary: X11 figures from inside a sandbox
description: portals benchmark
apps:
  bench-x:
    command: bin/xrtt
    plugs: [x11]
  sh:
    command: bin/sh-app
YAML
printf '#!/bin/sh\nexec /bin/sh -c "$@"\n' > "$W/snap/bench-x/bin/sh-app"
chmod 755 "$W/snap/bench-x/bin/sh-app"
"$B/broker/plugboardd" --state-dir "$W/state" --socket "$W/api.sock" \
	--declarations-dir "$W/decl" --interfaces-dir "$W/ifaces" >"$W/broker.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -S "$W/run.socket" ] && break; sleep 0.05; done
export PLUGBOARD_SOCKET=$W/api.sock PLUGBOARD_RUN_SOCKET=$W/run.socket
"$B/cli/plugboard" install --dangerous "$W/snap/bench-x" >/dev/null
"$B/cli/plugboard" connect bench-x:x11 >/dev/null 2>&1 || true # auto-connected already
crun() { # [XRTT_ROUNDS]
	DISPLAY=":$N" XAUTHORITY="$W/xauth" "$B/cli/plugboard" run bench-x "${1:-7}"
}

xrun() { # SOCKET AUTHFILE [XRTT_ROUNDS]
	# The socket is first bound aside: it may itself live in /tmp/.X11-unix.
	: > "$W/x-bind"
	unshare -m --propagation private sh -c '
		mount --bind "$1" "$4" && mount -t tmpfs pbbench /tmp/.X11-unix &&
		: > /tmp/.X11-unix/X0 && mount --bind "$4" /tmp/.X11-unix/X0 &&
		DISPLAY=:0 XAUTHORITY="$2" exec "$3" "$5"' sh "$1" "$2" "$B/bench/xrtt" "$W/x-bind" \
		"${3:-7}"
}
PATHS="direct socat proxy confined direct-untrusted proxy-trusted"
[ -n "${PB_BENCH_BASE:-}" ] && PATHS="$PATHS proxy-base"
for p in $PATHS; do : > "$W/x-$p.txt"; done
# xrun through harness NAME, appending its CPU time for the run (ms).
xrun_cpu() { # NAME SOCKET AUTHFILE OUT
	local c0 c1 s0 s1
	c0=$(hcpu "$1"); s0=$(hwake "$1")
	xrun "$2" "$3" >> "$4"
	c1=$(hcpu "$1"); s1=$(hwake "$1")
	echo "cpu_ms=$(( (c1 - c0) / 1000000 )) sleeps=$(( s1 - s0 ))" >> "$4"
}
for _ in $(seq "$ROUNDS"); do
	xrun /tmp/.X11-unix/X"$N" "$W/xauth" >> "$W/x-direct.txt"
	xrun "$W/x-socat" "$W/xauth" >> "$W/x-socat.txt"
	xrun_cpu XH "$W/x-proxy" "$W/x-sandbox.xauth" "$W/x-proxy.txt"
	crun >> "$W/x-confined.txt"
	if [ -n "${PB_BENCH_BASE:-}" ]; then
		xrun_cpu XB "$W/x-proxyb" "$W/x-sandboxb.xauth" "$W/x-proxy-base.txt"
	fi
	xrun /tmp/.X11-unix/X"$N" "$W/xauth-untrusted" >> "$W/x-direct-untrusted.txt"
	xrun_cpu XT "$W/x-proxyt" "$W/x-sandboxt.xauth" "$W/x-proxy-trusted.txt"
done
field() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" "$1" | median; }
echo "X11 (Xvfb :$N, medians of $ROUNDS runs x 7 rounds)"
# proxy CPU: the harness's CPU time during one xrtt run (median), all of
# the loop's work for that client: forwarding and busy-polling.
# XSync 1x: the median of single round trips (less skewed by preemptions
# on a busy machine than the mean over 2000).
# proxy sleeps: how often the proxy blocked during the run (14,000 XSyncs
# and 280 images of 1 MB): each is a wake-up, which on an idle VM means
# waking a halted vCPU.
printf '%-17s %9s %9s %14s %14s %13s %13s\n' path "XSync µs" "1x µs" "PutImage MB/s" \
	"GetImage MB/s" "proxy CPU ms" "proxy sleeps"
for p in $PATHS; do
	cpu=$(field "$W/x-$p.txt" cpu_ms)
	sl=$(field "$W/x-$p.txt" sleeps)
	printf '%-17s %9s %9s %14s %14s %13s %13s\n' "$p" "$(field "$W/x-$p.txt" rtt_us)" \
		"$(field "$W/x-$p.txt" rtt1_us)" "$(field "$W/x-$p.txt" put_MBps)" \
		"$(field "$W/x-$p.txt" get_MBps)" "${cpu:--}" "${sl:--}"
done
d_rtt=$(field "$W/x-direct.txt" rtt_us); d_put=$(field "$W/x-direct.txt" put_MBps)
d_get=$(field "$W/x-direct.txt" get_MBps); d_one=$(field "$W/x-direct.txt" rtt1_us)
for p in ${PATHS#direct }; do
	[ "$p" = direct-untrusted ] && continue
	awk -v p="$p" -v r="$(field "$W/x-$p.txt" rtt_us)" -v pu="$(field "$W/x-$p.txt" put_MBps)" \
		-v g="$(field "$W/x-$p.txt" get_MBps)" -v dr="$d_rtt" -v dp="$d_put" -v dg="$d_get" \
		-v o="$(field "$W/x-$p.txt" rtt1_us)" -v do1="$d_one" \
		'BEGIN {printf "ratio %-13s round trip %.2fx direct (1x %.2fx), PutImage %.2fx, GetImage %.2fx\n",
			p, r/dr, o/do1, pu/dp, g/dg}'
done

# Several busy clients at once through one proxy (all of them in the
# loop thread): busy-polling must not make them wait on each other.
NC=${PB_BENCH_CLIENTS:-8}
conc() { # NAME SOCKET AUTHFILE OUT
	local c0 c1 s0 s1 i pids=()
	c0=$(hcpu "$1"); s0=$(hwake "$1")
	for i in $(seq "$NC"); do xrun "$2" "$3" 3 > "$4.$i" & pids+=($!); done
	wait "${pids[@]}"
	c1=$(hcpu "$1"); s1=$(hwake "$1")
	echo "$(cat "$4".* | sed -n 's/.*rtt1_us=\([0-9.]*\).*/\1/p' | median)" \
		"$(( (c1 - c0) / 1000000 ))" "$(( s1 - s0 ))" >> "$4"
	rm -f "$4".*
}
CPATHS="proxy"
[ -n "${PB_BENCH_BASE:-}" ] && CPATHS="proxy proxy-base"
for _ in $(seq "$ROUNDS"); do
	conc XH "$W/x-proxy" "$W/x-sandbox.xauth" "$W/c-proxy.txt"
	[ -n "${PB_BENCH_BASE:-}" ] && conc XB "$W/x-proxyb" "$W/x-sandboxb.xauth" "$W/c-proxy-base.txt"
done
echo
echo "X11, $NC clients at once through one proxy (medians of $ROUNDS runs): XSync 1x µs | proxy CPU ms | proxy sleeps"
for p in $CPATHS; do
	printf '%-17s %9s %9s %9s\n' "$p" "$(awk '{print $1}' "$W/c-$p.txt" | median)" \
		"$(awk '{print $2}' "$W/c-$p.txt" | median)" "$(awk '{print $3}' "$W/c-$p.txt" | median)"
done

echo
echo "X11 revocation with a busy client (5 runs): publish time | until the client exited"
: > "$W/xrevoke.txt"
for _ in 1 2 3 4 5; do
	hcmd XH "grants x11" >/dev/null
	xrun "$W/x-proxy" "$W/x-sandbox.xauth" 1000 >/dev/null 2>&1 &
	cl=$!
	for _ in $(seq 500); do [ "$(hcmd XH count | awk '{print $3}')" = 1 ] && break; sleep 0.01; done
	sleep 0.2 # let it get into its XSync / image loop
	t0=$(date +%s%N)
	us=$(hcmd XH "grants none" | awk '{print $2}')
	conns=$(hcmd XH count | awk '{print $3}')
	wait "$cl" || true
	t1=$(date +%s%N)
	echo "$us $(( (t1 - t0) / 1000 )) $conns" >> "$W/xrevoke.txt"
done
awk '{printf "  %.2f ms | %.2f ms (connections left after publish: %d)\n", $1/1000, $2/1000, $3}' \
	"$W/xrevoke.txt"

echo
echo "X11 revocation of a busy confined client (5 runs): plugboard disconnect | until the client exited"
: > "$W/crevoke.txt"
for _ in 1 2 3 4 5; do
	"$B/cli/plugboard" connect bench-x:x11 >/dev/null
	crun 1000 >/dev/null 2>&1 &
	cl=$!
	sleep 0.5 # let it get into its XSync / image loop
	t0=$(date +%s%N)
	"$B/cli/plugboard" disconnect bench-x:x11 >/dev/null
	t1=$(date +%s%N)
	st=0
	wait "$cl" || st=$?
	t2=$(date +%s%N)
	echo "$(( (t1 - t0) / 1000 )) $(( (t2 - t0) / 1000 )) $st" >> "$W/crevoke.txt"
done
awk '{printf "  %.2f ms | %.2f ms (client exit status %d)\n", $1/1000, $2/1000, $3}' \
	"$W/crevoke.txt"
"$B/cli/plugboard" connect bench-x:x11 >/dev/null

# What the connect listener costs every other connect(2) of a sandbox with
# an X11 portal: a UNIX connect+accept loop natively, in a sandbox without
# the portal (no DISPLAY: plain filter) and in one with it.
CONNECT_PY='
import socket, time
p = "/tmp/pbbench-connect.sock"
l = socket.socket(socket.AF_UNIX); l.bind(p); l.listen(64)
n = 3000
t = time.perf_counter()
for i in range(n):
    c = socket.socket(socket.AF_UNIX); c.connect(p); a, _ = l.accept(); a.close(); c.close()
print("%.1f" % ((time.perf_counter() - t) / n * 1e6))
'
echo
echo "connect(2)+accept of a UNIX socket, µs each (median of 3 runs of 3,000):"
for _ in 1 2 3; do
	rm -f /tmp/pbbench-connect.sock
	python3 -c "$CONNECT_PY" >> "$W/conn-native.txt"
	rm -f /tmp/pbbench-connect.sock
	env -u DISPLAY "$B/cli/plugboard" run bench-x.sh "python3 -c '$CONNECT_PY'" >> "$W/conn-plain.txt"
	DISPLAY=":$N" XAUTHORITY="$W/xauth" "$B/cli/plugboard" run bench-x.sh \
		"python3 -c '$CONNECT_PY'" >> "$W/conn-notify.txt"
done
rm -f /tmp/pbbench-connect.sock
printf '  native %s | sandbox %s | sandbox with the X11 connect listener %s\n' \
	"$(median < "$W/conn-native.txt")" "$(median < "$W/conn-plain.txt")" \
	"$(median < "$W/conn-notify.txt")"

# ---------------------------------------------------------------- PulseAudio
[ "${PB_BENCH_ONLY:-}" = x11 ] && exit 0
mkdir -p "$W/pa/home" "$W/pa/run" "$W/pa/state"
HOME="$W/pa/home" PULSE_RUNTIME_PATH="$W/pa/run" PULSE_STATE_PATH="$W/pa/state" \
	pulseaudio -n --daemonize=no --exit-idle-time=-1 --disallow-exit --use-pid-file=no \
	--log-target=stderr -L module-null-sink \
	-L "module-native-protocol-unix socket=$W/pa/native auth-anonymous=1" 2>"$W/pa.log" &
PIDS+=($!)
export HOME="$W/pa/home"
for _ in $(seq 100); do PULSE_SERVER="unix:$W/pa/native" pactl info >/dev/null 2>&1 && break; sleep 0.1; done
sox -n -r 44100 -c 2 -b 16 "$W/tone10.wav" synth 10 sine 440 vol 0.5
printf 'enable-shm = no\n' > "$W/noshm.conf"
socat -b 262144 UNIX-LISTEN:"$W/pa-socat",fork UNIX-CONNECT:"$W/pa/native" &
PIDS+=($!)
start_harness PH --pulse "$W/pa-proxy" "$W/pa/native" --grants audio-playback,audio-record
for _ in $(seq 50); do [ -S "$W/pa-socat" ] && break; sleep 0.1; done

wall() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N);
	awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", b-a}'; }
echo
echo "PulseAudio: paplay of a 10 s file, wall seconds"
dp=$(PULSE_SERVER="unix:$W/pa/native" wall paplay "$W/tone10.wav")
sp=$(PULSE_SERVER="unix:$W/pa-socat" PULSE_CLIENTCONFIG="$W/noshm.conf" wall paplay "$W/tone10.wav")
pp=$(PULSE_SERVER="unix:$W/pa-proxy" wall paplay "$W/tone10.wav")
printf 'direct (memfd) %s s | socat -b 262144 (client SHM off) %s s | proxy %s s\n' "$dp" "$sp" "$pp"
awk -v d="$dp" -v p="$pp" 'BEGIN {printf "proxy vs direct: %+.2f %%\n", (p-d)/d*100}'

echo
echo "Revocation of a live recording (5 runs): publish time | until parec exited"
: > "$W/revoke.txt"
for _ in 1 2 3 4 5; do
	hcmd PH "grants audio-playback,audio-record" >/dev/null
	PULSE_SERVER="unix:$W/pa-proxy" parec --latency-msec=50 --device=null.monitor >/dev/null 2>&1 &
	rec=$!
	for _ in $(seq 200); do
		[ "$(PULSE_SERVER="unix:$W/pa/native" pactl list short source-outputs | wc -l)" = 1 ] && break
		sleep 0.02
	done
	t0=$(date +%s%N)
	us=$(hcmd PH "grants audio-playback" | awk '{print $2}')
	wait "$rec" || true
	t1=$(date +%s%N)
	echo "$us $(( (t1 - t0) / 1000 ))" >> "$W/revoke.txt"
done
awk '{printf "  %.2f ms | %.2f ms\n", $1/1000, $2/1000}' "$W/revoke.txt"
