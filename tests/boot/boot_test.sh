#!/usr/bin/env bash
# A boot test: builds an ESP image with keel and the given files, boots it headless in
# QEMU/OVMF with a timeout, and checks QEMU's exit status (keel's debug-exit value v gives
# (v << 1) | 1), lines the serial log must contain, and optionally each guest's own output.
#
# Usage: boot_test.sh BUILD WORKDIR STATUS KEEL.cfg CHECKS GUESTS [ESP_PATH=HOST_FILE ...]
#   CHECKS  file of extended regexes, one per line, each must match a line of the log
#   GUESTS  "-" or a file of "name|elf|expected_output|hosted_status" lines: each guest's
#           output in the log must equal expected_output, and its exit value must be what
#           the hosted keel's status means (tests/guests/CMakeLists.txt)
#   KEEL_BOOT_TIMEOUT  seconds (default 600)
set -u
[ $# -ge 6 ] || { echo "usage: $0 build workdir status keel.cfg checks guests [esp=host ...]" >&2; exit 2; }
build=$1 work=$2 want_status=$3 cfg=$4 checks=$5 guests=$6
shift 6
image_dir=$(cd "$(dirname "$0")/../../uefi-image" && pwd)

rm -rf "$work"
mkdir -p "$work"
log=$work/serial.log
# Every image carries keel's plugins (the x86 architecture and the devices), the
# architecture unless the test says otherwise.
plugins=$build/plugins/
if [ -n "${KEEL_BOOT_NO_ARCH:-}" ]; then
    plugins=$work/plugins/
    mkdir -p "$plugins" && cp "$build"/plugins/*.so "$plugins" && rm -f "$plugins/x86_64.so"
fi
"$image_dir/make-image.sh" "$work/keel.img" "$build/kernel/keel.efi" "$build/kernel/keel.sym" "$cfg" "plugins/=$plugins" "$@" || exit 1

# KEEL_BOOT_INPUT: a script typed at the serial console as the boot goes: "wait REGEX"
# waits until the log has a matching line, "send TEXT" types TEXT (printf %b escapes).
input=/dev/null driver=""
raw=$work/serial.raw
: >"$raw"
if [ -n "${KEEL_BOOT_INPUT:-}" ]; then
    input=$work/input
    mkfifo "$input"
    (
        exec 3>"$input"
        while IFS= read -r step; do
            case "$step" in
            "wait "*)
                for _ in $(seq 1500); do grep -aEq -- "${step#wait }" "$raw" && break; sleep 0.2; done ;;
            "send "*) printf '%b' "${step#send }" >&3 ;;
            esac
        done <"$KEEL_BOOT_INPUT"
        sleep 600
    ) &
    driver=$!
fi

started=$(date +%s%N)
KEEL_QEMU_MEM=1G timeout "${KEEL_BOOT_TIMEOUT:-600}" "$image_dir/qemu.sh" "$work/keel.img" <"$input" >"$raw" 2>"$work/qemu.stderr"
status=$?
[ -n "$driver" ] && kill "$driver" 2>/dev/null
tr -d '\r' <"$raw" >"$log"
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))

fail=0
complain() { echo "boot_test: $*"; fail=1; }

if [ "$status" -eq 124 ]; then
    complain "QEMU did not exit within ${KEEL_BOOT_TIMEOUT:-600}s"
elif [ "$status" -ne "$want_status" ]; then
    complain "QEMU exit status $status, expected $want_status"
fi

if [ "$checks" != "-" ]; then
    while IFS= read -r pattern; do
        case "$pattern" in '' | '#'*) continue ;; esac
        grep -Eq -- "$pattern" "$log" || complain "the serial log has no line matching: $pattern"
    done <"$checks"
fi

# hosted keel status -> the value the kernel reports (kernel/main/exit_codes.h)
expected_value() {
    case "$1" in
    2) echo 0x71 ;; 4) echo 0x72 ;; 6) echo 0x73 ;;
    *) printf '0x%x\n' $(( $1 >> 1 )) ;;
    esac
}

if [ "$guests" != "-" ]; then
    while IFS='|' read -r name elf expected hosted_status; do
        [ -n "$name" ] || continue
        path="guests/$name.elf"
        # The guest's output: the lines after keel's header for it, up to keel's first line
        # about it ("keel: guest <path>: ...").
        awk -v header="keel: === guest [0-9]+/[0-9]+: $path " -v stop="keel: guest $path: " '
            inside && index($0, stop) == 1 { exit }
            inside { print }
            $0 ~ "^" header { inside = 1 }' "$log" >"$work/$name.out"
        if ! cmp -s "$expected" "$work/$name.out"; then
            complain "guest $name: output differs from $expected (- expected, + actual):"
            diff -u "$expected" "$work/$name.out" | tail -n +3 | head -40
        fi
        want=$(expected_value "$hosted_status")
        grep -q "^keel: === guest $path ended: exit value $want " "$log" ||
            complain "guest $name: no 'ended: exit value $want' line"
    done <"$guests"
fi

if [ "$fail" -ne 0 ]; then
    echo "--- serial log ($log), last 60 lines:"
    tail -n 60 "$log"
    [ -s "$work/qemu.stderr" ] && { echo "--- qemu stderr:"; head -20 "$work/qemu.stderr"; }
else
    echo "boot_test: passed in ${elapsed_ms} ms (QEMU status $status)"
fi
exit "$fail"
