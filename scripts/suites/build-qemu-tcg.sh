#!/usr/bin/env bash
# build-qemu-tcg.sh SRC_DIR OUT_DIR
#
# Builds QEMU's TCG user-mode tests for x86-64 (tests/tcg of Debian's qemu 7.2 upstream
# tarball, never Debian's patches) as static x86-64 programs: OUT_DIR/NAME, OUT_DIR/NAME.ref
# where QEMU compares against a checked-in reference (informational: the deciding reference
# is the native run), and OUT_DIR/programs.list, one "NAME FEATURES [ARGS...]" line each,
# FEATURES being the /proc/cpuinfo flags the test code itself executes beyond baseline
# x86-64 (fpu mmx sse sse2 cmov cx8 fxsr syscall), or "-". Note cpuinfo calls SSE3 "pni".
# Static glibc picks its string/math routines by CPUID at start-up (ifuncs); that follows
# what the CPU reports, so it is not listed.
#
# Flags follow the Makefiles: tests/tcg/Makefile.target gives every program
#   CFLAGS+=-Wall -Werror -O0 -g -fno-strict-aliasing, LDFLAGS+=-static (BUILD_STATIC=y),
#   %: %.c -> $(CC) $(CFLAGS) $(EXTRA_CFLAGS) $< -o $@ $(LDFLAGS)   (EXTRA_CFLAGS empty)
# and tests/tcg/{i386,x86_64,multiarch}/Makefile.target add the per-program lines cited
# below. x86_64/Makefile.target builds test-i386-bmi2, -ssse3, test-mmx (plus test-avx,
# test-3dnow), vsyscall, noexec, cmpxchg, test-x86_64 and MULTIARCH_TESTS; the other
# i386 programs are plain user-mode C built only for i386 there, but compile and run on
# x86-64 unchanged, so they are built here with the same flags.
#
# Skipped (one note each when run):
#   test-i386             the i386 build of test-i386.c (16-bit code, vm86, segments);
#                         its x86-64 build is test-x86_64
#   hello-i386            i386-only: int $0x80 and -nostdlib 32-bit start-up
#   test-avx              needs AVX (and its generated test-avx.h)
#   test-3dnow            needs 3DNow! (femms, pf*), absent from current CPUs
#   test-i386-adcox       not in qemu 7.2 (added in 8.0)
#   test-mmap             mmap/page-size semantics and files, not instruction semantics
#   linux-test, linux-madvise   system-call tests (files, sockets, madvise)
#   signals, testthread, threadcount, munmap-pthread   threads and timers
#   semihosting, semiconsole    ARM semihosting (multiarch/arm-compat-semi)
#   gdbstub tests, plugin runs, */system   need gdb, QEMU plugins, or a bare-metal target
#   test-i386-fprem       unless SPEED=slow, as in i386/Makefile.target ("ifeq ($(SPEED),
#                         slow)", else SKIP_I386_TESTS+=test-i386-fprem): it prints 1.7M
#                         lines (66 MB), too much for the guest's console and tmpfs
# Notes on built programs:
#   vsyscall   calls time() through the legacy vsyscall page (0xffffffffff600400): works
#              under a kernel with vsyscall=xonly/emulate, SIGSEGV under vsyscall=none
#              (Debian's kernel's default: the suites' guest command line says xonly), so
#              it needs the pseudo-feature vsyscall-page; prints the time, so only its
#              status is comparable.
#   noexec     mprotects a code page PROT_NONE and checks the SIGSEGV's si_addr/RIP:
#              needs a kernel (and translator) that honours mprotect on code.
set -euo pipefail

