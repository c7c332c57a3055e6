#!/bin/sh
# Runs a firmware image in qemu-system-x86_64 (TCG) as keel's -bios runs it, and compares
# its COM1 output with the expected file: the reference keel's output is checked against.
# Usage: run_qemu.sh ROM EXPECTED_STDOUT
set -u
rom=$1 expected=$2
command -v qemu-system-x86_64 >/dev/null || { echo "run_qemu: qemu-system-x86_64 is not installed (make deps)"; exit 1; }
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
# The debug-exit device at 0xF4 as keel has it: the ROM's final write of 0 exits with 1.
timeout 100 qemu-system-x86_64 -accel tcg -bios "$rom" -display none -nodefaults -serial stdio \
    -device isa-debug-exit,iobase=0xf4,iosize=4 -no-reboot >"$out" 2>"$err"
status=$?
fail=0
[ "$status" -eq 1 ] || { echo "run_qemu: exit status $status, expected 1"; fail=1; }
if ! cmp -s "$expected" "$out"; then
    echo "run_qemu: output differs from $expected (- expected, + QEMU):"
    diff -u "$expected" "$out" | tail -n +3
    fail=1
fi
[ "$fail" -ne 0 ] && [ -s "$err" ] && { echo "--- qemu stderr:"; head -n 20 "$err"; }
exit "$fail"
