#!/bin/sh
# Fails if a guest image contains an instruction outside the set keel implements, or
# any SSE/x87/MMX register use. For C guests this catches what the compiler chose.
# Usage: check_isa.sh OBJDUMP GUEST.elf [integer|sse|fpu]
# With "sse", the guest may also use the legacy SSE/SSE2 instructions and XMM registers
# keel runs as host instructions (docs/sse.md); x87 and MMX stay forbidden. With "fpu",
# x87 (f*) and MMX instructions and registers too (docs/x87.md).
set -eu
objdump=$1 elf=$2 isa=${3:-integer}

cc='(o|no|b|c|nae|ae|nb|nc|e|z|ne|nz|be|na|a|nbe|s|ns|p|pe|np|po|l|nge|ge|nl|le|ng|g|nle)'
allowed="mov|movzx|movsx|movsxd|movabs|lea|xchg|cmpxchg|cmpxchg16b|xadd"
allowed="$allowed|add|adc|sub|sbb|and|or|xor|cmp|test|inc|dec|neg|not"
allowed="$allowed|shl|sal|shr|sar|rol|ror|rcl|rcr|shld|shrd|mul|imul|div|idiv"
allowed="$allowed|bt|bts|btr|btc|bsf|bsr|tzcnt|lzcnt|popcnt|set$cc|cmov$cc|j$cc"
allowed="$allowed|jmp|jrcxz|jecxz|loop|loope|loopz|loopne|loopnz|push|pushw|pop|popw|call|ret|enter|leave"
allowed="$allowed|(movs|stos|lods|cmps|scas)[bwdq]?|cbw|cwde|cdqe|cwd|cdq|cqo|bswap"
allowed="$allowed|lahf|sahf|pushf|pushfq|popf|popfq|clc|stc|cmc|cld|std|cli|sti|nop|endbr64"
allowed="$allowed|cpuid|rdtsc|hlt|in|out|int|int3|ud2|lgdt|lidt|ltr|sgdt|sidt|iretq|retf|retfq|lret|lretq|ljmp"
allowed="$allowed|rdmsr|wrmsr|swapgs"
# invlpg: paging.c needs it to change a live mapping (SDM Vol 3A 4.10.4.1).
allowed="$allowed|invlpg"

# .text32 holds 32-bit code (compatibility-mode tests): disassembled as such.
{
    "$objdump" -d -M intel --no-show-raw-insn -j .text "$elf"
    if "$objdump" -h "$elf" | grep -q ' \.text32 '; then
        "$objdump" -d -M intel,i386 --no-show-raw-insn -j .text32 "$elf"
    fi
} | awk -v allowed="^($allowed)\$" -v elf="$elf" -v isa="$isa" '
/^ *[0-9a-f]+:\t/ {
    line = $0
    sub(/^ *[0-9a-f]+:\t/, "", line)
    n = split(line, w, /[ \t]+/)
    i = 1
    while (i < n && w[i] ~ /^(rep|repz|repe|repnz|repne|lock|data16|addr32|cs|ds|es|ss|fs|gs|rex(\.[WRXB]+)?)$/)
        i++
    m = w[i]
    if (isa == "fpu")
        bad_insn = (m !~ allowed && line !~ /xmm[0-9]|st\([0-7]\)|(^|[^a-z])mm[0-7]/ && m !~ /^(f[a-z0-9]+|emms)$/) || line ~ /[yz]mm[0-9]/
    else if (isa == "sse") # LDMXCSR/STMXCSR name no XMM register
        bad_insn = (m !~ allowed && line !~ /xmm[0-9]/ && m !~ /^(ldmxcsr|stmxcsr)$/) || line ~ /[yz]mm[0-9]|st\([0-7]\)|(^|[^a-z])mm[0-7]/
    else
        bad_insn = m !~ allowed || line ~ /[xyz]mm[0-9]|st\([0-7]\)|(^|[^a-z])mm[0-7]/
    if (bad_insn) {
        print elf ": instruction keel does not implement: " line > "/dev/stderr"
        bad = 1
    }
}
END { exit bad }'
