#!/usr/bin/env bash
# fetch-suites.sh DEST LINUX_DIR
#
# The public guest-ISA test suites (issue 13, docs/testing.md#public-isa-suites), fetched
# and built at set-up time, never committed:
#   DEST/src/valgrind   Valgrind's none/tests (apt-get source valgrind: upstream tarball)
#   DEST/src/qemu       QEMU's tests/tcg (apt-get source qemu: upstream tarball)
#   DEST/root/SUITE/    static programs and programs.list (build-valgrind.sh, build-qemu-tcg.sh),
#                       plus run-suites.sh: what the guest runs
#   DEST/native.txt     run-suites.sh's blocks run natively on this host: the reference
#   DEST/initrd-suites.gz  LINUX_DIR/initrd-shell.gz (busybox) with an overlay archive on
#                       top: /init = tests/suites/init-suites.sh, /suites = DEST/root
# Each step is skipped when its inputs have not changed (stamps in DEST/stamps).
set -euo pipefail

me=fetch-suites
die() { echo "$me: error: $*" >&2; exit 1; }
note() { echo "$me: $*"; }

[[ $# -eq 2 ]] || die "usage: $0 DEST LINUX_DIR"
here=$(cd "$(dirname "$0")" && pwd)
tests=$(cd "$here/../../tests/suites" && pwd)
mkdir -p "$1/stamps"
dest=$(cd "$1" && pwd)
linux=$(cd "$2" && pwd)
[[ -f $linux/initrd-shell.gz ]] || die "$linux/initrd-shell.gz missing (scripts/linux/fetch-linux.sh makes it)"

"$here/../setup-deps.sh" suites

# stamp NAME KEY: true when step NAME last completed with KEY; mark NAME KEY records it.
stamp() { [[ -f $dest/stamps/$1 && $(<"$dest/stamps/$1") == "$2" ]]; }
mark() { echo "$2" >"$dest/stamps/$1"; }
hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

# --- Sources -----------------------------------------------------------------------------
# The candidate versions of Debian 12's valgrind and qemu source packages; only the parts
# the suites need are unpacked (QEMU's full tree is 23 MB of xz).
sources_key=$(hash_of "$here/../lib/private-apt.sh" "$0")
if stamp sources "$sources_key" && [[ -d $dest/src/valgrind/none/tests/amd64 && -f $dest/src/qemu/tests/tcg/i386/test-i386.c ]]; then
  note "sources (up to date)"
else
  # shellcheck source=../lib/private-apt.sh
  . "$here/../lib/private-apt.sh"
  private_apt_init "$dest/apt"
  private_apt_update
  mkdir -p "$dest/src"
  note "fetching valgrind's source (none/tests, tests, include)"
  fetch_source valgrind "" "$dest/src/valgrind" '*/none/tests/*' '*/tests/*' '*/include/*' '*/VEX/pub/*' ||
    { cat "$apt_dir/log/valgrind.log" >&2; die "could not fetch valgrind's source"; }
  note "fetching qemu's source (tests/tcg)"
  fetch_source qemu "" "$dest/src/qemu" '*/tests/tcg/*' ||
    { cat "$apt_dir/log/qemu.log" >&2; die "could not fetch qemu's source"; }
  sed -n 's/^Version: *//p' "$dest"/apt/download/valgrind/*.dsc | head -n1 >"$dest/src/valgrind.version"
  sed -n 's/^Version: *//p' "$dest"/apt/download/qemu/*.dsc | head -n1 >"$dest/src/qemu.version"
  rm -rf "$dest/apt/download"
  mark sources "$sources_key"
fi

# --- Programs ----------------------------------------------------------------------------
build_suite() { # SUITE BUILD_SCRIPT SRC
  local key
  key=$(hash_of "$2" "$dest/src/$1.version" <(gcc --version))
  if stamp "build-$1" "$key" && [[ -f $dest/root/$1/programs.list ]]; then
    note "$1 programs (up to date)"
    return
  fi
  rm -rf "$dest/root/$1"
  "$2" "$3" "$dest/root/$1"
  mark "build-$1" "$key"
}
build_suite valgrind "$here/build-valgrind.sh" "$dest/src/valgrind"
build_suite qemu "$here/build-qemu-tcg.sh" "$dest/src/qemu"
install -m 0755 "$tests/run-suites.sh" "$dest/root/run-suites.sh"

# --- The native reference ------------------------------------------------------------------
native_key=$(hash_of "$tests/run-suites.sh" "$dest"/root/*/programs.list "$dest"/stamps/build-*)
if stamp native "$native_key" && [[ -f $dest/native.txt ]]; then
  note "native reference (up to date)"
else
  note "running the suites natively for the reference (native.txt)"
  sh "$dest/root/run-suites.sh" "$dest/root" >"$dest/native.txt.tmp"
  mv "$dest/native.txt.tmp" "$dest/native.txt"
  mark native "$native_key"
fi

# --- The initramfs -----------------------------------------------------------------------
image_key=$(hash_of <(echo "$native_key") "$tests/init-suites.sh" "$linux/initrd-shell.gz")
if stamp image "$image_key" && [[ -f $dest/initrd-suites.gz ]]; then
  note "initrd-suites.gz (up to date)"
else
  overlay=$dest/overlay
  rm -rf "$overlay" && mkdir -p "$overlay"
  install -m 0755 "$tests/init-suites.sh" "$overlay/init"
  cp -a "$dest/root" "$overlay/suites"
  # Without their symbols and debug information (QEMU's are built -g): a smaller image,
  # the same code the native reference ran.
  find "$overlay/suites" -type f -perm -u+x ! -name '*.sh' -exec strip --strip-all {} +
  # The kernel unpacks concatenated archives in order, a later file replacing an earlier
  # one (Documentation/driver-api/early-userspace/buffer-format.rst): busybox's image
  # first, this /init and /suites over it.
  (cd "$overlay" && find . -mindepth 1 -printf '%P\n' | sort |
    cpio -o -H newc --reproducible -R 0:0 --quiet) | gzip -9n >"$dest/overlay.cpio.gz"
  cat "$linux/initrd-shell.gz" "$dest/overlay.cpio.gz" >"$dest/initrd-suites.gz.tmp"
  mv "$dest/initrd-suites.gz.tmp" "$dest/initrd-suites.gz"
  rm -rf "$overlay" "$dest/overlay.cpio.gz"
  mark image "$image_key"
  note "initrd-suites.gz built ($(stat -c %s "$dest/initrd-suites.gz") bytes)"
fi
note "done: $dest"
