#!/bin/bash
# cppcheck over every C file of the tree that the build compiles, with the
# checked-in configuration (scripts/cppcheck/). Exit 0 only when clean.
#   scripts/cppcheck.sh [BUILD_DIR]     (default: build; needs compile_commands.json)
set -euo pipefail
cd "$(dirname "$0")/.."
bdir=${1:-build}
if [ ! -f "$bdir/compile_commands.json" ]; then
	echo "cppcheck.sh: $bdir/compile_commands.json missing (meson setup $bdir)" >&2
	exit 2
fi
# Only the project's own files (the fuzz build's entries included), never
# generated or system code.
exec nice -n 10 cppcheck -q -j2 \
	--enable=warning,portability,performance \
	--error-exitcode=1 --inline-suppr \
	--std=c11 -D_GNU_SOURCE -Dnoreturn=_Noreturn \
	--library=scripts/cppcheck/plugboard.cfg \
	--suppressions-list=scripts/cppcheck/suppressions.txt \
	--project="$bdir/compile_commands.json" \
	-i "$bdir" \
	--template='{file}:{line}:{column}: {severity} [{id}] {message}'
