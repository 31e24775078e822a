#!/bin/bash
# Static analysis: clang-tidy (.clang-tidy) over the project's own .c files,
# using BUILD_DIR/compile_commands.json, then cppcheck (scripts/cppcheck.sh).
#   scripts/analyze.sh [BUILD_DIR] [clang-tidy|cppcheck|all]
# Exit 0 only when both are clean (after scripts/clang-tidy-suppressions.txt).
# Takes about 2 minutes on 2 cores (nice'd).
set -euo pipefail
cd "$(dirname "$0")/.."
bdir=${1:-build}
what=${2:-all}
if [ ! -f "$bdir/compile_commands.json" ]; then
	echo "analyze.sh: $bdir/compile_commands.json missing (meson setup $bdir)" >&2
	exit 2
fi
rc=0
if [ "$what" = all ] || [ "$what" = clang-tidy ]; then
	log=$(mktemp /var/tmp/pb-clang-tidy.XXXXXX)
	trap 'rm -f "$log"' EXIT
	# Only the project's sources (not tests: PB_CHECK-style test code is
	# checked by running it, under ASan).
	set +e
	nice -n 10 run-clang-tidy -quiet -j2 -p "$bdir" \
		"$PWD/(common|policy|broker|fs|portals|sandbox|cli|fuzz)/.*\.c$" >"$log" 2>&1
	set -e
	/usr/bin/python3 - "$log" scripts/clang-tidy-suppressions.txt "$PWD" "$bdir" <<'PY' || rc=1
import os, re, sys
log, supp_file, root, bdir = sys.argv[1:5]
ansi = re.compile(r"\x1b\[[0-9;]*m")
supp = set()
for line in open(supp_file):
    line = line.split("#", 1)[0].strip()
    if line:
        supp.add(line)
finding = re.compile(r"^(\S+?):(\d+):(\d+): (?:warning|error): (.*) \[([^\]]+)\]$")
seen, bad, hidden = set(), [], 0
for raw in open(log, errors="replace"):
    m = finding.match(ansi.sub("", raw.rstrip("\n")))
    if not m:
        continue
    path = os.path.relpath(os.path.realpath(os.path.join(root, bdir, m.group(1))), root)
    checks = [c for c in m.group(5).split(",") if c != "-warnings-as-errors"]
    key = (path, m.group(2), m.group(3), tuple(checks))
    if key in seen:
        continue
    seen.add(key)
    if all(f"{path}:{c}" in supp for c in checks):
        hidden += 1
        continue
    bad.append(f"{path}:{m.group(2)}:{m.group(3)}: {m.group(4)} [{','.join(checks)}]")
for b in bad:
    print(b)
print(f"clang-tidy: {len(bad)} finding(s), {hidden} suppressed false positive(s)")
sys.exit(1 if bad else 0)
PY
	# A compiler error (not a finding) also fails: run-clang-tidy exits non-zero
	# and the log says "error generated" without a check name.
	if grep -q "clang-diagnostic-error" "$log"; then
		grep "clang-diagnostic-error" "$log" | sed 's/\x1b\[[0-9;]*m//g' >&2
		rc=1
	fi
fi
if [ "$what" = all ] || [ "$what" = cppcheck ]; then
	scripts/cppcheck.sh "$bdir" || rc=1
fi
exit $rc
