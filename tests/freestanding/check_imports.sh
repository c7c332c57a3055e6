#!/usr/bin/env bash
# Fails if the freestanding libraries import a symbol the kernel does not provide, i.e.
# if dbt/ or plugins/ grew a hosted dependency (stdio, malloc, threads, exceptions, ...).
# Usage: check_imports.sh ALLOWLIST LIB.a...
set -euo pipefail
allow=$1
shift
defined=$(mktemp) undefined=$(mktemp)
trap 'rm -f "$defined" "$undefined"' EXIT
nm --defined-only "$@" | awk 'NF == 3 { print $3 }' | sort -u > "$defined"
nm --undefined-only "$@" | awk 'NF >= 2 { print $2 }' | sort -u > "$undefined"
patterns=$(grep -v '^#' "$allow" | grep -v '^[[:space:]]*$')
bad=0
count=0
while IFS= read -r sym; do
  [ -n "$sym" ] || continue
  count=$((count + 1))
  name=$(printf '%s\n' "$sym" | c++filt)
  if ! printf '%s\n' "$name" | grep -qE "$patterns"; then
    echo "not allowed in freestanding code: $name ($sym)"
    bad=1
  fi
done < <(comm -23 "$undefined" "$defined")
if [ "$bad" -ne 0 ]; then
  echo "freestanding import check FAILED (allowlist: $allow)"
  exit 1
fi
echo "freestanding import check: $count imported symbols, all provided by the kernel runtime"
