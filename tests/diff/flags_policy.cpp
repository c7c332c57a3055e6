// The undefined-result rules, from the "Flags Affected" section of each instruction's
// page in the Intel SDM Vol. 2 (order of the 2023 edition). Only instructions that the
// generator produces are listed; everything else defines all the flags it touches.
#include "tests/diff/flags_policy.h"

#include <cstring>

namespace keel::difftest {
namespace {

constexpr uint64_t CF = kFlagCF, PF = kFlagPF, AF = kFlagAF, ZF = kFlagZF, SF = kFlagSF,
                   OF = kFlagOF;

#define M(x) ZYDIS_MNEMONIC_##x

bool reads_count(ZydisMnemonic m) {
    switch (m) {
        case M(SHL): case M(SHR): case M(SAR): case M(ROL): case M(ROR): case M(RCL):
        case M(RCR): case M(SHLD): case M(SHRD): return true;
        default: return false;
    }
}

// The register state at entry as Zydis wants it for effective-address arithmetic.
void fill_context(const Case& c, ZydisRegisterContext& ctx) {
    memset(&ctx, 0, sizeof ctx);
    static constexpr ZydisRegister kRegs[kGprCount] = {
        ZYDIS_REGISTER_RAX, ZYDIS_REGISTER_RCX, ZYDIS_REGISTER_RDX, ZYDIS_REGISTER_RBX,
        ZYDIS_REGISTER_RSP, ZYDIS_REGISTER_RBP, ZYDIS_REGISTER_RSI, ZYDIS_REGISTER_RDI,
        ZYDIS_REGISTER_R8,  ZYDIS_REGISTER_R9,  ZYDIS_REGISTER_R10, ZYDIS_REGISTER_R11,
        ZYDIS_REGISTER_R12, ZYDIS_REGISTER_R13, ZYDIS_REGISTER_R14, ZYDIS_REGISTER_R15};
    for (unsigned i = 0; i < kGprCount; ++i) {
        ctx.values[kRegs[i]] = c.in.gpr[i];
        // 32-bit address-size forms (67h) name EAX..R15D as base and index.
        ctx.values[ZYDIS_REGISTER_EAX + i] = c.in.gpr[i] & 0xFFFFFFFF;
    }
}

// The value of a register or memory operand at entry (registers through their largest
// enclosing GPR; memory read from the initial data area).
bool operand_value(const Case& c, const ZydisDecodedInstruction& insn,
                   const ZydisDecodedOperand& op, uint64_t rip, uint64_t& value) {
    const uint64_t mask = op.size >= 64 ? ~0ull : (1ull << op.size) - 1;
    if (op.type == ZYDIS_OPERAND_TYPE_REGISTER) {
        ZydisRegister full = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, op.reg.value);
        int id = ZydisRegisterGetId(full);
        if (id < 0 || id >= int(kGprCount)) return false;
        bool high = op.reg.value >= ZYDIS_REGISTER_AH && op.reg.value <= ZYDIS_REGISTER_BH;
        value = (c.in.gpr[id] >> (high ? 8 : 0)) & mask;
        return true;
    }
    if (op.type == ZYDIS_OPERAND_TYPE_MEMORY) {
        ZydisRegisterContext ctx;
        fill_context(c, ctx);
        ZyanU64 address = 0;
        if (!ZYAN_SUCCESS(ZydisCalcAbsoluteAddressEx(&insn, &op, rip, &ctx, &address))) return false;
        if (insn.address_width == 32) address &= 0xFFFFFFFF;
        value = 0;
        for (unsigned i = 0; i < op.size / 8 && i < 8; ++i) {
            uint64_t at = address + i;
            if (at < kDataBase || at >= kDataBase + kDataSize) return false;
            value |= uint64_t(c.data[at - kDataBase]) << (8 * i);
        }
        return true;
    }
    if (op.type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        value = op.imm.value.u & mask;
        return true;
    }
    return false;
}

}  // namespace

