#!/usr/bin/env bash
# The include check must catch each kind of violation: builds a small tree per rule with
# one bad include and expects check_includes.sh to fail naming that file, and a clean tree
# to pass.
set -euo pipefail
check=$(dirname "$0")/check_includes.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect() { # expect pass|fail FILE INCLUDE
    local want=$1 file=$2 include=$3 dir="$tmp/case"
    rm -rf "$dir"; mkdir -p "$dir/$(dirname "$file")"
    printf '#pragma once\n#include "%s"\n' "$include" >"$dir/$file"
    local out status=0
    out=$("$check" "$dir" 2>&1) || status=$?
    if [[ $want == pass && $status -ne 0 ]] || [[ $want == fail && ( $status -eq 0 || $out != *"$file:2:"* ) ]]; then
        echo "selftest: $file including \"$include\": expected $want, got status $status:"
        echo "$out"
        exit 1
    fi
}

expect fail plugins/arch/x86/a.cpp dbt/engine/engine.h
expect fail plugins/arch/x86/a.cpp dbt/runtime/run_context.h
expect fail plugins/arch/x86/a.cpp plugins/devices/device_types.h
expect fail plugins/devices/uart/a.cpp machine/machine.h
expect fail dbt/engine/a.cpp plugins/arch/x86/cpu_state.h
expect fail dbt/base/a.h hosted/main.h
expect fail dbt/ir/a.h kernel/main.h
expect fail dbt/cache/a.cpp dbt/backend/x64/backend.h
expect fail dbt/mmu/a.cpp dbt/engine/engine.h
expect fail dbt/backend/x64/a.cpp dbt/mmu/mmu.h
expect fail dbt/plugin/a.h dbt/runtime/run_context.h
expect fail dbt/newfolder/a.h dbt/base/types.h
expect pass plugins/arch/x86/a.cpp dbt/plugin/arch_services.h
expect pass plugins/arch/x86/a.cpp plugins/arch/x86/cpu_state.h
expect pass plugins/devices/uart/a.cpp plugins/devices/device_types.h
expect pass dbt/engine/a.cpp dbt/backend/x64/backend.h
expect pass dbt/cache/a.cpp dbt/runtime/exit_patcher.h
expect pass hosted/a.cpp dbt/engine/engine.h
echo "selftest: every violation kind is caught"
