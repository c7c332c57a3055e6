#!/usr/bin/env bash
# Boot-to-guest-output time of the UEFI kernel in QEMU/OVMF (TCG): boots the default image
# (build/uefi-image/keel.img: the demo guest) several times, timestamps every serial line
# as it arrives, and prints the median time from QEMU's start to each milestone:
#   firmware  keel's first line (OVMF has loaded and started keel.efi)
#   ready     "keel: ready" (ExitBootServices, page tables, IDT, heap, timer calibration)
#   guest     the guest's first line of output
#   exit      QEMU has exited (the demo finished)
# Writes build/bench/boot_time.json too. Usage: boot_time.sh BUILD_DIR [RUNS]
set -eu
build=$1 runs=${2:-5}
image=$build/uefi-image/keel.img
qemu=$(cd "$(dirname "$0")/../../uefi-image" && pwd)/qemu.sh
[ -f "$image" ] || { echo "boot_time: $image: not built (make)" >&2; exit 1; }

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -a firmware ready guest total
for ((i = 0; i < runs; i++)); do
    start=$EPOCHREALTIME
    t_fw="" t_ready="" t_guest="" seen_header=0
    while IFS= read -r line; do
        now=$EPOCHREALTIME
        line=${line%$'\r'}
        ms=$(awk -v a="$start" -v b="$now" 'BEGIN { printf "%d", (b - a) * 1000 }')
        case "$line" in
        "keel: UEFI boot"*) t_fw=$ms ;;
        "keel: ready "*) t_ready=$ms ;;
        "keel: === guest 1/"*) seen_header=1 ;;
        *) if [ "$seen_header" = 1 ] && [ -z "$t_guest" ]; then t_guest=$ms; fi ;;
        esac
    done < <("$qemu" "$image" </dev/null 2>/dev/null)
    end=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
    firmware+=("$t_fw") ready+=("$t_ready") guest+=("$t_guest") total+=("$end")
done

m_fw=$(printf '%s\n' "${firmware[@]}" | median)
m_ready=$(printf '%s\n' "${ready[@]}" | median)
m_guest=$(printf '%s\n' "${guest[@]}" | median)
m_total=$(printf '%s\n' "${total[@]}" | median)
printf 'UEFI boot in QEMU/OVMF (TCG), median of %d runs, ms from QEMU start:\n' "$runs"
printf '  %-34s %6s\n' "keel.efi started (firmware)" "$m_fw" "keel ready (own page tables, IDT...)" "$m_ready" \
    "first guest output" "$m_guest" "guest done, QEMU exited" "$m_total"
mkdir -p "$build/bench"
printf '{"runs": %d, "firmware_ms": %s, "keel_ready_ms": %s, "first_guest_output_ms": %s, "exit_ms": %s}\n' \
    "$runs" "$m_fw" "$m_ready" "$m_guest" "$m_total" >"$build/bench/boot_time.json"
