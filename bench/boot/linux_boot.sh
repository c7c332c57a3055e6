#!/usr/bin/env bash
# Linux boot time, side by side (issue 12): the hosted keel and qemu-system-x86_64 -accel
# tcg boot the same Debian kernel, test initramfs and command line (build/linux, from
# scripts/linux/fetch-linux.sh), interleaved, RUNS times each. For every run, the time
# from process start to the /init marker (KEEL-LINUX-INIT-REACHED) and to the process's
# exit after the test program and the power-off; medians and the keel/QEMU ratio.
# Writes build/bench/linux_boot.json. Usage: linux_boot.sh BUILD_DIR [RUNS]
set -eu
build=$1 runs=${2:-3}
linux=$build/linux
keel=$build/bin/keel
append="console=ttyS0 panic=-1"
[ -f "$linux/vmlinuz" ] || { echo "linux_boot: $linux/vmlinuz: not fetched (make)" >&2; exit 1; }
command -v qemu-system-x86_64 >/dev/null || { echo "linux_boot: qemu-system-x86_64 missing (scripts/setup-deps.sh kernel)" >&2; exit 1; }

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ms_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }'; }

# run_one NAME COMMAND...: prints "init_ms exit_ms"
run_one() {
    local start t_init="" line
    start=$EPOCHREALTIME
    while IFS= read -r line; do
        line=${line%$'\r'}
        [ -z "$t_init" ] && [ "$line" = "KEEL-LINUX-INIT-REACHED" ] && t_init=$(ms_since "$start")
    done < <("$@" </dev/null 2>/dev/null)
    echo "${t_init:-0} $(ms_since "$start")"
}

declare -a keel_init keel_exit qemu_init qemu_exit
for ((i = 0; i < runs; i++)); do
    read -r a b < <(run_one "$keel" -m 512M -serial none -kernel "$linux/vmlinuz" -initrd "$linux/initrd-test.gz" -append "$append")
    keel_init+=("$a") keel_exit+=("$b")
    read -r a b < <(run_one qemu-system-x86_64 -accel tcg -m 512M -nographic -no-reboot -kernel "$linux/vmlinuz" \
        -initrd "$linux/initrd-test.gz" -append "$append")
    qemu_init+=("$a") qemu_exit+=("$b")
done
ki=$(printf '%s\n' "${keel_init[@]}" | median) ke=$(printf '%s\n' "${keel_exit[@]}" | median)
qi=$(printf '%s\n' "${qemu_init[@]}" | median) qe=$(printf '%s\n' "${qemu_exit[@]}" | median)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
printf 'Linux boot, %s, median of %d interleaved runs, ms from process start:\n' "$(cat "$linux/kernel-package")" "$runs"
printf '  %-28s %10s %10s %8s\n' "" "keel" "qemu-tcg" "keel/qemu"
printf '  %-28s %10s %10s %8s\n' "/init marker" "$ki" "$qi" "$(ratio "$ki" "$qi")"
printf '  %-28s %10s %10s %8s\n' "tests run, powered off" "$ke" "$qe" "$(ratio "$ke" "$qe")"
mkdir -p "$build/bench"
printf '{"runs": %d, "keel_init_ms": %s, "keel_exit_ms": %s, "qemu_init_ms": %s, "qemu_exit_ms": %s}\n' \
    "$runs" "$ki" "$ke" "$qi" "$qe" >"$build/bench/linux_boot.json"
