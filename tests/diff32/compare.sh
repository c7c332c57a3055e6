#!/bin/sh
# The 32-bit differential test: runs the runner kernel (its cases from gen_cases.py) under
# keel and under qemu-system-x86_64 -accel tcg, the reference, and compares their lines.
# QEMU stands in for the host CPU, which cannot run 32-bit code on machines whose kernel
# has IA32 emulation off (tests/diff32/README.md). Prints each mismatch with its form and
# encoding, and the per-form summary.
# Usage: compare.sh KEEL RUNNER.elf CASES.list SEED
set -u
keel=$1 runner=$2 list=$3 seed=$4
command -v qemu-system-x86_64 >/dev/null || { echo "diff32: qemu-system-x86_64 is not installed (make deps)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
timeout 300 qemu-system-x86_64 -accel tcg -display none -nodefaults -serial stdio -m 128M \
    -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$runner" >"$work/qemu.out" 2>"$work/qemu.err"
qs=$?
timeout 300 "$keel" -kernel "$runner" >"$work/keel.out" 2>"$work/keel.err"
ks=$?
fail=0
for who in qemu keel; do
    grep -q '^diff32 done$' "$work/$who.out" || { echo "diff32: $who did not finish (status $( [ $who = qemu ] && echo $qs || echo $ks ))"; head -5 "$work/$who.err"; fail=1; }
done
[ "$fail" -eq 0 ] || exit 1
cases=$(grep -c '^[0-9]' "$work/qemu.out")
forms=$(sed 's/^[0-9]* \(.*\) |.*/\1/' "$list" | sort -u | wc -l)
if cmp -s "$work/qemu.out" "$work/keel.out"; then
    echo "diff32: $cases cases of $forms forms (seed $seed): keel and QEMU agree on every one"
    exit 0
fi
echo "diff32: keel and QEMU disagree (seed $seed; registers EAX ECX EDX EBX EBP ESI EDI, then EFLAGS masked by the SDM's defined flags):"
paste -d '\n' "$work/qemu.out" "$work/keel.out" | awk 'NR % 2 { q = $0; next } q != $0 { print q; print $0 }' >"$work/pairs"
head -n 40 "$work/pairs" | while IFS= read -r q && IFS= read -r k; do
    n=$(echo "$q" | cut -c1-5)
    echo "  $(grep "^$n " "$list")"
    echo "    QEMU $q"
    echo "    keel $k"
done
echo "mismatching cases per form:"
awk 'NR % 2' "$work/pairs" | cut -c1-5 | while read -r n; do grep "^$n " "$list" | sed 's/^[0-9]* \(.*\) |.*/\1/'; done | sort | uniq -c | sort -rn
exit 1
