#!/usr/bin/env bash
# Checks the include rules of docs/architecture.md ("Layers") over a source tree:
#   - a plugin includes only the versioned plugin ABI (dbt/plugin, dbt/ir, dbt/base) and
#     its own files (plugins/arch/<name>/, plugins/devices/);
#   - dbt/ never includes a host, a plugin or the machine builder;
#   - inside dbt/, includes point one way:
#       base < ir < plugin < runtime < {mmu, cache, backend} < engine,  loader: base, plugin, mmu.
# Usage: check_includes.sh SOURCE_ROOT. Prints every violation as file:line: text, exits 1
# if there is one. Only quoted includes are checked (<...> are system or third-party).
set -euo pipefail
root=${1:?usage: check_includes.sh SOURCE_ROOT}
cd "$root"

# allowed_prefixes FILE -> the include prefixes FILE may use (space separated).
allowed_prefixes() {
    local f=$1
    case $f in
        plugins/arch/*)
            local name=${f#plugins/arch/}; name=${name%%/*}
            echo "dbt/plugin/ dbt/ir/ dbt/base/ plugins/arch/$name/" ;;
        plugins/devices/*)   echo "dbt/plugin/ dbt/ir/ dbt/base/ plugins/devices/" ;;
        plugins/*)           echo "dbt/plugin/ dbt/ir/ dbt/base/" ;;
        dbt/base/*)          echo "dbt/base/" ;;
        dbt/ir/*)            echo "dbt/base/ dbt/ir/" ;;
        dbt/plugin/*)        echo "dbt/base/ dbt/ir/ dbt/plugin/" ;;
        dbt/runtime/*)       echo "dbt/base/ dbt/ir/ dbt/plugin/ dbt/runtime/" ;;
        dbt/mmu/*)           echo "dbt/base/ dbt/ir/ dbt/plugin/ dbt/runtime/ dbt/mmu/" ;;
        dbt/cache/*)         echo "dbt/base/ dbt/ir/ dbt/plugin/ dbt/runtime/ dbt/cache/" ;;
        dbt/backend/*)       echo "dbt/base/ dbt/ir/ dbt/plugin/ dbt/runtime/ dbt/backend/" ;;
        dbt/loader/*)        echo "dbt/base/ dbt/plugin/ dbt/mmu/ dbt/runtime/ dbt/loader/" ;;
        dbt/engine/*)        echo "dbt/" ;;
        dbt/*)               echo "NONE" ;; # a new dbt/ folder must be given its place here
        *)                   echo "ANY" ;;
    esac
}

violations=0
while IFS= read -r -d '' file; do
    allowed=$(allowed_prefixes "$file")
    [[ $allowed == ANY ]] && continue
    while IFS=: read -r line text; do
        target=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]*)".*/\1/' <<<"$text")
        # A bare name ("foo.h") is a same-folder include.
        [[ $target != */* ]] && continue
        ok=0
        for prefix in $allowed; do
            [[ $target == "$prefix"* ]] && ok=1 && break
        done
        if (( !ok )); then
            echo "$file:$line: $text   (allowed here: $allowed)"
            violations=$((violations + 1))
        fi
    done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" || true)
done < <(find dbt plugins -type f \( -name '*.h' -o -name '*.cpp' -o -name '*.inc' -o -name '*.c' \) -print0 2>/dev/null | sort -z)

if (( violations )); then
    echo "check_includes: $violations include(s) break the layering rules (docs/architecture.md, Layers)"
    exit 1
fi
echo "check_includes: every include in dbt/ and plugins/ follows the layering rules"