uint64_t undefined_flags(ZydisMnemonic m, unsigned bits, uint64_t count) {
    switch (m) {
        // AND, OR, XOR, TEST: "The OF and CF flags are cleared; the SF, ZF, and PF flags
        // are set according to the result. The state of the AF flag is undefined."
        case M(AND): case M(OR): case M(XOR): case M(TEST): return AF;
        // MUL, IMUL: "The SF, ZF, AF, and PF flags are undefined."
        case M(MUL): case M(IMUL): return SF | ZF | AF | PF;
        // DIV, IDIV: "The CF, OF, SF, ZF, AF, and PF flags are undefined."
        case M(DIV): case M(IDIV): return CF | OF | SF | ZF | AF | PF;
        // BT, BTS, BTR, BTC: "The ZF flag is unaffected. The OF, SF, AF, and PF flags are
        // undefined."
        case M(BT): case M(BTS): case M(BTR): case M(BTC): return OF | SF | AF | PF;
        // BSF, BSR: "The CF, OF, SF, AF, and PF flags are undefined."
        case M(BSF): case M(BSR): return CF | OF | SF | AF | PF;
        // LZCNT, TZCNT: "OF, SF, PF and AF flags are undefined."
        case M(LZCNT): case M(TZCNT): return OF | SF | PF | AF;
        // SAL/SAR/SHL/SHR: "If the count is 0, the flags are not affected. ... The OF
        // flag is affected only on 1-bit shifts ... otherwise, it is undefined. ... For a
        // non-zero count, the AF flag is undefined." CF "is undefined for SHL and SHR
        // instructions where the count is greater than or equal to the size (in bits) of
        // the destination operand."
        case M(SHL): case M(SHR): case M(SAR): {
            if (count == 0) return 0;
            uint64_t u = AF | (count != 1 ? OF : 0);
            if (m != M(SAR) && count >= bits) u |= CF;
            return u;
        }
        // RCL/RCR/ROL/ROR: "If the masked count is 0, the flags are not affected. If the
        // masked count is 1, then the OF flag is affected, otherwise (masked count is
        // greater than 1) the OF flag is undefined."
        case M(ROL): case M(ROR): case M(RCL): case M(RCR): return count > 1 ? OF : 0;
        // SHLD/SHRD: "If the count is 1 or greater, ... SF, ZF, and PF flags are set
        // according to the value of the result. For a 1-bit shift, the OF flag is set if
        // a sign change occurred; otherwise, it is cleared. For shifts greater than 1 bit,
        // the OF flag is undefined. ... If a shift occurs, the AF flag is undefined. If the
        // count operand is 0, the flags are not affected. If the count is greater than the
        // operand size, the flags are undefined."
        case M(SHLD): case M(SHRD): {
            if (count == 0) return 0;
            if (count > bits) return CF | OF | SF | ZF | AF | PF;
            return AF | (count != 1 ? OF : 0);
        }
        default: return 0;
    }
}

Ignored ignored_for(const Case& c, const Outcome& reference) {
    Ignored ignored;
    ZydisDecoder decoder;
    ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    size_t offset = 0;
    while (offset < c.code.size()) {
        ZydisDecodedInstruction insn;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, c.code.data() + offset,
                                                 c.code.size() - offset, &insn, ops)))
            break;
        const uint64_t rip = kCodeBase + offset;
        offset += insn.length;
        if (reference.fault >= 0 && rip == reference.fault_rip) continue;  // it had no effect
        const ZydisMnemonic m = insn.mnemonic;
        uint64_t count = 0;
        if (reads_count(m)) {
            // The count is the last explicit operand (imm8, CL or the implied 1), masked
            // to 5 bits, or 6 with 64-bit operands (SDM Vol. 2B, SAL/SAR/SHL/SHR).
            const ZydisDecodedOperand& last = ops[insn.operand_count_visible - 1];
            if (!operand_value(c, insn, last, rip, count)) count = 1;
            count &= insn.operand_width == 64 ? 0x3F : 0x1F;
        }
        ignored.flags |= undefined_flags(m, insn.operand_width, count);

        // A repeated string instruction with 32-bit addressing and ECX = 0: "If the ECX
        // register is 0, the instruction is not executed" (SDM Vol. 2B, REP/REPE/REPZ), so
        // the registers keep their values, as keel and AMD CPUs do; some Intel CPUs still
        // zero-extend RCX, RSI and RDI into 64 bits then. Only those upper halves are
        // ignored. (Only the first instruction of a case sees the input registers.)
        if (offset == insn.length && insn.address_width == 32 &&
            (insn.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE | ZYDIS_ATTRIB_HAS_REPNE)) &&
            (c.in.gpr[1] & 0xFFFFFFFF) == 0) {
            for (int id : {1, 6, 7})  // RCX, RSI, RDI (Zydis register ids)
                ignored.gpr_bits[id] |= ~0xFFFFFFFFull;
        }

        // SYSCALL returns the kernel's answer in RAX: the host's to an unknown system call
        // (-ENOSYS, or what a seccomp policy says), keel's runner's stub's (-ENOSYS). What
        // SYSCALL itself does, RCX, R11 and RFLAGS, is compared (form_table_system.cpp).
        if (m == M(SYSCALL)) ignored.gpr_bits[kRax] = ~0ull;

        // BSF/BSR with a zero source: "the content of the destination operand is
        // undefined" (SDM Vol. 2A, BSF/BSR). AMD documents it as unchanged and Intel
        // CPUs leave it unchanged too, except that a 32-bit destination gets its upper
        // half cleared on Intel; Linux relies on the unchanged low part (arch/x86
        // bitops.h, ffs()). So only the upper half of a 32-bit destination is ignored.
        if ((m == M(BSF) || m == M(BSR)) && insn.operand_width == 32) {
            uint64_t source = 1;
            if (operand_value(c, insn, ops[1], rip, source) && source == 0) {
                int id = ZydisRegisterGetId(
                    ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, ops[0].reg.value));
                if (id >= 0 && id < int(kGprCount)) ignored.gpr_bits[id] |= ~0xFFFFFFFFull;
            }
        }
    }
    return ignored;
}

#undef M

}  // namespace keel::difftest