me=build-qemu-tcg
die() { echo "$me: error: $*" >&2; exit 1; }
[[ $# -eq 2 ]] || die "usage: $0 SRC_DIR OUT_DIR"
[[ -f $1/tests/tcg/i386/test-i386.c ]] ||
  die "$1 has no tests/tcg/i386/test-i386.c (not a qemu source tree?)"
tcg=$(cd "$1" && pwd)/tests/tcg
command -v gcc >/dev/null || die "gcc not found"
mkdir -p "$2"
out=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

I=$tcg/i386 X=$tcg/x86_64 M=$tcg/multiarch
base=(-Wall -Werror -O0 -g -fno-strict-aliasing)

skipped=()
skip() { # NAME REASON (a stale OUT_DIR/NAME from an earlier run goes)
  skipped+=("$1")
  rm -f "$out/$1" "$out/$1.ref"
  echo "$me: skip $1: $2"
}

# --- Parallel compiles (at most 2) ---------------------------------------------------------
declare -A pid_of=() feat_of=() status_of=()
order=()
running=0
reap() { # wait for one compile and record its status
  local pid name st=0
  wait -n -p pid || st=$?
  for name in "${!pid_of[@]}"; do [[ ${pid_of[$name]} == "$pid" ]] && status_of[$name]=$st; done
  running=$((running - 1))
  return 0
}
# prog NAME FEATURES GCC-ARGS...: compile to $work/NAME in the background
prog() {
  local name=$1 feat=$2
  shift 2
  while ((running >= 2)); do reap; done
  order+=("$name")
  feat_of[$name]=$feat
  gcc "$@" -o "$work/$name" >"$work/$name.log" 2>&1 &
  pid_of[$name]=$!
  running=$((running + 1))
}

# --- tests/tcg/x86_64 ------------------------------------------------------------------------
# x86_64/Makefile.target: "test-x86_64: LDFLAGS+=-lm -lc" and
# "$(CC) $(CFLAGS) $< -o $@ $(LDFLAGS)" with $< = i386/test-i386.c; no -fno-pie and no
# code16/vm86 objects (those are the i386 "test-i386:" rule). On x86-64 the source itself
# leaves out TEST_SEGS, TEST_VM86, BCD, exceptions, single-step and self-modifying code.
# It executes only baseline instructions (cmov, fcomi/fcmov, cmpxchg8b, bswap, enter...).
prog test-x86_64 - "${base[@]}" "$I/test-i386.c" -static -lm -lc
# "%: $(SRC_PATH)/tests/tcg/x86_64/%.c" -> $(CC) $(CFLAGS) $< -o $@ $(LDFLAGS)
for t in cmpxchg noexec; do
  prog "$t" - "${base[@]}" "$X/$t.c" -static
done
# vsyscall-page: run-suites.sh's name for a kernel that maps the vsyscall page.
prog vsyscall vsyscall-page "${base[@]}" "$X/vsyscall.c" -static

# --- tests/tcg/i386 built for x86_64 ------------------------------------------------------
# i386/Makefile.target: "test-i386-bmi2: CFLAGS=-O2" replaces the common CFLAGS. It runs
# andn/bextr/blsi/blsmsk/blsr (BMI1) and pdep/pext/bzhi/rorx/sarx/shlx/shrx (BMI2).
prog test-i386-bmi2 bmi1,bmi2 -O2 "$I/test-i386-bmi2.c" -static
# Common flags (SKIP_I386_TESTS puts it in X86_64_TESTS): pshufb/phsubsw/palignr and an
# unconditional popcnt.
prog test-i386-ssse3 ssse3,popcnt "${base[@]}" "$I/test-i386-ssse3.c" -static
# "test-i386-pcmpistri: CFLAGS += -msse4.2"
prog test-i386-pcmpistri sse4_2 "${base[@]}" -msse4.2 "$I/test-i386-pcmpistri.c" -static
# "test-i386-sse-exceptions: CFLAGS += -msse4.1 -mfpmath=sse": roundss/roundsd are SSE4.1.
prog test-i386-sse-exceptions sse4_1 "${base[@]}" -msse4.1 -mfpmath=sse \
  "$I/test-i386-sse-exceptions.c" -static
# FISTTP is SSE3 (cpuinfo "pni"); fp-exceptions uses it too.
prog test-i386-fisttp pni "${base[@]}" "$I/test-i386-fisttp.c" -static
prog test-i386-fp-exceptions pni "${base[@]}" "$I/test-i386-fp-exceptions.c" -static
# x87-only programs, common flags.
for t in f2xm1 fbstp fldcst fpatan fscale fxam fxtract fyl2x fyl2xp1 \
  pseudo-denormal snan-convert; do
  prog "test-i386-$t" - "${base[@]}" "$I/test-i386-$t.c" -static
done
if [[ ${SPEED:-} == slow ]]; then
  prog test-i386-fprem - "${base[@]}" "$I/test-i386-fprem.c" -static
else
  skip test-i386-fprem "1.7M lines of output; QEMU runs it only with SPEED=slow"
fi
# test-mmx.h: "$(PYTHON) test-mmx.py x86.csv $@ MMX SSE SSE2 SSE3 SSSE3" and
# "test-mmx: CFLAGS += -masm=intel -O -I.". The generator keeps only MMX-register forms;
# the SSSE3 ones (pabs*, phadd*, pshufb, palignr... on mm) are among them, no SSE3 one.
if command -v python3 >/dev/null; then
  python3 "$I/test-mmx.py" "$I/x86.csv" "$work/test-mmx.h" MMX SSE SSE2 SSE3 SSSE3 ||
    die "test-mmx.py failed"
  prog test-mmx ssse3 "${base[@]}" -masm=intel -O -I"$work" "$I/test-mmx.c" -static
else
  skip test-mmx "python3 not found (needed for test-mmx.py)"
fi

# --- tests/tcg/multiarch: plain C exercising integer, x87 and SSE code -----------------------
# "float_%: LDFLAGS+=-lm" and "$(CC) $(CFLAGS) $(EXTRA_CFLAGS) $< libs/float_helpers.c".
for t in float_convs float_convd float_madds; do
  prog "$t" - "${base[@]}" "$M/$t.c" "$M/libs/float_helpers.c" -static -lm
done
for t in sha1 sha512 overflow sigbus; do
  prog "$t" - "${base[@]}" "$M/$t.c" -static
done
# i386/Makefile.target: "sha512-sse: CFLAGS=-msse4.1 -O3" (replaces the common flags);
# x86_64's TESTS= drops it, but it is the vectorised SSE2..SSE4.1 code of the suite. gcc's
# vectoriser emits pshufb/palignr (SSSE3) and SSE4.1 forms there.
prog sha512-sse ssse3,sse4_1 -msse4.1 -O3 "$M/sha512.c" -static

for t in test-i386 hello-i386; do skip "$t" "i386-only (16-bit code, vm86, int \$0x80)"; done
skip test-avx "needs AVX"
skip test-3dnow "needs 3DNow!"
[[ -f $I/test-i386-adcox.c ]] || skip test-i386-adcox "not in this qemu version"
skip test-mmap "mmap/page-size and file semantics, not instruction semantics"
for t in linux-test linux-madvise; do skip "$t" "system-call test"; done
for t in signals testthread threadcount munmap-pthread; do skip "$t" "threads/timers"; done
for t in semihosting semiconsole; do skip "$t" "ARM semihosting"; done
skip gdbstub/plugins/system "needs gdb, QEMU plugins or a bare-metal (softmmu) target"

while ((running > 0)); do reap; done

# --- Results -----------------------------------------------------------------------------
built=0
: >"$work/programs.list"
for name in "${order[@]}"; do
  rm -f "$out/$name" "$out/$name.ref"
  if [[ ${status_of[$name]} != 0 ]]; then
    [[ $name == test-x86_64 ]] && { cat "$work/$name.log" >&2; die "test-x86_64 failed to build"; }
    skip "$name" "build failed: $(grep -m1 -i error "$work/$name.log" || head -n1 "$work/$name.log")"
    continue
  fi
  mv "$work/$name" "$out/$name"
  # multiarch/Makefile.target "run-float_%": conditional-diff-out against
  # tests/tcg/$(TARGET_NAME)/$<.ref, i.e. x86_64/float_conv[sd].ref.
  [[ -f $X/$name.ref ]] && cp "$X/$name.ref" "$out/$name.ref"
  echo "$name ${feat_of[$name]}" >>"$work/programs.list"
  built=$((built + 1))
done
mv "$work/programs.list" "$out/programs.list"
echo "$me: $built programs built, ${#skipped[@]} skipped"
