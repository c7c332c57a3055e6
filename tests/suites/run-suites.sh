#!/bin/sh
# Runs every program of every suite under ROOT (ROOT/SUITE/programs.list, written by
# scripts/suites/build-*.sh: "NAME FEATURES [ARGS...]", FEATURES a comma-separated list of
# /proc/cpuinfo flags or "-") and prints, for each, one delimited block:
#   === BEGIN SUITE/NAME ===
#   ... its standard output and standard error, as it wrote them to one file ...
#   === END SUITE/NAME status=N ===
# or, when the CPU lacks a flag the program needs, one line:
#   === SKIP SUITE/NAME needs FLAG ===
# The same script runs natively on the host (scripts/suites/fetch-suites.sh: the
# reference) and as the guest's /init under keel (init-suites.sh), with the same
# redirections, so both see the same buffering. POSIX sh: dash on the host, busybox ash in
# the guest. Usage: run-suites.sh ROOT [SUITE/NAME...]  (names: only those)
set -u
root=$1
shift
only=" $* "
flags=" $(sed -n 's/^flags[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1) "
# One feature is the kernel's, not the CPU's: the legacy vsyscall page (vsyscall=xonly or
# emulate; Debian's kernel defaults to none, the guest command line asks for xonly).
grep -q '\[vsyscall\]' /proc/self/maps && flags="$flags vsyscall-page "
# glibc picks some libm and string functions by CPUID (ifuncs): with FMA, fmaf and exp are
# other code with other NaN payloads and roundings than without. keel advertises no AVX,
# AVX2, FMA, so the native run takes glibc's paths for a CPU without them too (both runs
# then execute the same instructions). Not an x86 feature check: only glibc reads this.
export GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX,-AVX2,-FMA,-FMA4,-AVX512F
out=${TMPDIR:-/tmp}/run-suites.$$
for list in "$root"/*/programs.list; do
    [ -f "$list" ] || continue
    dir=${list%/programs.list}
    suite=${dir##*/}
    while read -r name features args; do
        case $name in '' | '#'*) continue ;; esac
        id=$suite/$name
        [ "$only" = "  " ] || case $only in *" $id "*) ;; *) continue ;; esac
        missing=
        if [ "$features" != - ]; then
            for f in $(echo "$features" | tr ',' ' '); do
                case $flags in *" $f "*) ;; *) missing=$f; break ;; esac
            done
        fi
        if [ -n "$missing" ]; then
            echo "=== SKIP $id needs $missing ==="
            continue
        fi
        # From the program's own directory (some read files next to them); a program that
        # hangs ends after 600 s with timeout's status 124 (SIGTERM: 143).
        # shellcheck disable=SC2086 # args are words
        (cd "$dir" && exec timeout 600 ./"$name" $args) >"$out" 2>&1 </dev/null
        status=$?
        echo "=== BEGIN $id ==="
        cat "$out"
        # A last line without a newline still ends before the marker.
        [ -s "$out" ] && [ "$(tail -c 1 "$out" | od -An -c | tr -d ' ')" != '\n' ] && echo
        echo "=== END $id status=$status ==="
    done <"$list"
done
rm -f "$out"
