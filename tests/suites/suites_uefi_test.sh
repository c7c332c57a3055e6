#!/bin/sh
# suites.uefi: a subset of the public suites in the UEFI kernel under QEMU (the whole set
# would take hours of nested emulation): tests/boot/boot_test.sh boots keel.cfg
# suites_uefi.cfg, whose command line names the programs (keel.suites=...), then
# suite_report --subset compares them with the native run.
# Usage: suites_uefi_test.sh BUILD SUITES_DIR KNOWN_FAILURES
set -u
build=$1 suites=$2 known=$3
here=$(cd "$(dirname "$0")" && pwd)
work=$build/tests/suites/uefi
KEEL_BOOT_TIMEOUT=2400 "$here/../boot/boot_test.sh" "$build" "$work" $(((0x75 << 1) | 1)) "$here/suites_uefi.cfg" \
    "$here/suites_uefi.checks" - "linux/vmlinuz=$build/linux/vmlinuz" "suites/initrd-suites.gz=$suites/initrd-suites.gz"
status=$?
"$build/bin/suite_report" --subset --status-only "$here/status-only.txt" "$suites/native.txt" "$work/serial.log" "$known" \
    >"$work/report" || status=1
cat "$work/report"
{ echo "Public ISA suites, a subset, in the UEFI kernel under QEMU (suites.uefi):"; cat "$work/report"; } >"$suites/report-uefi.txt"
exit $status
