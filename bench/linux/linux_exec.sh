#!/usr/bin/env bash
# The execution workloads inside Linux, side by side (issue 14; README.md): the hosted keel
# and qemu-system-x86_64 -accel tcg boot the same Debian kernel with the same initramfs
# (the test initramfs plus bench/linux/init-bench.sh and the workloads' static binaries),
# whose /init runs every workload once through guest-runner and powers off. RUNS boots of
# each, interleaved, plus the workloads run natively on the host by the same guest-runner.
# Per workload: the median time by the guest's own clock (and by the host's, from when
# the lines arrive), the ratios to native and QEMU's time over keel's. Every run must
# print the checksum the native run printed. Writes build/bench/linux_exec.json.
# Usage: linux_exec.sh BUILD_DIR [RUNS]
set -eu
build=$(cd "$1" && pwd) runs=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
linux=$build/linux bench=$build/bench keel=$build/bin/keel
workloads="integer_mix memory_heavy branchy call_heavy random_access pointer_chase sse_arrays"
append="console=ttyS0 panic=-1"
mem=512M

fail() { echo "linux_exec: $*" >&2; exit 1; }
[ -f "$linux/vmlinuz" ] && [ -f "$linux/initrd-test.gz" ] || fail "$linux: the kernel and initramfs are not fetched (make)"
[ -x "$bench/guest-runner" ] || fail "$bench/guest-runner missing (cmake --build $build --target bench-linux-exec)"
for w in $workloads; do [ -x "$bench/$w.native" ] || fail "$bench/$w.native missing"; done
command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 missing (scripts/setup-deps.sh kernel)"
command -v cpio >/dev/null || fail "cpio missing (scripts/linux/fetch-linux.sh installs it)"

# The initramfs: the test one, then a second archive whose /init replaces the first's
# (the kernel unpacks concatenated archives in order, a regular file over a regular file).
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/bench"
install -m 0755 "$here/init-bench.sh" "$work/root/init"
install -m 0755 "$bench/guest-runner" "$work/root/bench/guest-runner"
for w in $workloads; do install -m 0755 "$bench/$w.native" "$work/root/bench/$w.native"; done
echo "$workloads" >"$work/root/bench/workloads"
find "$work/root" -exec touch -h -d @0 {} +
(cd "$work/root" && find . -mindepth 1 -printf '%P\n' | sort | cpio -o -H newc --reproducible -R 0:0 --quiet) |
    gzip -9n >"$work/bench.cpio.gz"
initrd=$bench/initrd-bench.gz
cat "$linux/initrd-test.gz" "$work/bench.cpio.gz" >"$initrd"

ms_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }'; }
median() { awk 'NF' | sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A guest_ms host_ms checksum
# collect EXECUTOR COMMAND...: runs it, records per workload the guest's and the host's time
collect() {
    local executor=$1 line begin="" name ns sum seen=0
    shift
    while IFS= read -r line; do
        line=${line%$'\r'}
        case $line in
        "KEEL-BENCH-BEGIN "*) begin=$EPOCHREALTIME ;;
        "KEEL-BENCH-FAILED "*) fail "$executor: ${line#KEEL-BENCH-FAILED }" ;;
        "KEEL-BENCH "*)
            read -r _ name ns sum <<<"$line"
            guest_ms[$executor.$name]+="$(awk -v n="$ns" 'BEGIN { printf "%.1f", n / 1e6 }') "
            host_ms[$executor.$name]+="$(ms_since "$begin") "
            if [ -z "${checksum[$name]:-}" ]; then
                checksum[$name]=$sum
            elif [ "${checksum[$name]}" != "$sum" ]; then
                fail "$executor: $name printed $sum, native printed ${checksum[$name]}"
            fi
            seen=$((seen + 1))
            ;;
        esac
    done < <(timeout 1800 "$@" </dev/null 2>"$work/stderr" || true)
    [ "$seen" -eq "$(wc -w <<<"$workloads")" ] ||
        fail "$executor: $seen of the workloads ran (stderr: $(tail -c 2000 "$work/stderr"))"
}

for ((i = 0; i < runs; i++)); do
    collect native "$bench/guest-runner" "$bench" $workloads
    collect keel "$keel" -m "$mem" -serial none -kernel "$linux/vmlinuz" -initrd "$initrd" -append "$append"
    collect qemu qemu-system-x86_64 -accel tcg -m "$mem" -nographic -no-reboot -kernel "$linux/vmlinuz" \
        -initrd "$initrd" -append "$append"
    echo "linux_exec: round $((i + 1)) of $runs done" >&2
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else printf "-" }'; }
printf 'Workloads inside Linux (%s), median of %d boots each; ms by the guest clock (the host clock):\n' \
    "$(cat "$linux/kernel-package")" "$runs"
printf '  %-14s %16s %16s %16s %12s %12s %10s\n' workload native keel qemu-system keel/native qemu/native qemu/keel
json="{\"runs\": $runs, \"workloads\": ["
sep=""
for w in $workloads; do
    for e in native keel qemu; do
        eval "g_$e=\$(tr ' ' '\n' <<<\"\${guest_ms[$e.$w]}\" | median)"
        eval "h_$e=\$(tr ' ' '\n' <<<\"\${host_ms[$e.$w]}\" | median)"
    done
    printf '  %-14s %16s %16s %16s %12s %12s %10s\n' "$w" "$g_native ($h_native)" "$g_keel ($h_keel)" \
        "$g_qemu ($h_qemu)" "$(ratio "$g_keel" "$g_native")x" "$(ratio "$g_qemu" "$g_native")x" "$(ratio "$g_qemu" "$g_keel")x"
    json+="$sep{\"name\": \"$w\", \"checksum\": \"${checksum[$w]}\", \"native_ms\": $g_native, \"keel_ms\": $g_keel, \"qemu_ms\": $g_qemu, \"native_host_ms\": $h_native, \"keel_host_ms\": $h_keel, \"qemu_host_ms\": $h_qemu}"
    sep=", "
done
geo() { awk '{ if ($1 > 0 && $2 > 0) { s += log($2 / $1); n++ } } END { if (n) printf "%.2f", exp(s / n); else printf "-" }'; }
pairs() { for w in $workloads; do
    printf '%s %s\n' "$(tr ' ' '\n' <<<"${guest_ms[$1.$w]}" | median)" "$(tr ' ' '\n' <<<"${guest_ms[$2.$w]}" | median)"
done; }
printf '  geometric mean: keel %sx native, qemu-system %sx native, qemu-system/keel %sx (target: >= 3x, none below 1x)\n' \
    "$(pairs native keel | geo)" "$(pairs native qemu | geo)" "$(pairs keel qemu | geo)"
mkdir -p "$bench"
echo "$json]}" >"$bench/linux_exec.json"
