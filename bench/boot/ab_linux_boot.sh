#!/usr/bin/env bash
# Two keel builds on the Linux boot, side by side (docs/benchmarks.md#comparing-two-builds):
# boots the same Debian kernel and test initramfs (build/linux) with keel A and keel B in
# turn, RUNS times each (A, B, A, B, ...), and prints for each the median time from process
# start to the /init marker and the median of -stats' translating time. On a shared, noisy
# machine only such alternating pairs say whether a change helped; one run of each does not.
# Usage: ab_linux_boot.sh LINUX_DIR KEEL_A KEEL_B [RUNS]  (each KEEL with its plugins beside it)
set -eu
linux=$1 keel_a=$2 keel_b=$3 runs=${4:-7}
[ -f "$linux/vmlinuz" ] || { echo "ab_linux_boot: $linux/vmlinuz: not fetched (make)" >&2; exit 1; }
for k in "$keel_a" "$keel_b"; do
    [ -x "$k" ] || { echo "ab_linux_boot: $k: not an executable" >&2; exit 1; }
done

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
stats=$(mktemp)
trap 'rm -f "$stats"' EXIT

# boot KEEL: prints "init_ms translating_ms"
boot() {
    local start=$EPOCHREALTIME t_init=0 line
    while IFS= read -r line; do
        line=${line%$'\r'}
        if [ "$t_init" = 0 ] && [ "$line" = "KEEL-LINUX-INIT-REACHED" ]; then
            t_init=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
        fi
    done < <("$1" -stats -m 512M -serial none -kernel "$linux/vmlinuz" -initrd "$linux/initrd-test.gz" \
        -append "console=ttyS0 panic=-1" </dev/null 2>"$stats")
    echo "$t_init $(sed -n 's/.*run time [0-9]* ms: translating \([0-9]*\) ms.*/\1/p' "$stats" | tail -n 1)"
}

declare -a a_init a_translate b_init b_translate
for ((i = 0; i < runs; i++)); do
    read -r t tr < <(boot "$keel_a")
    a_init+=("$t") a_translate+=("${tr:-0}")
    read -r t tr < <(boot "$keel_b")
    b_init+=("$t") b_translate+=("${tr:-0}")
done
ai=$(printf '%s\n' "${a_init[@]}" | median) bi=$(printf '%s\n' "${b_init[@]}" | median)
at=$(printf '%s\n' "${a_translate[@]}" | median) bt=$(printf '%s\n' "${b_translate[@]}" | median)
printf 'Linux boot, %d alternating runs each, medians (ms):\n' "$runs"
printf '  %-10s %10s %12s\n' "" "/init" "translating"
printf '  %-10s %10s %12s   %s\n' "A" "$ai" "$at" "$keel_a"
printf '  %-10s %10s %12s   %s\n' "B" "$bi" "$bt" "$keel_b"
awk -v a="$ai" -v b="$bi" 'BEGIN { if (a > 0) printf "  B/A: %.3f\n", b / a }'
printf '  every run (A B): '
for ((i = 0; i < runs; i++)); do printf '%s %s  ' "${a_init[i]}" "${b_init[i]}"; done
echo
