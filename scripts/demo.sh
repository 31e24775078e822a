#!/bin/bash
# The main job, from a clean clone, as root on Debian bookworm:
#   sudo scripts/demo.sh
# Installs the build dependencies, builds, starts plugboardd with its embedded
# default state (a fresh state directory: only the system snap's implicit
# slots), installs example snaps, and runs confined apps as an unprivileged
# user while connecting and disconnecting their interfaces.
# PB_SKIP_DEPS=1 skips apt-get; PB_DEMO_USER picks the user (default pbdemo).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
[ "${PB_SKIP_DEPS:-0}" = 1 ] || scripts/install-deps.sh

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

say "build"
[ -d build ] || meson setup build --buildtype=debugoptimized >/dev/null
ninja -C build >/dev/null
pb="$repo/build/cli/plugboard"

user=${PB_DEMO_USER:-pbdemo}
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/sh "$user"
home=$(getent passwd "$user" | cut -d: -f6)

work=$(mktemp -d /var/tmp/plugboard-demo.XXXXXX)
chmod 755 "$work"
broker_pid=
cleanup() {
	[ -z "$broker_pid" ] || kill "$broker_pid" 2>/dev/null || true
	[ -z "$broker_pid" ] || wait "$broker_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

say "start the broker (fresh state: $work/state)"
"$repo/build/broker/plugboardd" --state-dir "$work/state" --socket "$work/plugboard.socket" \
	--declarations-dir "$work/declarations" --interfaces-dir "$work/interfaces" \
	2>"$work/plugboardd.log" &
broker_pid=$!
for _ in $(seq 100); do [ -S "$work/run.socket" ] && break; sleep 0.05; done
[ -S "$work/run.socket" ] || { cat "$work/plugboardd.log"; exit 1; }
export PLUGBOARD_SOCKET="$work/plugboard.socket"
export PLUGBOARD_RUN_SOCKET="$work/run.socket"

# Run a command as the demo user, confined apps included.
as_user() {
	su "$user" -s /bin/sh -c "cd; PLUGBOARD_SOCKET=$PLUGBOARD_SOCKET PLUGBOARD_RUN_SOCKET=$PLUGBOARD_RUN_SOCKET $*"
}

say "install example snaps"
show "$pb" install examples/media-check
show "$pb" install examples/reader
show "$pb" connections --all

say "a launcher script asks instead of guessing (plugctl is-connected)"
as_user "$pb" run media-check || true
show "$pb" connect media-check:removable-media
as_user "$pb" run media-check

say "what does home grant, in technical terms?"
show "$pb" interface home --attrs

say "a running app loses \$HOME the moment disconnect returns, and gets it back"
mkdir -p "$home/Documents"
echo "hello from $user's home" > "$home/Documents/hello.txt"
chown -R "$user:" "$home/Documents"
out="$work/reader.out"
as_user "$pb" run reader "$home/Documents/hello.txt" 16 >"$out" 2>&1 &
app=$!
wait_line() { # wait until the app printed a line matching $1 after line $2
	for _ in $(seq 200); do
		tail -n +"$(($2 + 1))" "$out" | grep -q "$1" && return 0
		sleep 0.05
	done
	echo "demo: the app never printed '$1'" >&2
	return 1
}
wait_line "^reader: read " 0
show "$pb" disconnect reader:home
mark=$(wc -l <"$out")
wait_line "^reader: cannot read" "$mark"
show "$pb" connect reader:home
mark=$(wc -l <"$out")
wait_line "^reader: read .*hello" "$mark"
wait "$app" || true
cat "$out"

say "what was refused, and which plug would have allowed it"
show "$pb" denials reader

say "done: the broker log is below"
cat "$work/plugboardd.log"
