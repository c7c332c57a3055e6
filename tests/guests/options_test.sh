#!/bin/sh
# The keel command's files and options, as a hostile user would give them: files that never
# end or are not files, and values that must be refused with a message (keel's error
# status), never accepted, misread or left to exhaust memory.
# Usage: options_test.sh KEEL GUEST.elf(hello)
set -u
keel=$1 guest=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
error_status=8 # keel's own errors: even, so no guest's debug exit (always odd) looks like one

# Runs keel under a memory limit (an unbounded read fails fast instead of filling the
# machine) and a time limit; checks keel's error status, no guest output, and the message.
# Under make sanitize (KEEL_SANITIZED=1) there is no memory limit: ASan reserves terabytes
# of shadow address space at start-up, so ulimit -v would stop it before keel runs; the
# time limit still catches a read that never ends.
sanitized=${KEEL_SANITIZED:-0}
limit_memory() { # KiB
    [ "$sanitized" = 1 ] || ulimit -v "$1"
}
expect_refused() { # expected-stderr-line keel-arguments...
    want=$1
    shift
    (limit_memory "${memory_limit:-6000000}"; timeout 60 "$keel" "$@") >"$work/out" 2>"$work/err"
    status=$?
    [ "$status" -eq "$error_status" ] && [ ! -s "$work/out" ] ||
        { echo "keel $*: exit status $status (expected $error_status), output:"; head -c 400 "$work/out"; fail=1; }
    grep -qxF "$want" "$work/err" || { echo "keel $*: expected on stderr: $want"; echo "got:"; head -c 400 "$work/err"; fail=1; }
}

# keel -help documents the status.
"$keel" -help | grep -q "8 when keel cannot run the guest at all" || { echo "keel -help does not document status 8"; fail=1; }

# Files: a device that never ends, a directory, a regular file beyond the bound (sparse,
# refused by its size without reading it).
expect_refused "keel: /dev/zero: larger than 256 MiB, the most keel reads of such a file" -kernel /dev/zero
expect_refused "keel: -M /dev/zero: not a built-in machine (-M help lists them) and /dev/zero: larger than 1 MiB, the most keel reads of such a file" -M /dev/zero -kernel "$guest"
expect_refused "keel: $work: Is a directory" -kernel "$work"
truncate -s 300M "$work/big.elf"
expect_refused "keel: $work/big.elf: larger than 256 MiB, the most keel reads of such a file" -kernel "$work/big.elf"

# A translation cache the host cannot map is reported as that, with the reason. Only
# without ASan: the failure is made with ulimit -v (see limit_memory).
if [ "$sanitized" = 1 ]; then
    echo "note: the translation-cache mapping failure is checked by make test only (needs ulimit -v, which ASan cannot run under)"
else
    memory_limit=800000 # KiB: less than the default 1 GiB cache
    expect_refused "keel: cannot map the translation cache (1024 MiB, -accel tcg,tb-size=N): Cannot allocate memory" -kernel "$guest"
    unset memory_limit
fi

# RAM past the PCI hole (docs/machines.md#memory-map): 4076M and more were refused with
# the LAPIC overlapping RAM; now RAM below 4 GiB ends at 3 GiB and the rest is at 4 GiB.
for size in 4076M 4G 6G; do
    timeout 60 "$keel" -m "$size" -kernel "$guest" >"$work/out" 2>"$work/err"
    status=$?
    [ "$status" -eq 1 ] && grep -qx "Hello from a keel guest" "$work/out" ||
        { echo "-m $size: exit status $status, output:"; cat "$work/out" "$work/err"; fail=1; }
done

# A guest from a pipe (not a regular file) still runs.
(limit_memory 6000000; timeout 60 "$keel" -kernel /dev/stdin) <"$guest" >"$work/out" 2>"$work/err"
status=$?
[ "$status" -eq 1 ] && grep -qx "Hello from a keel guest" "$work/out" ||
    { echo "-kernel /dev/stdin: exit status $status, output:"; cat "$work/out" "$work/err"; fail=1; }
exit $fail
