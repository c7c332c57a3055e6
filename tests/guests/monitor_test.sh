#!/bin/sh
# keel -monitor stdio against a guest that spins forever: the monitor reads its memory,
# lists the machine, and quit ends keel with status 0.
# Usage: monitor_test.sh KEEL spin.elf
set -u
keel=$1 guest=$2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# Give the guest time to store its marker before asking for it.
{ sleep 1; printf 'x/1xg 0x300000\ninfo mtree\ninfo blocks\ninfo pic\ninfo lapic\nquit\n'; } |
    timeout 60 "$keel" -monitor stdio -kernel "$guest" >"$out" 2>&1
status=$?
fail=0
[ "$status" -eq 0 ] || { echo "monitor_test: keel exited $status, expected 0 after quit"; fail=1; }
for want in '^(keel) 0000000000300000: 0x5350494e5350494e$' \
            '00000000000003f8-00000000000003ff (prio 0, i/o): com1$' \
            '^(keel) translated blocks   [0-9]+' \
            '^(keel) pic0: irr=00 imr=ff isr=00 hprio=0 irq_base=00' \
            '^(keel) dumping local APIC state for CPU 0 .software-disabled.' \
            '^Timer    one-shot, initial count 0'; do
    grep -Eq -- "$(printf '%s' "$want" | sed 's/[()]/\\&/g')" "$out" || { echo "monitor_test: no line matching: $want"; fail=1; }
done
[ "$fail" -eq 0 ] || { echo "--- output:"; cat "$out"; }
exit $fail
