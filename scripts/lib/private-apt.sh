# scripts/lib/private-apt.sh: apt with a private configuration, for scripts that fetch
# Debian source packages at set-up time (fetch-zydis-source.sh, suites/fetch-suites.sh).
# Source it, then `private_apt_init DIR`, `private_apt_update`, `fetch_source ...`.
#
# apt runs with its own deb-src list (made from the system's Debian sources), lists, caches
# and an empty dpkg status under DIR, so it works as root or not and never writes to /etc
# or /var/lib/apt. Only upstream tarballs are unpacked (with tar, so dpkg-dev is not
# needed); Debian's patches are not applied. The caller defines die and note.

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

# private_apt_init DIR: the private configuration in DIR; sets apt_dir.
private_apt_init() {
  apt_dir=$1
  mkdir -p "$apt_dir"/{lists/partial,cache/archives/partial,state,log,download}
  system_deb_src | awk '!seen[$0]++' >"$apt_dir/sources.list"
  [[ -s $apt_dir/sources.list ]] ||
    die "no Debian 'deb' entries in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"
  : >"$apt_dir/status"
  # Read by apt before the system configuration, so /etc/apt/apt.conf{,.d} stay out: their
  # APT::Update::Post-Invoke hooks would refresh system caches (appstream, PackageKit).
  printf '%s\n' 'Dir::Etc::Main "/dev/null";' 'Dir::Etc::Parts "/dev/null";' >"$apt_dir/apt.conf"
  apt_opts=(
    -o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
    -o "Dir::State=$apt_dir/state" -o "Dir::State::Lists=$apt_dir/lists"
    -o "Dir::State::status=$apt_dir/status"
    -o "Dir::Cache=$apt_dir/cache" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
    -o "Dir::Log=$apt_dir/log" -o Acquire::Languages=none -o Acquire::GzipIndexes=true
    -o quiet=1
  )
}

private_apt() { APT_CONFIG=$apt_dir/apt.conf apt-get "${apt_opts[@]}" "$@"; }

# --- Fetching and unpacking -----------------------------------------------------------------

# fetch_source SOURCE VERSION OUT [MEMBER...]: downloads SOURCE=VERSION (the candidate
# when VERSION is empty) and unpacks its upstream tarball into OUT: all of it, or only the
# members matching the tar wildcards given ('*/tests/tcg/*'). Returns 1 with the reason in
# $apt_dir/log/SOURCE.log on failure.
fetch_source() {
  local src=$1 version=$2 out=$3 log=$apt_dir/log/$1.log
  shift 3
  local tar_args=()
  [[ $# -gt 0 ]] && tar_args=(--wildcards "$@")
  local dl=$apt_dir/download/$src upstream tarball tmp
  rm -rf "$dl" && mkdir -p "$dl" || return 1
  # As root, apt downloads as the _apt user (its sandbox) into a directory _apt can write.
  if [[ $EUID -eq 0 ]] && id -u _apt >/dev/null 2>&1; then chown _apt "$dl" || return 1; fi
  if ! (cd "$dl" && private_apt source --download-only "$src${version:+=$version}") >"$log" 2>&1; then
    return 1
  fi
  if [[ -z $version ]]; then # the .dsc apt chose names it
    version=$(sed -n 's/^Version: *//p' "$dl"/*.dsc | head -n1)
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
  if ! tar -xf "$tarball" -C "$tmp" "${tar_args[@]}" >>"$log" 2>&1; then
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

# private_apt_update: fetches the private lists, or dies with apt's output.
private_apt_update() {
  note "apt-get update (private deb-src list: $apt_dir/sources.list)"
  if ! private_apt update >"$apt_dir/log/update.log" 2>&1; then
    cat "$apt_dir/log/update.log" >&2
    die "apt-get update with the private list $apt_dir/sources.list failed (network? see above)"
  fi
}
