#!/bin/sh
# linux.shell: the interactive shell of the busybox initramfs (init-shell.sh) in the hosted
# keel, driven through keel's console (-serial stdio, standard input from a FIFO): wait
# for the prompt, type a command, read its answer; run a program that traps SIGINT and
# type Ctrl-C (the byte 0x03, which the guest's tty turns into SIGINT for its foreground
# job), read what the trap prints; type poweroff -f, expect status 0.
# Nothing is timed: each step waits for the output it needs (up to a generous limit).
# Usage: linux_shell_test.sh KEEL LINUX_DIR
set -u
keel=$1 linux=$2
work=$(mktemp -d)
kpid=
cleanup() {
    [ -n "$kpid" ] && kill -9 "$kpid" 2>/dev/null
    exec 3>&- 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
mkfifo "$work/in"
"$keel" -m 512M -serial stdio -kernel "$linux/vmlinuz" -initrd "$linux/initrd-shell.gz" \
    -append "console=ttyS0 quiet" <"$work/in" >"$work/out" 2>"$work/err" &
kpid=$!
exec 3>"$work/in"

wait_for() { # fixed string, seconds
    waited=0
    while ! tr -d '\r' <"$work/out" | grep -qF "$1"; do
        if ! kill -0 "$kpid" 2>/dev/null || [ "$waited" -ge "$(($2 * 10))" ]; then
            echo "linux.shell: no '$1' on the console after $2 s; the console:"
            tail -n 30 "$work/out"
            tail -n 5 "$work/err"
            exit 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
}

wait_for "/ # " 600
printf 'echo answer-$((6*7))\n' >&3
wait_for "answer-42" 120
# The answers are computed, so the echo of what was typed never matches them. "ready" comes
# after the trap is set, so the Ctrl-C cannot reach anything but the trapping shell.
printf '%s\n' 'sh -c '"'"'trap "echo got-sigint-$((3*4)); exit 0" INT; echo ready-$((2*5)); while :; do sleep 1; done'"'" >&3
wait_for "ready-10" 120
printf '\003' >&3
wait_for "got-sigint-12" 120
printf 'echo back-$((7*8))\n' >&3
wait_for "back-56" 120
printf 'poweroff -f\n' >&3
waited=0
while kill -0 "$kpid" 2>/dev/null && [ "$waited" -lt 1200 ]; do
    sleep 0.1
    waited=$((waited + 1))
done
wait "$kpid"
status=$?
kpid=
[ "$status" -eq 0 ] || { echo "linux.shell: keel exit status $status after poweroff -f, expected 0"; tail -n 20 "$work/out" "$work/err"; exit 1; }
exit 0
