#!/bin/sh
# The keel command's console input: with -serial mon:stdio what is typed reaches the
# guest's COM1 and Ctrl-A c visits the monitor in between (the guest stopped meanwhile);
# with -serial stdio Ctrl-A is an ordinary byte; -monitor stdio cannot share stdin with it.
# Usage: console_test.sh KEEL SERIAL_ECHO.elf
set -u
keel=$1 guest=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

printf '\001cinfo pic\rx/2xb 0x100000\r\001chello keel\r' | timeout 20 "$keel" -serial mon:stdio -kernel "$guest" >"$work/out" 2>"$work/err"
status=$?
[ "$status" -eq 1 ] || { echo "mon:stdio: keel exited $status, expected 1"; cat "$work/err"; fail=1; }
for want in "^keel monitor: the guest is stopped; Ctrl-A c returns to it, 'help' lists commands$" \
    "^pic0: irr=.. imr=ff isr=00" "^0000000000100000: 0x.. 0x..$" "^keel: back to the guest$" "^got: hello keel$"; do
    grep -q -- "$want" "$work/out" || { echo "mon:stdio: no line matching $want in:"; cat "$work/out"; fail=1; }
done
# The guest's prompt: all the input is there from the start, so the monitor may open in the
# middle of it ("t", the monitor's lines, "ype a line:"). Take the monitor's lines out and
# join the rest.
guest_text=$(sed "/^keel monitor:/,/^keel: back to the guest\$/d" "$work/out" | tr -d '\n')
case $guest_text in
*"type a line:"*"got: hello keel"*) ;;
*) echo "mon:stdio: the guest's own output is not 'type a line:' then 'got: hello keel':"; cat "$work/out"; fail=1 ;;
esac

# Without the escape the Ctrl-A and the 'c' are the guest's: 0x01 is stored, 'c' shown.
printf 'a\001cb\r' | timeout 20 "$keel" -serial stdio -kernel "$guest" >"$work/out" 2>"$work/err"
grep -q "^got: a.cb$" "$work/out" || { echo "stdio: expected 'got: a^Acb', got:"; cat "$work/out" "$work/err"; fail=1; }
grep -q "keel monitor" "$work/out" && { echo "stdio: the monitor opened"; fail=1; }

"$keel" -monitor stdio -serial mon:stdio -kernel "$guest" </dev/null >"$work/out" 2>"$work/err"
status=$?
[ "$status" -eq 8 ] || { echo "conflict: keel exited $status, expected 8 (keel's error)"; fail=1; }
grep -qxF "keel: -monitor stdio and -serial mon:stdio both want standard input; choose one" "$work/err" ||
    { echo "conflict not refused:"; cat "$work/err"; fail=1; }
exit $fail
