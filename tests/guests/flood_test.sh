#!/bin/sh
# Standard input flooded (yes) while a guest that never reads it runs for a few seconds:
# keel's input queues are bounded (the reader stops reading, so the pipe pushes back on
# the writer), so its memory stays flat; and when the guest exits, keel stops its reader
# thread and exits with the guest's status. For -serial stdio, -serial mon:stdio and
# -monitor stdio (every line an unknown command).
# Usage: flood_test.sh KEEL IGNORE_INPUT.elf
set -u
keel=$1 guest=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
# Peak resident memory allowed, KiB: keel needs about 8 MiB for this guest; an unbounded
# queue passed the limit within about a second of yes.
limit=40000
# Under make sanitize, ASan's shadow memory and its 256 MiB quarantine of freed blocks
# (every monitor line is a freed string) come on top: 120-130 MiB were measured. The
# unbounded queue still passes 400 MiB within a second or two of yes.
[ "${KEEL_SANITIZED:-0}" = 1 ] && limit=400000

flood() { # keel options...
    rm -f "$work/fifo"
    mkfifo "$work/fifo"
    "$keel" "$@" -kernel "$guest" <"$work/fifo" >/dev/null 2>"$work/err" &
    kpid=$!
    yes >"$work/fifo" 2>/dev/null &
    ypid=$!
    peak=0 waited=0
    while kill -0 "$kpid" 2>/dev/null; do
        hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$kpid/status" 2>/dev/null)
        [ -n "$hwm" ] && peak=$hwm
        if [ "$waited" -ge 600 ]; then # 60 s
            echo "keel $*: still running after 60 s with standard input flooded (killed)"
            kill -9 "$kpid"
            fail=1
            break
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    wait "$kpid"
    status=$?
    kill "$ypid" 2>/dev/null
    wait "$ypid" 2>/dev/null
    [ "$status" -eq 1 ] || { echo "keel $*: exit status $status, expected 1 (the guest's)"; head -c 400 "$work/err"; fail=1; }
    [ "$peak" -gt 0 ] && [ "$peak" -lt "$limit" ] ||
        { echo "keel $*: peak resident memory $peak KiB with standard input flooded (limit $limit KiB)"; fail=1; }
}

flood -serial stdio
flood -serial mon:stdio
flood -monitor stdio
exit $fail
