#!/bin/sh
# keel -icount shift=N: guest time is the instruction count (2^N ns each), so a run
# repeats exactly; the PIT's 999847 ns period shows as that many TSC ticks (the TSC runs
# at 1 GHz of virtual time) and as 4x fewer loop iterations per tick at shift=2 than at
# shift=0. The timer guests also pass under it.
# Usage: icount_test.sh KEEL GUEST_DIR
set -u
keel=$1 guests=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

for run in a b; do
    timeout 60 "$keel" -icount shift=0 -kernel "$guests/timing.elf" >"$work/s0.$run" 2>"$work/err"
    [ $? -eq 1 ] || { echo "timing (shift=0, run $run) failed:"; cat "$work/err"; fail=1; }
done
cmp -s "$work/s0.a" "$work/s0.b" || { echo "two runs with -icount shift=0 differ:"; diff "$work/s0.a" "$work/s0.b"; fail=1; }
timeout 60 "$keel" -icount shift=2 -kernel "$guests/timing.elf" >"$work/s2" 2>"$work/err" || true
[ "$(wc -l <"$work/s0.a")" -eq 8 ] && [ "$(wc -l <"$work/s2")" -eq 8 ] || { echo "timing printed:"; cat "$work/s0.a" "$work/s2"; fail=1; }

# Ticks 2-8 (the first starts mid-period): TSC within a block's worth of 999847 ns.
awk 'NR > 1 { tsc = $5; if (tsc < 999647 || tsc > 1000047) { print "tick TSC " tsc " is not 999847 +- 200"; bad = 1 } }
     END { exit bad }' "$work/s0.a" || fail=1
l0=$(awk 'NR == 8 { print $3 }' "$work/s0.a")
l2=$(awk 'NR == 8 { print $3 }' "$work/s2")
awk -v a="$l0" -v b="$l2" 'BEGIN { r = a / b; exit !(b > 0 && r > 3.99 && r < 4.01) }' ||
    { echo "loops per tick: $l0 at shift=0, $l2 at shift=2; expected a ratio of 4"; fail=1; }

for g in pit_pic lapic_timer rtc; do
    timeout 60 "$keel" -icount shift=0 -kernel "$guests/$g.elf" >"$work/out" 2>"$work/err"
    status=$?
    src=$(dirname "$0")
    [ "$status" -eq 1 ] && cmp -s "$work/out" "$src/$g.expected" ||
        { echo "$g under -icount: status $status"; diff "$src/$g.expected" "$work/out"; cat "$work/err"; fail=1; }
done

"$keel" -icount shift=11 -kernel "$guests/timing.elf" >/dev/null 2>"$work/err"
grep -qxF "keel: -icount: 'shift=11' is not a shift from 0 to 10 (2^N ns per guest instruction)" "$work/err" ||
    { echo "bad shift not refused:"; cat "$work/err"; fail=1; }
exit $fail
