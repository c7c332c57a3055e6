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

# --- Private apt configuration --------------------------------------------------------------

# deb-src lines for the system's Debian sources (deb822 debian.sources and one-line
# sources.list), keeping each entry's signed-by keyring.
system_deb_src() {
  local f=/etc/apt/sources.list.d/debian.sources
  if [[ -f $f ]]; then
    awk '
      function flush(  nu, ns, i, j, opt) {
        if (types ~ /(^|[ \t])deb([ \t]|$)/ && tolower(enabled) != "no" && uris != "" && suites != "") {
          opt = (signed ~ /^\//) ? " [signed-by=" signed "]" : ""
          nu = split(uris, U, /[ \t]+/); ns = split(suites, S, /[ \t]+/)
          for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++)
            print "deb-src" opt " " U[i] " " S[j] " " comps
        }
        types = uris = suites = comps = signed = enabled = ""
      }
      /^#/ { next }
      /^[ \t]*$/ { flush(); next }
      /^[ \t]/ { next }                      # continuation line (an inline Signed-By key)
      {
        k = tolower(substr($0, 1, index($0, ":") - 1)); v = substr($0, index($0, ":") + 1)
        gsub(/^[ \t]+|[ \t]+$/, "", v)
        if (k == "types") types = v; else if (k == "uris") uris = v
        else if (k == "suites") suites = v; else if (k == "components") comps = v
        else if (k == "signed-by") signed = v; else if (k == "enabled") enabled = v
      }
      END { flush() }' "$f"
  fi
  if [[ -f /etc/apt/sources.list ]]; then
    sed -n 's/^[[:space:]]*deb\([[:space:]]\)/deb-src\1/p' /etc/apt/sources.list
  fi
}

mkdir -p "$apt_dir"/{lists/partial,cache/archives/partial,state,log,download}
system_deb_src | awk '!seen[$0]++' >"$apt_dir/sources.list"
[[ -s $apt_dir/sources.list ]] ||
  die "no Debian 'deb' entries in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"
: >"$apt_dir/status"
# Read by apt before the system configuration, so /etc/apt/apt.conf{,.d} stay out: their
# APT::Update::Post-Invoke hooks would refresh system caches (appstream, PackageKit).
cat >"$apt_dir/apt.conf" <<'EOF'
Dir::Etc::Main "/dev/null";
Dir::Etc::Parts "/dev/null";
EOF
apt_opts=(
  -o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
  -o "Dir::State=$apt_dir/state" -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::State::status=$apt_dir/status"
  -o "Dir::Cache=$apt_dir/cache" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
  -o "Dir::Log=$apt_dir/log" -o Acquire::Languages=none -o Acquire::GzipIndexes=true
  -o quiet=1
)
private_apt() { APT_CONFIG=$apt_dir/apt.conf apt-get "${apt_opts[@]}" "$@"; }

# --- Fetching and unpacking -----------------------------------------------------------------

# fetch_source SOURCE VERSION OUT: downloads SOURCE=VERSION and unpacks its upstream tarball
# into OUT. Returns 1 with the reason in $apt_dir/log/SOURCE.log on failure.
fetch_source() {
  local src=$1 version=$2 out=$3 log=$apt_dir/log/$1.log
  local dl=$apt_dir/download/$src upstream tarball tmp
  rm -rf "$dl" && mkdir -p "$dl" || return 1
  # As root, apt downloads as the _apt user (its sandbox) into a directory _apt can write.
  if [[ $EUID -eq 0 ]] && id -u _apt >/dev/null 2>&1; then chown _apt "$dl" || return 1; fi
  if ! (cd "$dl" && private_apt source --download-only "$src${version:+=$version}") >"$log" 2>&1; then
    return 1
  fi
  upstream=${version#*:}; upstream=${upstream%-*}
  tarball=$(find "$dl" -maxdepth 1 \( -name "${src}_${upstream}.orig.tar.*" \
    -o -name "${src}_${upstream}.tar.*" \) ! -name '*.asc' | head -n1)
  if [[ -z $tarball ]]; then
    echo "E: no ${src}_${upstream}.orig.tar.* among the downloaded files" >>"$log"
    return 1
  fi
  tmp=$out.tmp
  rm -rf "$tmp" && mkdir -p "$tmp" || return 1
  if ! tar -xf "$tarball" -C "$tmp" >>"$log" 2>&1; then
    echo "E: tar could not unpack $tarball" >>"$log"
    return 1
  fi
  # An upstream tarball normally holds one top-level directory (zyantific-zydis-1ba75ae/).
  local entries=("$tmp"/*)
  rm -rf "$out"
  if [[ ${#entries[@]} -eq 1 && -d ${entries[0]} ]]; then
    mv "${entries[0]}" "$out" && rmdir "$tmp"
  else
    mv "$tmp" "$out"
  fi
}

# apt's first error for SOURCE, as a one-line reason.
apt_error() { grep -m1 '^E:' "$apt_dir/log/$1.log" | sed 's/ *\[IP: [^]]*\]//; s/  */ /g'; }

note "apt-get update (private deb-src list: $apt_dir/sources.list)"
if ! private_apt update >"$apt_dir/log/update.log" 2>&1; then
  cat "$apt_dir/log/update.log" >&2
  die "apt-get update with the private list $apt_dir/sources.list failed (network? see above)"
fi

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
