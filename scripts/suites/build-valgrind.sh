#!/usr/bin/env bash
# build-valgrind.sh SRC_DIR OUT_DIR
#
# Builds Valgrind 3.19's x86-64 instruction test programs (none/tests/amd64,
# plus memcheck/tests/amd64/bt_everything) as static x86-64 executables that
# run natively and inside a busybox-only Linux guest.  Only the upstream
# tarball is used (no Debian patches) and configure is never run.
#
#   OUT_DIR/<name>         one static executable per program
#   OUT_DIR/programs.list  "<name> <features> [args...]" for each program built;
#                          <features> = comma-separated /proc/cpuinfo flags, or
#                          "-" for baseline x86-64 (fpu mmx sse sse2 cmov cx8 fxsr)
#   OUT_DIR/build/         generated insn_*.c, stub config.h, compiler logs
#
# Deliberately skipped (each is also reported when the script runs):
#   avx-1 avx2-1 avx_estimate_insn  AVX/AVX2 (ymm) programs: out of scope
#   fma fma4 f16c                   VEX-encoded ymm code, i.e. AVX programs too
#   allexec   helper of none/tests/allexec*.vgtest (valgrind's exec following);
#             needs allexec32/allexec64 links made by allexec_prepare_prereq,
#             has no amd64 .vgtest and prints its own argv[0] (path dependent)
#
# Features come from the .vgtest "prereq:" line (x86_amd64_features names
# mapped to cpuinfo flags by cpuflag below), corrected where that line says
# too little or only describes a limitation of valgrind itself (see FEAT_*).
#
# For whoever runs them: xadd exits 42 on success (returns its result);
# faultstatus (kept although upstream disabled it for valgrind's sake, see
# faultstatus.disabled; no .vgtest) creates and unlinks faultstatus.tmp in the
# cwd, so it needs a writable cwd; tm1 gets SIGILL without rtm.
set -euo pipefail

die() { echo "build-valgrind: error: $*" >&2; exit 1; }
note() { echo "build-valgrind: $*"; }

[[ $# -eq 2 ]] || die "usage: $0 SRC_DIR OUT_DIR"
[[ -d $1 ]] || die "SRC_DIR '$1' does not exist"
SRC=$(cd "$1" && pwd)
AMD=$SRC/none/tests/amd64
for f in "$AMD/Makefile.am" "$AMD/gen_insn_test.pl" "$AMD/insn_basic.def" \
         "$SRC/tests/x86_amd64_features.c" "$SRC/tests/malloc.h"; do
  [[ -f $f ]] || die "'$SRC' is not a valgrind source tree (missing ${f#"$SRC"/})"
done
mkdir -p "$2/build"
OUT=$(cd "$2" && pwd)
BUILD=$OUT/build

# tests/malloc.h and xadd.c include "config.h" but use none of its HAVE_*
# macros (only the VGO_* ones, which come from -D below), so an empty stub
# replaces the configure-generated header.  -I$BUILD comes first so that a
# config.h lying in SRC_DIR never wins.
[[ -f $BUILD/config.h ]] ||
  echo '/* stub: none/tests/amd64 needs no configure results */' >"$BUILD/config.h"

# Flags of Makefile.tool-tests.am (AM_CPPFLAGS, AM_CFLAGS with
# FLAG_FNO_STACK_PROTECTOR) plus "AM_CFLAGS += @FLAG_M64@" of
# none/tests/amd64/Makefile.am.  configure.ac keeps CFLAGS empty
# ('CFLAGS="$CFLAGS"' before AC_PROG_CC), hence -O0 unless a program adds -O.
CPPFLAGS="-I$BUILD -I$SRC -I$SRC/include -I$SRC/VEX/pub -DVGA_amd64=1 -DVGO_linux=1
  -DVGP_amd64_linux=1 -DVGPV_amd64_linux_vanilla=1"
CFLAGS="-Winline -Wall -Wshadow -Wno-long-long -g -fno-stack-protector -m64 -O0"

declare -A SKIP=(
  [avx-1]="AVX program" [avx2-1]="AVX2 program" [avx_estimate_insn]="AVX program"
  [fma]="FMA on ymm registers (AVX program)" [fma4]="AMD FMA4 on ymm (AVX program)"
  [f16c]="F16C on ymm registers (AVX program)"
  [allexec]="valgrind exec-following helper, needs allexec_prepare_prereq links, no own .vgtest"
)
# The prereq of these is "amd64-avx" only because VEX implements them on AVX
# hosts (or just "test -e prog", a configure gate); what the code executes:
declare -A FEAT_SET=(
  [bmi]="bmi1,bmi2"      # andn..shrx, mulx, pdep/pext, rorx
  [fb_test_amd64]=adx    # adcx/adox (BUILD_ADX_TESTS); the rest is baseline
  [tm1]=rtm              # xbegin/xend/xabort/xtest #UD without RTM
  [xacq_xrel]=-          # xacquire/xrelease are ignored prefixes without HLE
  [mpx]=-                # bnd* live in NOP space: no-ops without (enabled) MPX
  [cet_nops]=-           # endbr64 & co. are NOPs before CET
)
# ... and these execute more than their prereq checks:
declare -A FEAT_ADD=(
  [aes]=aes                # prereq checks sse42 only; aesenc/aesimc need AES-NI
  [sse4-64]="sse4_1,popcnt"  # prereq checks sse42; tests SSE4.1 and popcnt too
  [movbe]=movbe            # prereq is "test -e movbe" (BUILD_MOVBE_TESTS)
  [slahf-amd64]=lahf_lm    # lahf/sahf in 64-bit mode need CPUID 80000001 ECX.0
)

# x86_amd64_features.c name -> /proc/cpuinfo flag.  Baseline ones map to "".
# SSE3 is "pni" in cpuinfo; LZCNT is "abm" (x86_amd64_features additionally
# insists on an AuthenticAMD vendor for lzcnt, which is not a CPU feature and
# is dropped: Intel's lzcnt behaves the same).  mmxext is AMD-only in cpuinfo.
cpuflag() {
  case $1 in
    x86-fpu|x86-cmov|x86-mmx|x86-sse|x86-sse2) echo "" ;;
    x86-mmxext) echo mmxext ;;
    x86-sse3|amd64-sse3) echo pni ;;
    x86-ssse3|amd64-ssse3) echo ssse3 ;;
    x86-lzcnt|amd64-lzcnt) echo abm ;;
    amd64-pclmulqdq) echo pclmulqdq ;;
    amd64-cx16) echo cx16 ;;
    amd64-sse42) echo sse4_2 ;;
    amd64-avx) echo avx ;;
    amd64-fma4) echo fma4 ;;
    amd64-f16c) echo f16c ;;
    amd64-rdrand) echo rdrand ;;
    amd64-rdseed) echo rdseed ;;
    *) die "unknown x86_amd64_features name '$1'" ;;
  esac
}

