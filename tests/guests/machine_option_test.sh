#!/bin/sh
# keel -M: a machine description file builds the machine the guest runs on; without a
# console UART the guest's output goes nowhere; mistakes in the file and unknown machine
# names are refused before any guest code runs.
# Usage: machine_option_test.sh KEEL GUEST.elf(hello)
set -u
keel=$1 guest=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

"$keel" -M help >"$work/out" 2>&1
grep -q "^  pc (default)$" "$work/out" || { echo "-M help does not list pc:"; cat "$work/out"; fail=1; }

"$keel" -device help >"$work/out" 2>&1
grep -q "^  uart16550 .*; options: console$" "$work/out" && grep -q "^  pci .*; options: none$" "$work/out" ||
    { echo "-device help does not list the device types:"; cat "$work/out"; fail=1; }

# The smallest machine the hello guest needs: COM1 and the debug-exit port.
printf 'arch x86_64\ndevice uart16550 com1 port=0x3f8+8 console=stdio\ndevice debug_exit exit port=0xf4+1\n' >"$work/tiny.cfg"
"$keel" -M "$work/tiny.cfg" -kernel "$guest" >"$work/out" 2>"$work/err"
status=$?
[ "$status" -eq 1 ] || { echo "tiny machine: keel exited $status, expected 1"; cat "$work/err"; fail=1; }
grep -qx "Hello from a keel guest" "$work/out" || { echo "tiny machine: no guest output"; cat "$work/out" "$work/err"; fail=1; }

# The same UART without console=stdio: the guest runs, its bytes are not shown.
printf 'arch x86_64\ndevice uart16550 com1 port=0x3f8+8\ndevice debug_exit exit port=0xf4+1\n' >"$work/quiet.cfg"
"$keel" -M "$work/quiet.cfg" -kernel "$guest" >"$work/out" 2>"$work/err"
status=$?
[ "$status" -eq 1 ] && [ ! -s "$work/out" ] || { echo "quiet machine: status $status, output:"; cat "$work/out"; fail=1; }

expect_refused() { # file-content expected-stderr-line
    printf "$1" >"$work/bad.cfg"
    "$keel" -M "$work/bad.cfg" -kernel "$guest" >"$work/out" 2>"$work/err"
    status=$?
    [ "$status" -eq 8 ] && [ ! -s "$work/out" ] || { echo "bad.cfg ($1): status $status (expected 8), output:"; cat "$work/out"; fail=1; }
    grep -qxF "$2" "$work/err" || { echo "bad.cfg ($1): expected: $2"; echo "got:"; cat "$work/err"; fail=1; }
}
expect_refused 'arch x86_64\ndevice uart16550 com1 port=0x3f8+8 baud=3\n' "keel: $work/bad.cfg:2: com1: unknown option 'baud' (uart16550 takes: console)"
expect_refused 'arch x86_64\ndevice pci pci port=0xcf8+8 slots=4\n' "keel: $work/bad.cfg:2: pci: unknown option 'slots' (pci takes no options)"
expect_refused 'arch x86_64\ndevice floppy fd0 port=0x3f0+6\n' "keel: $work/bad.cfg:2: no device type 'floppy' (its plugin, floppy.so, is not loaded)"
expect_refused 'device uart16550 com1\n' "keel: $work/bad.cfg: no 'arch' line"
# An empty file is a mistake, not the built-in pc.
expect_refused '' "keel: -M $work/bad.cfg: the file is empty (a machine description needs an 'arch' line: docs/machines.md)"
expect_refused '\n# only a comment\n' "keel: $work/bad.cfg: no 'arch' line"

"$keel" -M nosuch -kernel "$guest" >"$work/out" 2>"$work/err"
status=$?
[ "$status" -eq 8 ] || { echo "-M nosuch: keel exited $status, expected 8 (keel's error)"; fail=1; }
grep -qxF "keel: -M nosuch: not a built-in machine (-M help lists them) and nosuch: No such file or directory" "$work/err" ||
    { echo "-M nosuch: got:"; cat "$work/err"; fail=1; }
exit $fail
