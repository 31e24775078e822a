#!/bin/bash
# The whole test suite, from a clean clone, as root on Debian bookworm:
#   sudo scripts/test.sh
# Installs the Debian packages it needs, builds twice (release-ish and
# ASan+UBSan), and runs the unit and integration tests against both builds.
# Set PB_SKIP_DEPS=1 to skip the apt-get step, PB_BUILDS="build" for one build.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${PB_SKIP_DEPS:-0}" = 1 ] || scripts/install-deps.sh

builds=${PB_BUILDS:-"build build-asan"}
passed=0
failed=0
# How the views take requests (fs/ring.c): the plain build's integration
# tests run with /dev/fuse, the sanitizer build's with FUSE over io_uring
# where the kernel has it (tests/integration/fs/test_ring.py turns io_uring
# on for itself in both). The fuse module's setting is put back at the end.
URING_PARAM=/sys/module/fuse/parameters/enable_uring
uring_before=$(cat "$URING_PARAM" 2>/dev/null || true)
restore_uring() {
	if [ -n "$uring_before" ]; then echo "$uring_before" >"$URING_PARAM" || true; fi
}
trap restore_uring EXIT
for b in $builds; do
	opts=(--buildtype=debugoptimized -Dwerror=true)
	if [ "$b" = build-asan ]; then
		opts+=(-Db_sanitize=address,undefined -Db_lundef=false)
	fi
	if [ -d "$b" ]; then
		meson configure "$b" "${opts[@]}" >/dev/null
	else
		meson setup "$b" "${opts[@]}" >/dev/null
	fi
	ninja -C "$b" >/dev/null
	echo "== unit tests ($b)"
	set +e
	meson test -C "$b" --suite unit --print-errorlogs > "$b/unit.log" 2>&1
	set -e
	cat "$b/unit.log" | grep -E "^ *[0-9]+/[0-9]+ " || true
	ok=$(awk '/^Ok:/{print $2}' "$b/unit.log")
	bad=$(awk '/^Fail:/{print $2}' "$b/unit.log")
	to=$(awk '/^Timeout:/{print $2}' "$b/unit.log")
	passed=$((passed + ${ok:-0}))
	failed=$((failed + ${bad:-0} + ${to:-0}))
	if [ -z "$ok" ]; then
		cat "$b/unit.log"
		failed=$((failed + 1))
	fi
	transport="/dev/fuse"
	if [ -w "$URING_PARAM" ]; then
		if [ "$b" = build-asan ]; then
			echo Y >"$URING_PARAM"
			transport="io_uring"
		else
			echo N >"$URING_PARAM"
		fi
	fi
	echo "== integration tests ($b; views through $transport)"
	set +e
	PB_BUILD_DIR="$PWD/$b" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		/usr/bin/python3 -m pytest -p no:cacheprovider -q tests/integration \
		--junitxml="$b/pytest.xml" 2>&1 | tee "$b/pytest.log"
	set -e
	p=$(/usr/bin/python3 - "$b/pytest.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    r = ET.parse(sys.argv[1]).getroot()
    s = r if r.tag == "testsuite" else r.find("testsuite")
    t, f, e, sk = (int(s.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
    print(t - f - e - sk, f + e, sk)
except Exception:
    print(0, 1, 0)
PY
)
	read -r ip ifail isk <<<"$p"
	passed=$((passed + ip))
	failed=$((failed + ifail))
	if [ "$isk" != 0 ]; then
		echo "error: $isk integration tests skipped; skips are failures here" >&2
		failed=$((failed + isk))
	fi
done

# Counted checks of the hardening area (docs/SECURITY.md): each adds one pass
# or one failure to the totals. Static analysis runs over the first build's
# compile_commands.json.
count_check() {
	local name=$1
	shift
	echo "== $name"
	if "$@"; then
		echo "ok: $name"
		passed=$((passed + 1))
	else
		echo "FAILED: $name" >&2
		failed=$((failed + 1))
	fi
}
first_build=${builds%% *}
if [ "${PB_SKIP_ANALYSIS:-0}" != 1 ]; then
	count_check "clang-tidy" scripts/analyze.sh "$first_build" clang-tidy
	count_check "cppcheck" scripts/analyze.sh "$first_build" cppcheck
fi
# libFuzzer (clang): replay corpora + regressions, then each target for
# PB_FUZZ_SECONDS (8 targets x 30 s by default; longer: scripts/fuzz.sh 3600).
if [ "${PB_SKIP_FUZZ:-0}" != 1 ]; then
	count_check "fuzz (${PB_FUZZ_SECONDS:-30} s per target)" env PB_FUZZ_SEED="${PB_FUZZ_SEED:-1}" scripts/fuzz.sh "${PB_FUZZ_SECONDS:-30}"
fi
echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
