#!/bin/sh
# linux.refusals: what keel refuses about a Linux boot, each with one line naming the file
# and the reason, keel's error status 8, and no guest output (docs/linux.md).
# Usage: linux_refusals_test.sh KEEL LINUX_DIR ELF_GUEST
set -u
keel=$1 linux=$2 elf=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

expect_refused() { # extended regex for the whole stderr line, keel arguments...
    want=$1
    shift
    timeout 120 "$keel" "$@" >"$work/out" 2>"$work/err"
    status=$?
    lines=$(wc -l <"$work/err")
    if [ "$status" -ne 8 ] || [ -s "$work/out" ] || [ "$lines" -ne 1 ] || ! grep -qE "^$want\$" "$work/err"; then
        echo "keel $*: status $status (expected 8), stderr:"; cat "$work/err"; echo "expected: $want"; fail=1
    fi
}

kernel=$linux/vmlinuz
# Truncated: the setup header promises more protected-mode code than the file has.
head -c 2000000 "$kernel" >"$work/truncated"
expect_refused "keel: $work/truncated: truncated: the header says [0-9]+ bytes of protected-mode kernel, the file has [0-9]+" \
    -kernel "$work/truncated"
# Boot protocol 2.01 (version at 0x206, little-endian).
cp "$kernel" "$work/old"
printf '\001\002' | dd of="$work/old" bs=1 seek=518 conv=notrunc 2>/dev/null
expect_refused "keel: $work/old: Linux boot protocol 2.01; keel boots 2.12 and later" -kernel "$work/old"
# An initramfs that does not fit below the kernel's end and the top of RAM.
truncate -s 100M "$work/big.cpio"
expect_refused "keel: $work/big.cpio: the initramfs \\(100 MiB\\) does not fit in guest RAM between the kernel's end \\(0x[0-9a-f]+\\) and 0x[0-9a-f]+; give the guest more memory \\(-m\\)" \
    -m 128M -kernel "$kernel" -initrd "$work/big.cpio"
# -initrd and -append need a Linux kernel.
expect_refused "keel: -initrd needs a kernel \\(-kernel bzImage or a Multiboot kernel\\)" -initrd "$linux/initrd-test.gz"
expect_refused "keel: -initrd $linux/initrd-test.gz: only a Linux or Multiboot kernel takes an initramfs or a module, and $elf is neither" \
    -kernel "$elf" -initrd "$linux/initrd-test.gz"
expect_refused "keel: -append: only a Linux or Multiboot kernel takes a command line, and $elf is neither" -kernel "$elf" -append "console=ttyS0"
# A command line longer than the kernel's cmdline_size.
long=$(head -c 3000 /dev/zero | tr '\0' 'x')
expect_refused "keel: -append: 3000 bytes; this kernel takes a command line of at most [0-9]+" -kernel "$kernel" -append "$long"
exit $fail
