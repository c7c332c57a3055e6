#!/bin/sh
# suites.hosted: Debian's kernel in the hosted keel boots the suites initramfs
# (scripts/suites/fetch-suites.sh), whose /init runs every program of the public suites;
# suite_report compares each program's block with the native run and applies
# known-failures.txt. Prints the per-suite table either way. vsyscall=xonly: Debian's kernel
# maps no vsyscall page by default; QEMU's vsyscall test calls through it (run-suites.sh).
# Usage: suites_test.sh KEEL SUITES_DIR LINUX_DIR KNOWN_FAILURES SUITE_REPORT
set -u
keel=$1 suites=$2 linux=$3 known=$4 report=$5
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
timeout 3000 "$keel" -m 1G -serial none -kernel "$linux/vmlinuz" -initrd "$suites/initrd-suites.gz" \
    -append "console=ttyS0 panic=-1 vsyscall=xonly" >"$work/console" 2>"$work/err"
status=$?
fail=0
grep -q '^KEEL-SUITES-DONE' "$work/console" || { echo "suites: the guest did not finish the suites (keel status $status)"; fail=1; }
[ "$status" -eq 0 ] || { echo "suites: keel exit status $status, expected 0 (ACPI power-off)"; fail=1; }
# The table also goes to SUITES_DIR/report-hosted.txt, which `make test` prints at the end.
"$report" --status-only "$(dirname "$known")/status-only.txt" "$suites/native.txt" "$work/console" "$known" \
    >"$work/report" || fail=1
cat "$work/report"
{ echo "Public ISA suites in the hosted keel (suites.hosted):"; cat "$work/report"; } >"$suites/report-hosted.txt"
if [ "$fail" -ne 0 ]; then
    echo "--- keel's standard error:"; tail -n 20 "$work/err"
    echo "--- the console, last 30 lines:"; tail -n 30 "$work/console"
    cp "$work/console" "${TMPDIR:-/tmp}/keel-suites-console.txt" 2>/dev/null &&
        echo "(the whole console: ${TMPDIR:-/tmp}/keel-suites-console.txt)"
fi
exit $fail
