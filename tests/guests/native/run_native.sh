#!/bin/sh
# The native runner's two jobs, for one user-level guest built as a Linux program
# (tests/guests/README.md, "Where the expected values come from"):
#   run_native.sh check  PROGRAM EXPECTED   run it on the host CPU; its output must equal
#                                           EXPECTED and its status be 0 (ctest guest_native.NAME)
#   run_native.sh update PROGRAM EXPECTED   run it and write its output to EXPECTED
#                                           (make target guest-expected); refuses when a
#                                           check failed, so a FAIL line never becomes expected
set -u
if [ $# -ne 3 ] || { [ "$1" != check ] && [ "$1" != update ]; }; then
    echo "usage: $0 check|update PROGRAM EXPECTED" >&2
    exit 2
fi
mode=$1 program=$2 expected=$3
[ -x "$program" ] || { echo "run_native: $program: not built" >&2; exit 1; }

out=$(mktemp)
trap 'rm -f "$out"' EXIT
timeout 60 "$program" >"$out"
status=$?
if [ "$status" -ne 0 ]; then
    echo "run_native: $program: exit status $status, expected 0 (failed checks, or killed)"
    cat "$out"
    exit 1
fi
if [ "$mode" = update ]; then
    if cmp -s "$out" "$expected"; then
        echo "run_native: $expected: unchanged"
    else
        cp "$out" "$expected" && echo "run_native: $expected: rewritten from the native run"
    fi
    exit 0
fi
if ! cmp -s "$expected" "$out"; then
    echo "run_native: $program: output differs from $expected (- expected, + native):"
    diff -u "$expected" "$out" | tail -n +3
    exit 1
fi
exit 0
