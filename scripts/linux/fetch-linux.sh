#!/usr/bin/env bash
# Fetches and assembles the Linux guest keel boots (issue 12): Debian's unmodified kernel and
# two busybox initramfs images; and memtest86+'s Linux-protocol images (issue 15). Nothing of it is committed; everything comes from Debian's
# package archive at set-up time.
#
# Usage: scripts/linux/fetch-linux.sh DEST_DIR
#
# DEST_DIR/vmlinuz          the kernel that linux-image-amd64 depends on (its /boot/vmlinuz-*)
# DEST_DIR/kernel-version   that package's version, e.g. 6.1.192-3
# DEST_DIR/kernel-package   that package's name, e.g. linux-image-6.1.0-57-amd64
# DEST_DIR/initrd-test.gz   /init = tests/linux/init-test.sh, with /check_program and /check32
# DEST_DIR/initrd-shell.gz  /init = tests/linux/init-shell.sh (interactive shell)
# DEST_DIR/memtest86+x64.bin, memtest86+ia32.bin   memtest86+'s Linux-protocol images
# DEST_DIR/debs/            the downloaded .debs (a cache: a .deb of the same version is reused)
# DEST_DIR/extract/         what the script unpacked from them
#
# Re-running is cheap: each product is redone only when the hash of its inputs (package
# versions, the files under tests/linux/, this script) differs from the one recorded in
# DEST_DIR/.stamps/. The images are reproducible: sorted file lists, fixed owners and mtimes,
# renumbered inodes and `gzip -n`, so a rebuild from the same inputs is byte-identical.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 DEST_DIR" >&2; exit 2; }
umask 022
export LC_ALL=C

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
script="$here/$(basename "${BASH_SOURCE[0]}")"
tests="$(cd "$here/../../tests/linux" && pwd)"
mkdir -p "$1"
dest="$(cd "$1" && pwd)"
debs="$dest/debs" extract="$dest/extract" stamps="$dest/.stamps" work="$dest/build"
mkdir -p "$debs" "$extract" "$stamps"

# Fixed mtime of everything inside the images (1970-01-01, like SOURCE_DATE_EPOCH=0).
epoch=0
# Busybox applets the two /init scripts call; the build fails early if one is missing.
needed_applets="sh mount mkdir cat ls uname dmesg grep poweroff reboot sleep setsid cttyhack"

step() { echo "fetch-linux: $*"; }

sudo_cmd=()
as_root() {
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "fetch-linux: need root (or sudo) for: $*" >&2; exit 1; }
    sudo_cmd=(sudo)
  fi
  "${sudo_cmd[@]}" "$@"
}

# --- tools -----------------------------------------------------------------------------
# gcc and libc6-dev build the static check program (libc.a, libm.a), nasm and binutils'
# ld the 32-bit one; cpio packs the images.
missing=()
for pkg in cpio gcc libc6-dev nasm binutils; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# A fresh machine has empty package lists; refresh them once, only then. (Each apt-cache
# call costs most of a second here, so the answer is kept for the next step.)
if ! depends="$(apt-cache depends linux-image-amd64 2>/dev/null)"; then
  step "package lists empty, running apt-get update"
  as_root apt-get update -qq
  depends="$(apt-cache depends linux-image-amd64)"
