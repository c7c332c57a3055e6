#!/bin/sh
# make stress: the differential tester at scale (not part of make test). Runs CASES random
# cases in all, spread evenly over every form keel-diff knows, on every core (one keel-diff
# per core, each a shard of the forms: --shard K/N), with one master seed (printed; give
# SEED to repeat a run). Prints each mismatch with the keel-diff line that reproduces its
# case alone, and a summary: cases run, forms with mismatches, cases per second.
# Usage: stress.sh KEEL_DIFF [CASES] [SEED]    (output also in build/stress/)
set -u
tool=$1 cases=${2:-10000000} seed=${3:-$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')}
out=$(dirname "$tool")/../stress
mkdir -p "$out"
forms=$("$tool" --list | wc -l)
per_form=$(((cases + forms - 1) / forms))
jobs=$(nproc)
echo "stress: $cases cases ($per_form for each of $forms forms) on $jobs cores, master seed $seed"
start=$(date +%s)
k=0
while [ "$k" -lt "$jobs" ]; do
    "$tool" --master "$seed" --cases "$per_form" --shard "$k/$jobs" >"$out/shard-$k.txt" 2>&1 &
    k=$((k + 1))
done
wait
seconds=$(($(date +%s) - start))
[ "$seconds" -gt 0 ] || seconds=1
run=$(sed -n 's/^master seed [^,]*, \([0-9]*\) cases in .*/\1/p' "$out"/shard-*.txt | awk '{ s += $1 } END { print s + 0 }')
mismatched=$(grep -h '^MISMATCH ' "$out"/shard-*.txt | wc -l)
grep -h -A40 '^MISMATCH ' "$out"/shard-*.txt | grep -E '^MISMATCH |keel-diff --form' | head -n 200
grep -h '^generation error' "$out"/shard-*.txt | head -n 20
echo "stress: $run cases in $seconds s ($((run / seconds)) cases/s), $mismatched forms with mismatches, master seed $seed"
echo "stress: per-shard output in $out"
[ "$mismatched" -eq 0 ]
