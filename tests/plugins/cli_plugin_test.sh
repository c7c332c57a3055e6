#!/bin/sh
# The keel command's -plugin-dir: a folder with a good plugin runs the guest; a folder with
# a wrong-ABI, unresolved-import or truncated plugin is refused with the plugin's name and
# the reason, and no VM starts. The machine (-M pc) is built from the device plugins in the
# folder: one missing device plugin stops the VM too.
# Usage: cli_plugin_test.sh KEEL TEST_PLUGIN_DIR KEEL_PLUGIN_DIR(x86_64.so, devices) GUEST.elf(hello)
set -u
keel=$1 plugins=$2 installed=$3 guest=$4
arch=$installed/x86_64.so
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

# Every plugin keel ships, plus the test plugin.
populate() { # folder
    mkdir "$1" && cp "$installed"/*.so "$plugins/test_device_plugin.so" "$1/"
}
populate "$work/good"
"$keel" -plugin-dir "$work/good" -kernel "$guest" >"$work/out" 2>"$work/err"
status=$?
[ "$status" -eq 1 ] || { echo "good plugins: keel exited $status, expected 1 (guest success)"; cat "$work/err"; fail=1; }
grep -qx "Hello from a keel guest" "$work/out" || { echo "good plugins: the guest did not run on the x86_64 plugin"; cat "$work/out" "$work/err"; fail=1; }

# Without the architecture plugin there is no CPU: refused before any VM.
populate "$work/noarch"
rm "$work/noarch/x86_64.so"
"$keel" -plugin-dir "$work/noarch" -kernel "$guest" >"$work/out" 2>"$work/err"
status=$?
[ "$status" -eq 8 ] || { echo "no arch plugin: keel exited $status, expected 8 (keel's error)"; fail=1; }
grep -qxF "keel: no plugin in $work/noarch provides the x86_64 architecture (x86_64.so); the VM does not start" "$work/err" ||
    { echo "no arch plugin: expected refusal, got:"; cat "$work/err"; fail=1; }

check_refused() { # name expected-message
    populate "$work/$1"
    cp "$plugins/$1_plugin.so" "$work/$1/"
    "$keel" -plugin-dir "$work/$1" -kernel "$guest" >"$work/out" 2>"$work/err"
    status=$?
    want="keel: plugin refused: $work/$1/$1_plugin.so: $2; the VM does not start"
    [ "$status" -eq 8 ] || { echo "$1: keel exited $status, expected 8 (keel's error)"; fail=1; }
    [ -s "$work/out" ] && { echo "$1: the guest ran although a plugin was refused"; fail=1; }
    grep -qxF "$want" "$work/err" || { echo "$1: expected on stderr: $want"; echo "got:"; cat "$work/err"; fail=1; }
}
check_refused wrong_abi "plugin ABI version 1000, but this keel has version 12: rebuild the plugin"
check_refused unresolved "unresolved import keel_symbol_that_keel_does_not_export"
check_refused truncated "program headers are missing or truncated"

# A machine whose device type no loaded plugin provides does not start either.
populate "$work/nolapic"
rm "$work/nolapic/lapic.so"
"$keel" -plugin-dir "$work/nolapic" -kernel "$guest" >"$work/out" 2>"$work/err"
status=$?
[ "$status" -eq 8 ] && [ ! -s "$work/out" ] || { echo "no lapic plugin: keel exited $status (expected 8) and printed:"; cat "$work/out"; fail=1; }
grep -q "^keel: pc:[0-9]*: no device type 'lapic' (its plugin, lapic.so, is not loaded)" "$work/err" ||
    { echo "no lapic plugin: expected refusal, got:"; cat "$work/err"; fail=1; }

"$keel" -plugin-dir "$work/nonexistent" -kernel "$guest" 2>"$work/err"
status=$?
[ "$status" -eq 8 ] || { echo "missing folder: keel exited $status, expected 8 (keel's error)"; fail=1; }
grep -q "^keel: -plugin-dir $work/nonexistent: No such file or directory" "$work/err" || { echo "missing folder not reported"; cat "$work/err"; fail=1; }
exit $fail
