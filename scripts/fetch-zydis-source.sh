#!/usr/bin/env bash
# fetch-zydis-source.sh DEST
#
# Unpacks the source of Debian's zydis package, the version libzydis-dev has installed, into
# DEST/zydis (include/, src/) for the kernel's freestanding Zydis build
# (cmake/zydis_freestanding.cmake, docs/kernel-zydis.md). The zycore-c source is fetched the
# same way into DEST/zycore; if that fails, the installed libzycore-dev headers are used
# (Zydis built with ZYAN_NO_LIBC needs Zycore's headers only). DEST/zycore-include-dir names
# the Zycore include directory that was chosen.
#
# apt runs with a private configuration under DEST/apt (its own deb-src list, lists, caches
# and an empty dpkg status), so it works as root or not and never writes to /etc or
# /var/lib/apt. Only the upstream .orig tarball is unpacked (with tar, so dpkg-dev is not
# needed); Debian's patches are not applied (zydis 4.0.0-1 only patches README.md).
#
# Idempotent: does nothing when DEST/zydis/src exists and the stamp names the installed
# version.
set -euo pipefail

me=fetch-zydis-source
die() { echo "$me: error: $*" >&2; exit 1; }
note() { echo "$me: $*"; }

[[ $# -eq 1 && -n $1 ]] || die "usage: $0 DEST"
mkdir -p "$1" || die "cannot create $1"
dest=$(cd "$1" && pwd)
apt_dir=$dest/apt
stamp=$dest/zydis/.keel-source-stamp
zycore_choice=$dest/zycore-include-dir   # line 1: include dir; line 2: what it is

# installed_source BINARY_PACKAGE -> "SOURCE_PACKAGE SOURCE_VERSION", or nothing if the
# package is not installed.
installed_source() {
  dpkg-query -W -f='${db:Status-Abbrev}|${source:Package} ${source:Version}\n' "$1" 2>/dev/null |
    sed -n 's/^ii *|//p'
}

zydis_pkg=$(installed_source libzydis-dev)
[[ -n $zydis_pkg ]] || die "libzydis-dev is not installed (scripts/setup-deps.sh installs it)"
read -r zydis_src zydis_version <<<"$zydis_pkg"

if [[ -d $dest/zydis/src && -f $stamp && $(<"$stamp") == "$zydis_pkg" && -f $zycore_choice ]]; then
  note "$zydis_pkg source already in $dest/zydis"
  note "zycore headers: $(sed -n 2p "$zycore_choice")"
  exit 0
fi

# shellcheck source=lib/private-apt.sh
. "$(dirname "$0")/lib/private-apt.sh"
private_apt_init "$apt_dir"

private_apt_update

rm -f "$stamp" "$zycore_choice"
note "fetching $zydis_src $zydis_version"
if ! fetch_source "$zydis_src" "$zydis_version" "$dest/zydis"; then
  cat "$apt_dir/log/$zydis_src.log" >&2
  die "could not get the source of $zydis_src $zydis_version (the version libzydis-dev has" \
      "installed) from the sources in $apt_dir/sources.list; see above"
fi
[[ -f $dest/zydis/include/Zydis/Zydis.h && -f $dest/zydis/src/Decoder.c ]] ||
  die "$dest/zydis does not look like a Zydis source tree (no include/Zydis/Zydis.h, src/Decoder.c)"

zycore_pkg=$(installed_source libzycore-dev)
zycore_src=zycore-c zycore_version=
[[ -n $zycore_pkg ]] && read -r zycore_src zycore_version <<<"$zycore_pkg"
spec=$zycore_src${zycore_version:+=$zycore_version}
if fetch_source "$zycore_src" "${zycore_version:-}" "$dest/zycore" 2>/dev/null &&
   [[ -f $dest/zycore/include/Zycore/Zycore.h ]]; then
  printf '%s\n%s\n' "$dest/zycore/include" \
    "fetched $zycore_src ${zycore_version:-} source ($dest/zycore/include)" >"$zycore_choice"
else
  reason=$(apt_error "$zycore_src" || true)
  rm -rf "$dest/zycore" "$dest/zycore.tmp"
  header=$(dpkg-query -L libzycore-dev 2>/dev/null | grep -m1 '/Zycore/Zycore\.h$' || true)
  [[ -n $header ]] ||
    die "could not fetch $spec source (${reason:-see $apt_dir/log/$zycore_src.log}) and" \
        "libzycore-dev is not installed for its headers"
  printf '%s\n%s\n' "${header%/Zycore/Zycore.h}" \
    "installed libzycore-dev ${zycore_version:-} (${header%/Zycore.h}); $spec source unavailable: ${reason:-see $apt_dir/log/$zycore_src.log}" \
    >"$zycore_choice"
fi

echo "$zydis_pkg" >"$stamp"
note "$zydis_pkg source unpacked into $dest/zydis"
note "zycore headers: $(sed -n 2p "$zycore_choice")"
