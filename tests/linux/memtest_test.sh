#!/bin/sh
# linux.memtest: Debian's memtest86+ (its Linux boot protocol images, fetched by
# scripts/linux/fetch-linux.sh) boots in the hosted keel to the end of its first complete
# test pass, reported on its serial console as "Pass:  1" with "Errors: 0" (issue 15):
#   memtest86+x64.bin through the 64-bit entry and through the 32-bit one (-linux-entry 32),
#   memtest86+ia32.bin through the 32-bit entry (its only one; it stays in protected mode).
# Deterministic time (-icount) makes the bit-fade test's minutes of waiting a few seconds
# of running; 64 MiB of RAM keeps a pass short.
# Usage: memtest_test.sh KEEL LINUX_DIR
set -u
keel=$1 linux=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

run() { # name image [keel options...]
    name=$1 image=$2
    shift 2
    # keel runs until killed: memtest loops forever. Its screen output is VT100 text; the
    # status line's "Pass:" counter is what the test waits for.
    timeout 600 "$keel" -icount shift=10 -m 64M -serial stdio -kernel "$linux/$image" -append "console=ttyS0,115200" "$@" \
        </dev/null >"$work/$name.out" 2>"$work/$name.err" &
    pid=$!
    passed=0
    for _ in $(seq 1 600); do
        if tr -d '\r' <"$work/$name.out" | grep -q 'Pass:  1 '; then
            passed=1
            break
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 1
    done
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if [ "$passed" -ne 1 ]; then
        echo "linux.memtest: $name: no completed pass"; fail=1
        echo "--- keel's standard error:"; tail -n 20 "$work/$name.err"
        echo "--- the console's last bytes:"; tail -c 1500 "$work/$name.out" | tr -d '\r' | sed 's/\x1b\[[0-9;]*[A-Za-z]/ /g'
        return
    fi
    if ! tr -d '\r' <"$work/$name.out" | grep -q 'Pass:  1 *Errors: 0 '; then
        echo "linux.memtest: $name: the pass reported errors"; fail=1
    fi
    echo "linux.memtest: $name: first pass completed, no errors"
}

run x64-entry64 memtest86+x64.bin
run x64-entry32 memtest86+x64.bin -linux-entry 32
run ia32-entry32 memtest86+ia32.bin
exit $fail
