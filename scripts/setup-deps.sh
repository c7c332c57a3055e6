#!/usr/bin/env bash
# Installs, from Debian's package archive, whatever the build needs and this machine lacks.
# Called by every Makefile target before building, so a fresh Debian 12 needs nothing by hand.
# Usage: scripts/setup-deps.sh [group...]   groups: build (default), kernel, suites, bench
set -euo pipefail

declare -A GROUP
# valgrind: cli.stdin_exit checks keel's exit with memcheck.
# python3: tests/diff32 generates its cases with it.
GROUP[build]="cmake make g++ binutils nasm python3 libzydis-dev libzycore-dev libxbyak-dev catch2 valgrind"
# The UEFI kernel, its boot image and QEMU to boot it (make run, the boot tests); SeaBIOS
# is also the third-party firmware bios.seabios starts with keel -bios.
GROUP[kernel]="gnu-efi ovmf qemu-system-x86 mtools seabios"
# The public ISA suites (scripts/suites/fetch-suites.sh): Valgrind's generator is perl and
# QEMU's test-mmx.h python3; their tarballs are bzip2 and xz; the programs link statically
# against libc6-dev's libc.a; cpio packs the initramfs overlay.
GROUP[suites]="perl python3 bzip2 xz-utils cpio gcc libc6-dev"
# qemu-user gives bench/ its qemu-x86_64 column (QEMU's TCG on the same guest code).
GROUP[bench]="qemu-user"

groups=("$@")
[ ${#groups[@]} -eq 0 ] && groups=(build)

missing=()
for g in "${groups[@]}"; do
  for pkg in ${GROUP[$g]:?unknown dependency group $g}; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup-deps: installing from Debian: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has empty package lists; refresh them once, then install.
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
