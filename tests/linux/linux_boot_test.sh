#!/bin/sh
# linux.boot: the hosted keel boots Debian's unmodified kernel (scripts/linux/fetch-linux.sh)
# with the test initramfs, whose /init (init-test.sh) runs busybox commands, a static
# C program and a 32-bit program (compatibility mode) and powers off. Checks the marker, each command's block and status, the
# program's result, that dmesg has no error line other than the known ones
# (known-dmesg-errors.txt, each with its reason), and keel's exit status.
# Usage: linux_boot_test.sh KEEL LINUX_DIR KNOWN_DMESG_ERRORS
set -u
keel=$1 linux=$2 known=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

# poweroff -f: Linux enters ACPI S5 through the FADT's PM1a control block (keel's status 0);
# reboot -f: \_TTS(5), then the FADT's reset register, 0xCF9 (status 10, keel does not
# reboot); a panic with panic=-1: the same reset without \_TTS (status 12).
expected_status=0

timeout 900 "$keel" -m 512M -serial none -kernel "$linux/vmlinuz" -initrd "$linux/initrd-test.gz" \
    -append "console=ttyS0 panic=-1" >"$work/out" 2>"$work/err"
status=$?
tr -d '\r' <"$work/out" >"$work/console"

check() { # description, grep -E pattern that must match a line
    grep -qE "$2" "$work/console" || { echo "linux.boot: no $1 (pattern: $2)"; fail=1; }
}
check "init marker" '^KEEL-LINUX-INIT-REACHED$'
for block in uname cpuinfo pci-devices check_program check32; do
    check "successful $block block" "^=== END $block status=0 ===\$"
done
check "x86_64 uname" '^Linux .* x86_64 GNU/Linux$'
check "cpuinfo flags with fpu, fxsr, sse2" '^flags[[:space:]]*:.* fpu .*fxsr sse sse2'
check "PCI host bridge" '^0000:00:00\.0$'
check "check_program result" '^check_program: ok primes=454396537 '
check "32-bit program result (compatibility mode)" '^check32: ok$'
check "end marker" '^KEEL-LINUX-TESTS-DONE$'

# dmesg | grep -i error: every line must be a known one (the file lists them without
# their timestamp, each after a '# reason' comment).
sed -n '/^=== BEGIN dmesg-errors ===$/,/^=== END dmesg-errors/p' "$work/console" | sed '1d;$d' |
    sed 's/^\[ *[0-9.]*\] //' >"$work/dmesg-errors"
grep -v '^#' "$known" | grep -v '^$' >"$work/known"
unknown=$(grep -vxF -f "$work/known" "$work/dmesg-errors")
[ -z "$unknown" ] || { echo "linux.boot: dmesg errors not in $(basename "$known"):"; echo "$unknown"; fail=1; }
stale=$(grep -vxF -f "$work/dmesg-errors" "$work/known")
[ -z "$stale" ] || { echo "linux.boot: known dmesg errors that no longer occur (remove them):"; echo "$stale"; fail=1; }

[ "$status" -eq "$expected_status" ] || { echo "linux.boot: keel exit status $status, expected $expected_status"; fail=1; }
if [ "$fail" -ne 0 ]; then
    echo "--- keel's standard error:"; tail -n 20 "$work/err"
    echo "--- the console, last 60 lines:"; tail -n 60 "$work/console"
fi
# The 32-bit boot protocol entry (-linux-entry 32, issue 15): startup_32 in flat 32-bit
# protected mode, the decompressor's own switch to long mode, the same tests to the end.
timeout 900 "$keel" -linux-entry 32 -m 512M -serial none -kernel "$linux/vmlinuz" -initrd "$linux/initrd-test.gz" \
    -append "console=ttyS0 panic=-1" >"$work/out" 2>"$work/err"
status=$?
tr -d '\r' <"$work/out" | grep -q '^check32: ok$' && grep -q '^KEEL-LINUX-TESTS-DONE' "$work/out" && [ "$status" -eq 0 ] ||
    { echo "linux.boot: 32-bit entry: keel exit status $status, expected 0"; tail -n 20 "$work/out" "$work/err"; fail=1; }
# reboot -f (init-test.sh: keel.test=reboot) ends keel with the reset status.
timeout 900 "$keel" -m 512M -serial none -kernel "$linux/vmlinuz" -initrd "$linux/initrd-test.gz" \
    -append "console=ttyS0 panic=-1 keel.test=reboot" >"$work/out" 2>"$work/err"
status=$?
grep -q '^KEEL-LINUX-TESTS-DONE' "$work/out" && [ "$status" -eq 10 ] ||
    { echo "linux.boot: reboot: keel exit status $status, expected 10"; tail -n 20 "$work/out" "$work/err"; fail=1; }
# A panic before any user code (no such init, and rdinit= too, or the initramfs's /init
# would run; the kernel then finds no root file system and panics): panic=-1 resets at
# once, unannounced.
timeout 900 "$keel" -m 512M -serial none -kernel "$linux/vmlinuz" -initrd "$linux/initrd-test.gz" \
    -append "console=ttyS0 panic=-1 rdinit=/no-such-init init=/no-such-init" >"$work/out" 2>"$work/err"
status=$?
grep -q 'Kernel panic - not syncing' "$work/out" && [ "$status" -eq 12 ] ||
    { echo "linux.boot: panic: keel exit status $status, expected 12"; tail -n 20 "$work/out" "$work/err"; fail=1; }
exit $fail
