#!/bin/bash
# Build the libFuzzer targets (fuzz/) and fuzz each for SECONDS (default 60).
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# Steps: configure build-fuzz with clang (ASan+UBSan+libFuzzer), replay the
# seed corpora and fuzz/regressions/ (meson test --suite fuzz-regress), then
# run each target for SECONDS on a scratch copy of its corpus. Exit 1 on any
# crash, hang, leak or sanitizer report; the crashing input is copied to
# fuzz/regressions/<target>/ (commit it with the fix: it is replayed on every
# run from then on).
# CI runs `scripts/fuzz.sh 30` (8 targets: ~4.5 minutes). A long run:
#   scripts/fuzz.sh 3600          # an hour per target
# Env: PB_FUZZ_BUILD (default build-fuzz), PB_FUZZ_JOBS (parallel targets, 1),
# PB_FUZZ_SEED (libFuzzer -seed; CI fixes it so a run is reproducible, the long
# documented runs leave it random).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
all=(snap-yaml interface declaration state api pulse x11 snapctl)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
bdir=${PB_FUZZ_BUILD:-build-fuzz}

if [ ! -f "$bdir/build.ninja" ]; then
	CC=clang nice -n 10 meson setup "$bdir" -Dfuzz=true --buildtype=debugoptimized \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fsanitize=fuzzer-no-link -Dwerror=false >/dev/null
fi
# Only the fuzz targets (and what they link), not the whole tree.
nice -n 10 ninja -C "$bdir" -j2 $(printf 'fuzz/fuzz-%s ' "${targets[@]}") >/dev/null

export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:quarantine_size_mb=64
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

rc=0
echo "== fuzz: replay seed corpora and regressions"
for t in "${targets[@]}"; do
	if ! nice -n 10 meson test -C "$bdir" --no-rebuild --suite fuzz-regress \
		"fuzz-replay-$t" --print-errorlogs >/dev/null 2>&1; then
		echo "FAILED: replay of fuzz-$t (see $bdir/meson-logs/testlog.txt)" >&2
		rc=1
	fi
done

work=$(mktemp -d /var/tmp/pb-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
for t in "${targets[@]}"; do
	mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
	log="$work/$t/log"
	echo "== fuzz-$t for ${secs}s"
	set +e
	# New inputs go to the scratch corpus (first dir); the tree's seed corpus
	# is read only. -timeout: one input taking > 10 s is a hang.
	nice -n 10 "$bdir/fuzz/fuzz-$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		${PB_FUZZ_SEED:+-seed="$PB_FUZZ_SEED"} \
		-print_final_stats=1 -artifact_prefix="$work/$t/artifacts/" \
		"$work/$t/corpus" "fuzz/corpus/$t" "fuzz/regressions/$t" >"$log" 2>&1
	status=$?
	set -e
	grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$log" | tr '\n' ' ' || true
	echo
	if [ $status != 0 ]; then
		echo "FAILED: fuzz-$t (exit $status)" >&2
		grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$log" | head -20 >&2 || true
		for a in "$work/$t/artifacts/"*; do
			[ -e "$a" ] || continue
			dest="fuzz/regressions/$t/$(basename "$a")"
			cp "$a" "$dest"
			echo "  crashing input saved as $dest (fix the bug, commit the file)" >&2
		done
		rc=1
	fi
done
exit $rc
