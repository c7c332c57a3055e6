#!/bin/sh
# Boots a keel ESP image in QEMU (TCG; KVM does not work with OVMF on these machines) with
# OVMF, the serial console on stdio and isa-debug-exit, and exits with QEMU's status:
# (v << 1) | 1 for the value v keel writes to the debug-exit port (docs/kernel.md).
# Usage: qemu.sh IMAGE [extra qemu arguments...]
#   KEEL_QEMU_MEM  host RAM for keel (default 1G)
set -eu
[ $# -ge 1 ] || { echo "usage: $0 image [qemu args...]" >&2; exit 2; }
image=$1
shift
ovmf_code=/usr/share/OVMF/OVMF_CODE.fd
ovmf_vars=/usr/share/OVMF/OVMF_VARS.fd
for f in "$image" "$ovmf_code" "$ovmf_vars"; do
    [ -f "$f" ] || { echo "qemu.sh: $f: no such file" >&2; exit 1; }
done
# The firmware writes its variables; each boot gets a private copy.
vars=$(mktemp --suffix=.fd)
trap 'rm -f "$vars"' EXIT INT TERM
cp "$ovmf_vars" "$vars"
set +e
qemu-system-x86_64 -machine q35 -cpu max -accel tcg -m "${KEEL_QEMU_MEM:-1G}" \
    -drive if=pflash,format=raw,readonly=on,file="$ovmf_code" \
    -drive if=pflash,format=raw,file="$vars" \
    -drive format=raw,file="$image" \
    -serial stdio -display none -monitor none -no-reboot -net none \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 "$@"
status=$?
exit $status
