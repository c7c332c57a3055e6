#!/bin/sh
# `make run`: puts a guest on a fresh ESP image with keel, boots it in QEMU, and shows
# keel's boot log followed by the guest's own output.
# Usage: run.sh BUILD_DIR [GUEST_FILE] [MEM] [APPEND] [INITRD] [BIOS_FILE]
#   GUEST_FILE  a Linux bzImage or an ELF test guest on the host (default: Debian's kernel
#               with the busybox shell initramfs, build/linux; docs/linux.md)
#   MEM         guest RAM, QEMU -m syntax (default 256M)
#   APPEND      the guest's command line (default for the Linux default: console=ttyS0)
#   INITRD      a Linux guest's initramfs
#   BIOS_FILE   firmware to start at the reset vector instead of a guest (keel.cfg bios =)
set -eu
build=$1
guest=${2:-}
mem=${3:-256M}
append=${4:-}
initrd=${5:-}
bios=${6:-}
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "$bios" ]; then
    [ -z "$guest" ] || { echo "make run: GUEST and BIOS together: the firmware loads its OS itself" >&2; exit 1; }
    guest=$bios
    echo "make run: $bios from the reset vector (docs/bios.md)"
elif [ -z "$guest" ]; then
    guest=$build/linux/vmlinuz
    [ -n "$initrd" ] || initrd=$build/linux/initrd-shell.gz
    [ -n "$append" ] || append="console=ttyS0"
    echo "make run: Debian's kernel with a busybox shell (type 'exit' or 'poweroff -f' to end; Ctrl-A c: keel's monitor)"
fi

[ -f "$guest" ] || { echo "make run: guest file $guest: no such file" >&2; exit 1; }
[ -z "$initrd" ] || [ -f "$initrd" ] || { echo "make run: initrd $initrd: no such file" >&2; exit 1; }
work=$build/uefi-image/run
mkdir -p "$work"
name=$(basename "$guest" | tr -c 'A-Za-z0-9._\n-' '_')
{
    echo "# written by uefi-image/run.sh for make run"
    if [ -n "$bios" ]; then echo "bios = guests/$name"; else echo "guest = guests/$name"; fi
    echo "memory = $mem"
    [ -n "$append" ] && echo "append = $append"
    [ -n "$initrd" ] && echo "initrd = guests/$(basename "$initrd" | tr -c 'A-Za-z0-9._\n-' '_')"
} >"$work/keel.cfg"
initrd_spec=
[ -n "$initrd" ] && initrd_spec="guests/$(basename "$initrd" | tr -c 'A-Za-z0-9._\n-' '_')=$initrd"
"$here/make-image.sh" "$work/keel.img" "$build/kernel/keel.efi" "$build/kernel/keel.sym" "$work/keel.cfg" \
    "guests/$name=$guest" $initrd_spec "plugins/=$build/plugins/"

# QEMU's RAM: the guest's plus room for keel (heap, translation cache, page tables).
mem_mib=$(echo "$mem" | awk '{ n = $0 + 0; u = substr($0, length(n "") + 1, 1);
    if (u == "G" || u == "g") n *= 1024; else if (u == "K" || u == "k") n = int(n / 1024); print n }')
export KEEL_QEMU_MEM="$((mem_mib + 768))M"

set +e
"$here/qemu.sh" "$work/keel.img"
status=$?
set -e
# isa-debug-exit: status (v << 1) | 1. The guest's debug-exit value 0 (status 1), an ACPI
# power-off (0x75) and a reset (0x76) are ordinary ends.
if [ "$status" -eq 1 ] || [ "$status" -eq $(((0x75 << 1) | 1)) ] || [ "$status" -eq $(((0x76 << 1) | 1)) ]; then
    exit 0
fi
if [ $((status & 1)) -eq 1 ]; then
    echo "make run: keel ended with debug-exit value 0x$(printf %x $((status >> 1))) (QEMU status $status; docs/kernel.md)" >&2
else
    echo "make run: QEMU exited with status $status" >&2
fi
exit "$status"
