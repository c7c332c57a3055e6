#!/bin/sh
# Runs one test guest under keel and compares its COM1 output and exit status with
# what a real x86-64 machine produces. Prints a diff (and keel's stderr) on mismatch.
# Usage: run_guest.sh KEEL GUEST.elf EXPECTED_STDOUT EXPECTED_STATUS [TIMEOUT_SECONDS]
# KEEL_GUEST_ARGS: more options for keel (e.g. -side-exits), split at spaces.
# KEEL_IMAGE_OPTION: the option that names the image (default -kernel; -bios for firmware).
set -u
if [ $# -lt 4 ]; then
    echo "usage: $0 keel guest.elf expected_stdout expected_status [timeout]" >&2
    exit 2
fi
keel=$1 elf=$2 expected=$3 want_status=$4 limit=${5:-120}

[ -x "$keel" ] || { echo "run_guest: $keel: not built" >&2; exit 1; }
[ -f "$elf" ] || { echo "run_guest: $elf: not built" >&2; exit 1; }

out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

# shellcheck disable=SC2086 # KEEL_GUEST_ARGS is a list of options
timeout "$limit" "$keel" ${KEEL_GUEST_ARGS:-} "${KEEL_IMAGE_OPTION:--kernel}" "$elf" >"$out" 2>"$err"
status=$?

fail=0
if [ "$status" -eq 124 ]; then
    echo "run_guest: $elf: no exit after ${limit}s (killed)"
    fail=1
elif [ "$status" -ne "$want_status" ]; then
    echo "run_guest: $elf: exit status $status, expected $want_status"
    fail=1
fi
if ! cmp -s "$expected" "$out"; then
    echo "run_guest: $elf: output differs from $expected (- expected, + actual):"
    diff -u "$expected" "$out" | tail -n +3
    fail=1
fi
if [ "$fail" -ne 0 ] && [ -s "$err" ]; then
    echo "--- keel stderr:"
    head -n 50 "$err"
fi
exit "$fail"