fi
if [ ${#missing[@]} -gt 0 ]; then
  step "installing from Debian: ${missing[*]}"
  # Quiet unless it fails (debconf chatters on stderr even when all goes well).
  if ! log="$(DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" 2>&1)"; then
    echo "$log" >&2
    exit 1
  fi
else
  step "tools present (cpio, gcc, libc6-dev, nasm, binutils)"
fi

# --- which packages ----------------------------------------------------------------------
# linux-image-amd64 is the metapackage; its candidate depends on the versioned kernel
# package (linux-image-<abi>-amd64), whose candidate version is the one fetched.
kernel_pkg="$(sed -n 's/^  Depends: \(linux-image-[^ <>]*\)$/\1/p' <<<"$depends" | head -n1)"
[ -n "$kernel_pkg" ] || { echo "fetch-linux: cannot tell which kernel linux-image-amd64 depends on" >&2; exit 1; }
policy="$(apt-cache policy "$kernel_pkg" busybox-static memtest86+)"
# candidate_version PKG: the "Candidate:" line of PKG's paragraph in $policy.
candidate_version() { awk -v pkg="$1:" '/^[^ ]/ { in_pkg = ($1 == pkg) } in_pkg && $1 == "Candidate:" { print $2 }' <<<"$policy"; }
kernel_version="$(candidate_version "$kernel_pkg")"
busybox_version="$(candidate_version busybox-static)"
memtest_version="$(candidate_version memtest86+)"
for v in "$kernel_version" "$busybox_version" "$memtest_version"; do
  [ -n "$v" ] && [ "$v" != "(none)" ] || { echo "fetch-linux: no candidate version for $kernel_pkg, busybox-static or memtest86+" >&2; exit 1; }
done
step "kernel $kernel_pkg $kernel_version, busybox-static $busybox_version, memtest86+ $memtest_version"

# --- download ----------------------------------------------------------------------------
# Sets $fetched to the cached .deb of package $1 at version $2, downloading it when absent;
# other versions of the package in the cache are removed.
fetch_deb() {
  local pkg="$1" version="$2" f found=""
  for f in "$debs/${pkg}"_*.deb; do
    [ -e "$f" ] || continue
    if [ "$(dpkg-deb -f "$f" Package)" = "$pkg" ] && [ "$(dpkg-deb -f "$f" Version)" = "$version" ]; then
      found="$f"
    else
      rm -f "$f"
    fi
  done
  if [ -n "$found" ]; then
    step "cached $(basename "$found")"
  else
    # apt-get download drops privileges to _apt when it can; running it in a directory
    # _apt cannot write would only produce a warning, so do not let that reach the user.
    # Whether it worked is judged by the file it leaves, below.
    (cd "$debs" && apt-get download -qq "$pkg=$version" 2>&1 | { grep -v unsandboxed || true; } >&2) || true
    found="$(ls "$debs/${pkg}"_*.deb 2>/dev/null | head -n1 || true)"
    [ -n "$found" ] || { echo "fetch-linux: apt-get download $pkg=$version failed" >&2; exit 1; }
    step "downloaded $(basename "$found")"
  fi
  fetched="$found"
}
fetch_deb "$kernel_pkg" "$kernel_version"
kernel_deb="$fetched"
fetch_deb busybox-static "$busybox_version"
busybox_deb="$fetched"
fetch_deb memtest86+ "$memtest_version"
memtest_deb="$fetched"

# --- unpack ------------------------------------------------------------------------------
# up_to_date NAME KEY: true when product NAME was last made from inputs hashing to KEY.
up_to_date() { [ -f "$stamps/$1" ] && [ "$(cat "$stamps/$1")" = "$2" ]; }
mark_done() { echo "$2" >"$stamps/$1"; }

# The kernel package is 70 MB and unpacks to 400 MB, nearly all modules the guest does not
# load (its initramfs has none); only ./boot is taken from it. busybox-static is unpacked whole.
unpack() {
  local name="$1" deb="$2" key
  shift 2
  key="$(basename "$deb")"
  if up_to_date "extract-$name" "$key" && [ -d "$extract/$name" ]; then
    step "unpacked $name (up to date)"
    return
  fi
  rm -rf "${extract:?}/$name"
  mkdir -p "$extract/$name"
  if [ $# -eq 0 ]; then
    dpkg-deb -x "$deb" "$extract/$name"
  else
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$extract/$name" "$@"
  fi
  mark_done "extract-$name" "$key"
  step "unpacked $name from $(basename "$deb")"
}
unpack kernel "$kernel_deb" ./boot
unpack busybox "$busybox_deb"
unpack memtest "$memtest_deb" ./boot

# --- kernel ------------------------------------------------------------------------------
vmlinuz_src=("$extract"/kernel/boot/vmlinuz-*)
[ ${#vmlinuz_src[@]} -eq 1 ] && [ -f "${vmlinuz_src[0]}" ] ||
  { echo "fetch-linux: expected one boot/vmlinuz-* in $(basename "$kernel_deb")" >&2; exit 1; }
if cmp -s "${vmlinuz_src[0]}" "$dest/vmlinuz"; then
  step "vmlinuz (up to date)"
else
  cp "${vmlinuz_src[0]}" "$dest/vmlinuz.tmp"
  mv "$dest/vmlinuz.tmp" "$dest/vmlinuz"
  step "vmlinuz <- ${vmlinuz_src[0]#"$extract"/kernel/}"
fi
echo "$kernel_version" >"$dest/kernel-version"
echo "$kernel_pkg" >"$dest/kernel-package"

# --- memtest86+ ---------------------------------------------------------------------------
# Its Linux-protocol images (issue 15's memtest test): x64 has both entries, ia32 only the
# 32-bit one.
for m in x64 ia32; do
  src="$extract/memtest/boot/memtest86+$m.bin"
  [ -f "$src" ] || { echo "fetch-linux: no boot/memtest86+$m.bin in $(basename "$memtest_deb")" >&2; exit 1; }
  cmp -s "$src" "$dest/memtest86+$m.bin" || cp "$src" "$dest/memtest86+$m.bin"
done
step "memtest86+x64.bin, memtest86+ia32.bin ($memtest_version)"

# --- initramfs images --------------------------------------------------------------------
busybox="$extract/busybox/bin/busybox"
[ -x "$busybox" ] || { echo "fetch-linux: no bin/busybox in $(basename "$busybox_deb")" >&2; exit 1; }
applets="$("$busybox" --list-full)"
for a in $needed_applets; do
  grep -qE "(^|/)$a\$" <<<"$applets" ||
    { echo "fetch-linux: busybox-static $busybox_version lacks the applet $a" >&2; exit 1; }
done

# Prints a newc archive holding just the character device /dev/console (5, 1). The kernel
# opens it as init's stdin/stdout/stderr before running /init, and GNU cpio can only archive
# nodes that exist on disk, which takes root to make. The kernel reads archives concatenated
# in one image in order, so this one goes after the main one (which creates /dev).
console_cpio() {
  local name="dev/console" fields
  # ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
  fields="$(printf '%08X' 1 $((0020600)) 0 0 1 $epoch 0 0 0 5 1 $((${#name} + 1)) 0)"
  # Header (110 bytes) + name + NUL, padded to a multiple of 4: 110 + 12 = 122 -> 2 NULs.
  printf '070701%s%s\0\0\0' "$fields" "$name"
  fields="$(printf '%08X' 0 0 0 0 1 0 0 0 0 0 0 11 0)"
  printf '070701%sTRAILER!!!\0\0\0\0' "$fields" # 110 + 11 = 121 -> 3 NULs of padding
}

# make_initrd OUT INIT [FILE DEST_IN_IMAGE]...
make_initrd() {
  local out="$1" init="$2" key root i
  shift 2
  key="$( (cat "$script" "$init" "$busybox"; for ((i = 1; i <= $#; i += 2)); do cat "${!i}"; done; echo "$@") |
    sha256sum | cut -d' ' -f1)"
  if up_to_date "$(basename "$out")" "$key" && [ -f "$out" ]; then
    step "$(basename "$out") (up to date)"
    return
  fi
  root="$work/$(basename "$out" .gz)"
  rm -rf "$root"
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,etc}
  chmod 1777 "$root/tmp"
  install -m 0755 "$init" "$root/init"
  install -m 0755 "$busybox" "$root/bin/busybox"
  local applet
  while read -r applet; do
    [ "$applet" = bin/busybox ] || ln -s /bin/busybox "$root/$applet"
  done <<<"$applets"
  while [ $# -ge 2 ]; do
    install -m 0755 "$1" "$root/$2"
    shift 2
  done
  find "$root" -exec touch -h -d "@$epoch" {} +
  (
    cd "$root"
    find . -mindepth 1 -printf '%P\n' | sort |
      cpio -o -H newc --reproducible -R 0:0 --quiet
    console_cpio
  ) | gzip -9n >"$out.tmp"
  mv "$out.tmp" "$out"
  mark_done "$(basename "$out")" "$key"
  step "$(basename "$out") built ($(stat -c %s "$out") bytes)"
}

# build_program NAME SOURCE HOW COMMAND...: $work/NAME from tests/linux/SOURCE by COMMAND
# (run in tests/linux), unless it was built from the same source and script already.
build_program() {
  local name="$1" source="$2" how="$3" key
  shift 3
  key="$(cat "$tests/$source" "$script" | sha256sum | cut -d' ' -f1)"
  if up_to_date "$name" "$key" && [ -x "$work/$name" ]; then
    step "$name (up to date)"
    return
  fi
  mkdir -p "$work"
  (cd "$tests" && "$@")
  mark_done "$name" "$key"
  step "$name built with $how"
}
check_bin="$work/check_program"
check32_bin="$work/check32"
# Stripped, and compiled from its own directory, so no build path ends up in the binary.
build_program check_program check_program.c "gcc -static -O2" gcc -static -O2 -s -Wall -o "$check_bin" check_program.c -lm
# The 32-bit program (compatibility mode under the 64-bit kernel): no libc, so no i386
# development packages are needed.
build_program check32 check32.asm "nasm -f elf32 and ld -m elf_i386" \
  sh -c 'nasm -f elf32 -o "$1.o" check32.asm && ld -m elf_i386 -static -s -o "$1" "$1.o"' sh "$check32_bin"

make_initrd "$dest/initrd-test.gz" "$tests/init-test.sh" "$check_bin" check_program "$check32_bin" check32
make_initrd "$dest/initrd-shell.gz" "$tests/init-shell.sh"
step "done: $dest"
