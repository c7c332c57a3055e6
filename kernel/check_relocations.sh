#!/bin/sh
# gnu-efi's _relocate applies only R_X86_64_RELATIVE (and NONE): any other dynamic
# relocation in the kernel would be left unapplied and crash at boot, so it fails the build.
# Usage: check_relocations.sh READELF keel.so
set -eu
readelf=$1 so=$2
bad=$("$readelf" -rW "$so" | awk '/^ *[0-9a-f]+ +[0-9a-f]+ +R_X86_64_/ && $3 != "R_X86_64_RELATIVE" && $3 != "R_X86_64_NONE" { print }')
if [ -n "$bad" ]; then
    echo "check_relocations: $so has dynamic relocations gnu-efi cannot apply:" >&2
    echo "$bad" | head -20 >&2
    exit 1
fi
