#!/bin/sh
# Debian's SeaBIOS (the seabios package, which QEMU's own -bios default is) started by keel
# at the reset vector, a third-party firmware that follows only the PC's reset state and
# QEMU's pc devices. With no disk it ends its POST with "No bootable device", retries after
# 60 seconds of guest time (instant with -icount, which skips halts) and resets the
# machine: keel's status 12 (a reset without an orderly shutdown). Its debug console
# (port 0x402) reports each stage on stdout.
# Usage: seabios_test.sh KEEL [BIOS_BIN]
set -u
keel=$1 bios=${2:-/usr/share/seabios/bios.bin}
[ -f "$bios" ] || { echo "seabios_test: $bios: not installed (make deps installs the seabios package)"; exit 1; }
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
timeout 120 "$keel" -icount shift=7 -bios "$bios" >"$out" 2>"$err"
status=$?
fail=0
[ "$status" -eq 12 ] || { echo "seabios_test: exit status $status, expected 12 (the firmware's reset)"; fail=1; }
# Each stage, in order: the banner, RAM from the CMOS, its copy into shadow RAM (PAM), PCI
# enumeration of the i440FX and PIIX3, the CPU count from the local APIC, the TSC
# calibration against the PIT, the keyboard controller, the e820 map it builds, the boot
# attempts, and the reset.
expected='SeaBIOS (version
RamSize: 0x10000000 [cmos]
Relocating init from
Found 2 PCI devices (max PCI bus is 00)
PCI: init bdf=00:00.0 id=8086:1237
PCI: init bdf=00:01.0 id=8086:7000
Found 1 cpu(s) max supported 1 cpu(s)
CPU Mhz=
Found 2 serial ports
PS2 keyboard initialized
e820 map has 5 items:
  3: 0000000000100000 - 0000000010000000 = 1 RAM
No bootable device.  Retrying in 60 seconds.
Attempting a hard reboot'
rest=$(cat "$out")
echo "$expected" | while IFS= read -r want; do
    case "$rest" in
    *"$want"*) rest=${rest#*"$want"} ;;
    *) echo "seabios_test: missing (or out of order): $want"; exit 1 ;;
    esac
done || fail=1
if [ "$fail" -ne 0 ]; then
    echo "--- keel stdout (last 40 lines):"; tail -n 40 "$out"
    echo "--- keel stderr:"; head -n 20 "$err"
fi
exit "$fail"
