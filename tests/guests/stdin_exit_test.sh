#!/bin/sh
# keel exits while its standard-input reader thread is busy (yes keeps writing): the reader
# is stopped and joined before the console and the Engine it calls are freed. Run under
# valgrind's memcheck, which reports the use after free the reader made when it was only
# detached (it called Engine::request_service on an Engine ~Machine had freed).
# Usage: stdin_exit_test.sh KEEL VALGRIND HELLO.elf
set -u
keel=$1 valgrind=$2 guest=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

# Under make sanitize (KEEL_SANITIZED=1) keel is an ASan build, which valgrind cannot run;
# ASan reports the use after free itself (and ends keel with its own status).
checker="$valgrind -q --smc-check=all --error-exitcode=99" # --smc-check=all: keel writes and runs its own code
checked_by="valgrind"
[ "${KEEL_SANITIZED:-0}" = 1 ] && { checker=""; checked_by="AddressSanitizer"; }

for mode in "-serial stdio" "-serial mon:stdio" "-monitor stdio"; do
    yes | timeout 120 $checker "$keel" $mode -kernel "$guest" >/dev/null 2>"$work/err"
    status=$?
    [ "$status" -eq 1 ] || { echo "keel $mode: exit status $status under $checked_by, expected 1 (the guest's)"; head -n 40 "$work/err"; fail=1; }
done
exit $fail