# features <name> <vgtest>: prereq-derived flags, corrected by FEAT_*.
features() {
  local name=$1 vgtest=$2 f list=()
  if [[ -n ${FEAT_SET[$name]:-} ]]; then echo "${FEAT_SET[$name]}"; return; fi
  if [[ -f $vgtest ]]; then
    for f in $(sed -n 's/^prereq:.*x86_amd64_features[[:space:]]\{1,\}\([a-z0-9-]*\).*/\1/p' "$vgtest"); do
      f=$(cpuflag "$f"); [[ -n $f ]] && list+=("$f")
    done
  fi
  if [[ -n ${FEAT_ADD[$name]:-} ]]; then
    IFS=, read -ra f <<<"${FEAT_ADD[$name]}"; list+=("${f[@]}")
  fi
  ((${#list[@]})) || { echo -; return; }
  printf '%s\n' "${list[@]}" | sort -u | paste -sd, -
}

# check_PROGRAMS of none/tests/amd64/Makefile.am with every "if BUILD_*_TESTS"
# branch taken (gcc 12 / binutils 2.40 assemble all of them; the CPU is
# checked at run time through programs.list) and $(INSN_TESTS) expanded.
mkvar() {  # words of all "VAR =" / "VAR +=" assignments, continuations joined
  sed -e ':a' -e '/\\$/{N;s/\\\n/ /;ba' -e '}' "$AMD/Makefile.am" |
    sed -n "s/^[[:space:]]*$1[[:space:]]*+\{0,1\}=//p" | tr -s ' \t' '\n' | sed '/^$/d'
}
INSN_TESTS=$(mkvar INSN_TESTS)
PROGRAMS=$(mkvar check_PROGRAMS | sed "s/^\$(INSN_TESTS)\$/${INSN_TESTS//$'\n'/ }/" | tr ' ' '\n')
PROGRAMS=$(printf '%s\nbt_everything\n' "$PROGRAMS" | sort -u)

# Per-program flags, as Makefile.am writes them ("<canon>_CFLAGS = $(AM_CFLAGS) ..."
# e.g. "amd64locked_CFLAGS = $(AM_CFLAGS) -O", "cmpxchg_CFLAGS = ... @FLAG_NO_PIE@",
# "fb_test_amd64_CFLAGS = ... -O -fno-strict-aliasing", "insn_*_LDADD = -lm"),
# with configure's substitutions for gcc on Linux.  -no-pie is moot under -static.
amvar() {
  sed -n "s/^$1[[:space:]]*=[[:space:]]*//p" "$AMD/Makefile.am" | head -n1 |
    sed -e 's/\$(AM_CFLAGS)//' -e 's/@FLAG_NO_PIE@/-no-pie/' \
        -e 's/@FLAG_W_NO_OVERFLOW@/-Wno-overflow/' -e 's/@FLAG_W_NO_NONNULL@/-Wno-nonnull/'
}

# Generate insn_*.c exactly like the ".def.c:" rule of Makefile.am
# ($(PERL) gen_insn_test.pl < $< > $@); replaced only when changed so that
# reruns do not recompile.
for t in $INSN_TESTS; do
  perl "$AMD/gen_insn_test.pl" <"$AMD/$t.def" >"$BUILD/$t.c.new"
  if cmp -s "$BUILD/$t.c.new" "$BUILD/$t.c"; then rm "$BUILD/$t.c.new"
  else mv "$BUILD/$t.c.new" "$BUILD/$t.c"; fi
done

# One job per program: name|source|extra CFLAGS|libs ("|" because read(1)
# would merge empty fields around a whitespace separator such as tab).
JOBS=$BUILD/jobs.txt
: >"$JOBS"
skipped=0
for p in $PROGRAMS; do
  if [[ -n ${SKIP[$p]:-} ]]; then
    note "skipped $p: ${SKIP[$p]}"; skipped=$((skipped + 1)); rm -f "$OUT/$p"; continue
  fi
  case $p in
    insn_*) src=$BUILD/$p.c ;;
    bt_everything) src=$SRC/memcheck/tests/amd64/$p.c ;;  # pure ISA test, no client requests
    *) src=$AMD/$p.c ;;
  esac
  c=${p//-/_}   # automake canonical name
  printf '%s|%s|%s|%s\n' "$p" "$src" "$(amvar "${c}_CFLAGS")" "$(amvar "${c}_LDADD")" >>"$JOBS"
done

# Compile one job; skipped when the binary is newer than its source and the
# command line is unchanged (idempotent reruns are cheap).
build_one() {
  local name src xcflags libs cmd
  IFS='|' read -r name src xcflags libs <<<"$1"
  cmd="gcc $CPPFLAGS $CFLAGS $xcflags -static -o $OUT/$name.tmp $src $libs"
  cmd=${cmd//$'\n'/ }
  if [[ -x $OUT/$name && $OUT/$name -nt $src && -f $BUILD/$name.cmd ]] &&
     [[ $(<"$BUILD/$name.cmd") == "$cmd" ]]; then return 0; fi
  rm -f "$OUT/$name" "$BUILD/$name.cmd"
  [[ -f $src ]] || { echo "missing source $src" >"$BUILD/$name.log"; return 0; }
  if (cd "$BUILD" && $cmd) >"$BUILD/$name.log" 2>&1; then
    mv "$OUT/$name.tmp" "$OUT/$name"; echo "$cmd" >"$BUILD/$name.cmd"
  fi
  rm -f "$OUT/$name.tmp"
}
export -f build_one
export CPPFLAGS CFLAGS OUT BUILD
# At most two compilers at a time (shared 2-core machine).
tr '\n' '\0' <"$JOBS" | xargs -0 -r -P2 -n1 bash -c 'build_one "$1"' _

# programs.list: args from the .vgtest "args:" line (none of the amd64 tests
# has one today, but keep the contract).
LIST=$BUILD/programs.list.new
: >"$LIST"
built=0
while IFS='|' read -r p _; do
  if [[ ! -x $OUT/$p ]]; then
    note "skipped $p: failed to build (see $BUILD/$p.log)"; skipped=$((skipped + 1)); continue
  fi
  vgtest=$AMD/$p.vgtest
  [[ $p == bt_everything ]] && vgtest=$SRC/memcheck/tests/amd64/$p.vgtest
  args=
  [[ -f $vgtest ]] && args=$(sed -n 's/^args:[[:space:]]*//p' "$vgtest" | head -n1)
  feat=$(features "$p" "$vgtest")   # separate assignment: set -e sees a die
  echo "$p $feat${args:+ $args}" >>"$LIST"
  built=$((built + 1))
done <"$JOBS"
mv "$LIST" "$OUT/programs.list"

echo "build-valgrind: $built programs built, $skipped skipped"
((built >= 30)) || die "only $built programs built (expected at least 30)"
