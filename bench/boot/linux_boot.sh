#!/usr/bin/env bash
# Linux boot time, side by side (issue 12): the hosted keel and qemu-system-x86_64 -accel
# tcg boot the same Debian kernel, test initramfs and command line (build/linux, from
# scripts/linux/fetch-linux.sh), interleaved, RUNS times each. For every run, the time
# from process start to the /init marker (KEEL-LINUX-INIT-REACHED) and to the process's
# exit after the test program and the power-off; medians and the keel/QEMU ratio. keel
# runs with -stats, so the table also says where its time went (translating, halted, the
# rest: translated code, helpers, devices). Then, once and informational, the UEFI kernel
# under QEMU boots the same files (tests/boot/linux.cfg) and its own split is reported.
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

stats=$(mktemp)
trap 'rm -f "$stats"' EXIT

# run_one NAME COMMAND...: prints "init_ms exit_ms"; standard error goes to $stats
run_one() {
    local start t_init="" line
    start=$EPOCHREALTIME
    while IFS= read -r line; do
        line=${line%$'\r'}
        [ -z "$t_init" ] && [ "$line" = "KEEL-LINUX-INIT-REACHED" ] && t_init=$(ms_since "$start")
    done < <("$@" </dev/null 2>"$stats")
    echo "${t_init:-0} $(ms_since "$start")"
}

# keel's -stats line: "keel: run time W ms: translating T ms (...), halted H ms (...), running
# the rest R ms (...)": prints "T H R"
split_of() { sed -n 's/.*run time [0-9]* ms: translating \([0-9]*\) ms.*halted \([0-9]*\) ms.*running the rest \([0-9]*\) ms.*/\1 \2 \3/p' "$1" | tail -n 1; }

declare -a keel_init keel_exit qemu_init qemu_exit keel_translate keel_halted keel_rest
for ((i = 0; i < runs; i++)); do
    read -r a b < <(run_one "$keel" -stats -m 512M -serial none -kernel "$linux/vmlinuz" -initrd "$linux/initrd-test.gz" -append "$append")
    keel_init+=("$a") keel_exit+=("$b")
    read -r t h r < <(split_of "$stats"; echo "0 0 0")
    keel_translate+=("$t") keel_halted+=("$h") keel_rest+=("$r")
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
kt=$(printf '%s\n' "${keel_translate[@]}" | median) kh=$(printf '%s\n' "${keel_halted[@]}" | median)
kr=$(printf '%s\n' "${keel_rest[@]}" | median)
printf "keel's run to the power-off (-stats, medians): translating %s ms, halted %s ms, running the rest %s ms\n" "$kt" "$kh" "$kr"

# The UEFI kernel under QEMU (TCG), once: keel's own timing lines from the serial log.
uefi_run="" uefi_split=""
if [ -f "$build/kernel/keel.efi" ] && [ "${KEEL_BENCH_UEFI:-1}" != 0 ]; then
    work=$build/bench/uefi-linux
    root=$(cd "$(dirname "$0")/../.." && pwd)
    if KEEL_BOOT_TIMEOUT=1800 "$root/tests/boot/boot_test.sh" "$build" "$work" $(((0x75 << 1) | 1)) "$root/tests/boot/linux.cfg" \
        "$root/tests/boot/linux.checks" - "linux/vmlinuz=$linux/vmlinuz" "linux/initrd-test.gz=$linux/initrd-test.gz" >/dev/null; then
        uefi_run=$(sed -n 's/.*guest linux\/vmlinuz ended: exit value 0x75 after \([0-9]*\) ms.*/\1/p' "$work/serial.log")
        uefi_split=$(sed -n 's/.*guest linux\/vmlinuz run time //p' "$work/serial.log")
        printf 'keel in the UEFI kernel under qemu-system-x86_64 -accel tcg (informational, one run): %s ms to the power-off\n  %s\n' \
            "$uefi_run" "$uefi_split"
    else
        echo "keel in the UEFI kernel under QEMU: the boot failed (log: $work/serial.log)"
    fi
fi

mkdir -p "$build/bench"
printf '{"runs": %d, "keel_init_ms": %s, "keel_exit_ms": %s, "qemu_init_ms": %s, "qemu_exit_ms": %s, "keel_translate_ms": %s, "keel_halted_ms": %s, "keel_rest_ms": %s, "uefi_kernel_run_ms": %s}\n' \
    "$runs" "$ki" "$ke" "$qi" "$qe" "$kt" "$kh" "$kr" "${uefi_run:-null}" >"$build/bench/linux_boot.json"
