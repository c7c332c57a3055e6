#!/bin/sh
# Hostile guests must not stop keel from running them or from answering its monitor
# (issue 11 item 4). lapic_storm programs a periodic LAPIC timer with a 1 ns period and
# spins with interrupts on: the monitor must answer, and between two of its reads the
# guest's loop counter and interrupt counter must both have moved; quit ends keel with 0.
# Usage: hostile_test.sh KEEL lapic_storm.elf
set -u
keel=$1 storm=$2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
{ sleep 1; printf 'x/3xg 0x300000\n'; sleep 1; printf 'x/3xg 0x300000\nquit\n'; } |
    timeout 60 "$keel" -monitor stdio -kernel "$storm" >"$out" 2>&1
status=$?
fail=0
[ "$status" -eq 0 ] || { echo "hostile_test: lapic_storm: keel exited $status, expected 0 after quit"; fail=1; }
# Lines: "(keel) 0000000000300000: MARKER LOOPS" then "0000000000300010: INTERRUPTS".
loops=$(sed -n 's/^(keel) 0000000000300000: 0x4d524f5453434950 0x\([0-9a-f]*\)$/\1/p' "$out")
irqs=$(sed -n 's/^0000000000300010: 0x\([0-9a-f]*\)$/\1/p' "$out")
set -- $loops
if [ $# -ne 2 ]; then
    echo "hostile_test: lapic_storm: expected two monitor reads with the guest's marker"; fail=1
else
    [ $((0x$2)) -gt $((0x$1)) ] || { echo "hostile_test: lapic_storm: the guest's loop did not move (0x$1, 0x$2)"; fail=1; }
fi
set -- $irqs
if [ $# -ne 2 ]; then
    echo "hostile_test: lapic_storm: expected two reads of the interrupt counter"; fail=1
else
    [ $((0x$2)) -gt $((0x$1)) ] || { echo "hostile_test: lapic_storm: no timer interrupts between the reads (0x$1, 0x$2)"; fail=1; }
fi
[ "$fail" -eq 0 ] && echo "hostile_test: lapic_storm: monitor answered, guest ran and took interrupts"
[ "$fail" -eq 0 ] || { echo "--- output:"; cat "$out"; }
exit $fail
