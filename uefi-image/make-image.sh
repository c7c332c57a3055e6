#!/bin/sh
# Builds keel's boot disk: a FAT ESP image, without root or loop mounts (mtools).
#   EFI/BOOT/BOOTX64.EFI  the kernel          keel.cfg  what to run (docs/kernel.md)
#   keel.sym              kernel symbols      guests/…  the guest files
# Usage: make-image.sh OUT.img KEEL.efi KEEL.sym KEEL.cfg [ESP_PATH=HOST_FILE ...]
#   ESP_DIR/=HOST_DIR/ copies every *.so of HOST_DIR into ESP_DIR (all of keel's plugins:
#   plugins/=build/plugins/)
set -eu
if [ $# -lt 4 ]; then
    echo "usage: $0 out.img keel.efi keel.sym keel.cfg [esp/path=host/file ...]" >&2
    exit 2
fi
out=$1 efi=$2 sym=$3 cfg=$4
shift 4
# Expand the folder specs into one spec per plugin file.
specs=""
for spec in "$@"; do
    case "$spec" in
    */=*/)
        dest=${spec%%=*} src=${spec#*=}
        found=""
        for f in "$src"*.so; do
            [ -f "$f" ] || continue
            specs="$specs $dest$(basename "$f")=$f" found=1
        done
        [ -n "$found" ] || { echo "make-image: $src: no plugin files (*.so)" >&2; exit 1; }
        ;;
    *) specs="$specs $spec" ;;
    esac
done
# (ESP and host paths of keel's build have no spaces.)
# shellcheck disable=SC2086
set -- $specs
for f in "$efi" "$sym" "$cfg"; do
    [ -f "$f" ] || { echo "make-image: $f: no such file" >&2; exit 1; }
done

# Size: the payload twice over plus 32 MiB, at least 64 MiB (FAT32 wants >= 32 MiB).
payload=$(du -cb "$efi" "$sym" "$cfg" | tail -1 | cut -f1)
for spec in "$@"; do
    src=${spec#*=}
    [ -f "$src" ] || { echo "make-image: $src: no such file" >&2; exit 1; }
    payload=$((payload + $(stat -c %s "$src")))
done
mib=$((payload * 2 / 1048576 + 32))
[ "$mib" -lt 64 ] && mib=64

tmp="$out.tmp"
rm -f "$tmp"
truncate -s "${mib}M" "$tmp"
export MTOOLS_SKIP_CHECK=1
mformat -i "$tmp" -F -v KEEL ::
mmd -i "$tmp" ::/EFI ::/EFI/BOOT
mcopy -i "$tmp" "$efi" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$tmp" "$sym" ::/keel.sym
mcopy -i "$tmp" "$cfg" ::/keel.cfg
for spec in "$@"; do
    dest=${spec%%=*} src=${spec#*=}
    # Create the parent folders one level at a time (mmd has no -p).
    dir=$(dirname "$dest") path=""
    if [ "$dir" != "." ]; then
        for part in $(echo "$dir" | tr '/' ' '); do
            path="$path/$part"
            mmd -i "$tmp" "::$path" 2>/dev/null || true
        done
    fi
    mcopy -o -i "$tmp" "$src" "::/$dest"
done
mv "$tmp" "$out"
