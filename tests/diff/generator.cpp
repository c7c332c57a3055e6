// Case generation for Plain forms (one instruction, operands as the form lists them),
// and the entry points for all forms. Values are chosen in this order: every GPR and
// the data area random; register operands; memory operands (whose base and index
// registers win over earlier choices, so `add [rax], rax` aliases as it should);
// instruction-specific fix-ups that need the final operand values (a divisor and its
// dividend, CMPXCHG's comparand, shift counts, zero sources); then the encoding.
#include "tests/diff/generator.h"

#include "tests/diff/case_builder.h"
#include "tests/diff/snippets.h"

#include <algorithm>
#include <cstring>

namespace keel::difftest {
namespace {

constexpr unsigned kFaultPercent = 3;  // memory operands pointed at unmapped memory
constexpr int kAttempts = 32;

struct Operand {
    OperandKind kind;
    ZydisEncoderOperand enc{};
    RegRef reg;            // Reg, Acc, Cl
    uint64_t address = 0;  // Mem, Moffs: the effective address
};

bool is_mnemonic(ZydisMnemonic m, std::initializer_list<ZydisMnemonic> set) {
    for (ZydisMnemonic s : set)
        if (m == s) return true;
    return false;
}

#define M(x) ZYDIS_MNEMONIC_##x
bool is_shift(ZydisMnemonic m) { return is_mnemonic(m, {M(SHL), M(SHR), M(SAR), M(ROL), M(ROR), M(RCL), M(RCR)}); }
bool is_bit_test(ZydisMnemonic m) { return is_mnemonic(m, {M(BT), M(BTS), M(BTR), M(BTC)}); }
bool is_bit_scan(ZydisMnemonic m) { return is_mnemonic(m, {M(BSF), M(BSR), M(TZCNT), M(LZCNT), M(POPCNT)}); }
bool uses_stack(ZydisMnemonic m) { return is_mnemonic(m, {M(PUSH), M(POP), M(PUSHF), M(PUSHFQ)}); }

// Registers the instruction reads or writes without naming them: memory operands must
// not use them as base or index, or the fix-ups below would move the address.
RegMask implicit_regs(const Form& f) {
    RegMask mask = 0;
    ZydisMnemonic m = f.mnemonic;
    if (is_mnemonic(m, {M(MUL), M(DIV), M(IDIV), M(CWD), M(CDQ), M(CQO)}) ||
        (m == M(IMUL) && f.operands.size() == 1))
        mask |= reg_bit(kRax) | reg_bit(kRdx);
    if (is_mnemonic(m, {M(CMPXCHG), M(CBW), M(CWDE), M(CDQE), M(LAHF), M(SAHF)})) mask |= reg_bit(kRax);
    if (is_mnemonic(m, {M(CMPXCHG8B), M(CMPXCHG16B)}))
        mask |= reg_bit(kRax) | reg_bit(kRdx) | reg_bit(kRbx) | reg_bit(kRcx);
    if (uses_stack(m)) mask |= reg_bit(kRsp);
    if (is_mnemonic(m, {M(PCMPESTRI), M(PCMPESTRM)})) mask |= reg_bit(kRax) | reg_bit(kRdx);
    if (m == M(MASKMOVDQU) || m == M(MASKMOVQ)) mask |= reg_bit(kRdi);
    for (const OperandKind& k : f.operands)
        if (k.type == OperandType::Cl) mask |= reg_bit(kRcx);
    return mask;
}
#undef M

// Shift and rotate counts around every boundary the SDM distinguishes: 0 (flags kept),
// 1 (OF defined), the width (CF undefined for SHL/SHR of 8/16 bits), and the 5- or 6-bit
// masking (SDM Vol. 2B, SAL/SAR/SHL/SHR and RCL/RCR/ROL/ROR).
uint64_t shift_count(Rng& rng, unsigned bits) {
    const uint64_t picks[] = {0, 1, 2, bits - 1u, bits, bits + 1u, 31, 32, 33, 63, 64, 65, 255};
    if (rng.percent(35)) return rng.below(256);
    if (rng.percent(30)) return rng.below(bits + 1);
    return picks[rng.below(sizeof picks / sizeof picks[0])];
}

// Values for SSE data, a 32- or 64-bit lane at a time: random bits, or the floating-point
// values whose handling differs (zeros, infinities, quiet and signalling NaNs, denormals,
// the extremes of the normal range, small integers, values near 1).
uint64_t sse_lane(Rng& rng, unsigned bits) {
    if (rng.percent(35)) return bits == 64 ? rng.next() : rng.next() & 0xFFFFFFFFu;
    const bool wide = bits == 64;
    const uint64_t sign = rng.percent(50) ? (wide ? 1ull << 63 : 1ull << 31) : 0;
    const unsigned mantissa_bits = wide ? 52 : 23;
    const uint64_t exponent_max = wide ? 0x7FF : 0xFF, bias = wide ? 1023 : 127;
    const uint64_t mantissa = rng.next() & ((1ull << mantissa_bits) - 1);
    uint64_t exponent;
    switch (rng.below(8)) {
        case 0: return sign;                                                  // +-0
        case 1: return sign | exponent_max << mantissa_bits;                  // +-infinity
        case 2: return sign | exponent_max << mantissa_bits | (mantissa | 1ull << (mantissa_bits - 1));  // quiet NaN
        case 3: return sign | exponent_max << mantissa_bits | ((mantissa >> 1) | 1);                     // signalling NaN
        case 4: return sign | mantissa;                                       // denormal (or zero)
        case 5: exponent = rng.percent(50) ? 1 : exponent_max - 1; break;     // the normal range's ends
        default: exponent = bias - 8 + rng.below(40); break;                  // around 1, integers up to 2^31
    }
    return sign | exponent << mantissa_bits | (rng.percent(30) ? mantissa & ~((1ull << (mantissa_bits - 4)) - 1) : mantissa);
}

void write_sse_bytes(Rng& rng, uint8_t* out, unsigned bytes) {
    const unsigned lane = rng.percent(50) ? 8 : 4;
    for (unsigned at = 0; at < bytes; at += lane) {
        uint64_t v = sse_lane(rng, lane * 8);
        memcpy(out + at, &v, std::min(lane, bytes - at));
    }
}

// The SSE state a case starts with: random XMM registers, and MXCSR mostly as a Linux
// process has it; sometimes another rounding mode, flush-to-zero or denormals-are-zero,
// and sticky flags already set. Exceptions stay masked: the unmasked ones (#XM) are
// unit.x86's ([sse] cases).
void randomize_sse(Rng& rng, Case& c) {
    for (auto& reg : c.in.xmm) write_sse_bytes(rng, reg, 16);
    c.in.mxcsr = kDefaultMxcsr;
    if (rng.percent(30)) {
        c.in.mxcsr |= static_cast<uint32_t>(rng.below(4)) << 13;  // RC
        if (rng.percent(30)) c.in.mxcsr |= 1u << 15;              // FTZ
        if (rng.percent(30)) c.in.mxcsr |= 1u << 6;               // DAZ
        if (rng.percent(30)) c.in.mxcsr |= static_cast<uint32_t>(rng.below(64));  // sticky flags
    }
}

// An 80-bit x87 value (Intel SDM vol. 1 §8.2.2, table 8-3): normals around 1 and at the
// range's ends, zeros, infinities, quiet and signalling NaNs, denormals, and the encodings
// only the 80-bit format has (pseudo-denormals, unnormals: invalid operands), or random.
void x87_value(Rng& rng, uint8_t out[10]) {
    const uint16_t sign = rng.percent(50) ? 0x8000 : 0;
    const uint64_t j = 1ull << 63;
    uint64_t mantissa = rng.next();
    uint16_t exponent;
    switch (rng.below(10)) {
        case 0: exponent = 0, mantissa = 0; break;                                     // zero
        case 1: exponent = 0x7FFF, mantissa = j; break;                                // infinity
        case 2: exponent = 0x7FFF, mantissa |= j | 1ull << 62; break;                  // quiet NaN
        case 3: exponent = 0x7FFF, mantissa = (mantissa & ~(1ull << 62)) | j | 1; break;  // signalling NaN
        case 4: exponent = 0, mantissa &= ~j; break;                                   // denormal
        case 5: exponent = rng.percent(50) ? 0 : static_cast<uint16_t>(1 + rng.below(0x7FFE)), mantissa |= rng.percent(50) ? j : 0;
            break;                                                                     // pseudo-denormal, unnormal, any
        case 6: exponent = rng.percent(50) ? 1 : 0x7FFE, mantissa |= j; break;         // the normal range's ends
        case 7: exponent = static_cast<uint16_t>(16383 + rng.below(63)), mantissa = ((mantissa | j) & ~((1ull << (63 - rng.below(64))) - 1)) | j;
            break;                                                                     // integers
        default: exponent = static_cast<uint16_t>(16383 - 70 + rng.below(140)), mantissa |= j; break;  // around 1
    }
    exponent |= sign;
    memcpy(out, &mantissa, 8);
    memcpy(out + 8, &exponent, 2);
}

// A random x87 state: any stack top, tags, condition codes and (masked) sticky exception
// flags, registers from x87_value; the control word mostly FNINIT's, sometimes another
// rounding and precision (not the reserved precision 01). Exceptions stay masked: the
// pending-exception path (#MF) is unit.x86's.
void randomize_x87(Rng& rng, Case& c) {
    uint8_t* fpu = c.in.fpu;
    uint16_t fcw = kDefaultFcw;
    if (rng.percent(30)) {
        const uint16_t precision[] = {0, 2, 3};
        fcw = static_cast<uint16_t>((fcw & ~0x0F00) | rng.below(4) << 10 | precision[rng.below(3)] << 8);
    }
    const uint16_t fsw = static_cast<uint16_t>(rng.below(8) << 11 | (rng.next() & 0x4700) | (rng.next() & 0x7F));
    memcpy(fpu, &fcw, 2);
    memcpy(fpu + 2, &fsw, 2);
    fpu[4] = static_cast<uint8_t>(rng.next());
    for (unsigned i = 0; i < 8; ++i) {
        uint8_t* r = fpu + kFpuStOffset + 16 * i;
        memset(r, 0, 16);
        x87_value(rng, r);
    }
}

uint64_t read_operand(CaseBuilder& b, const Operand& op) {
    if (op.kind.type == OperandType::Mem || op.kind.type == OperandType::Moffs)
        return b.read_data(op.address, op.kind.bits / 8);
    return b.read_reg(op.reg);
}

void write_operand(CaseBuilder& b, const Operand& op, uint64_t value) {
    if (op.kind.type == OperandType::Mem || op.kind.type == OperandType::Moffs)
        b.write_data(op.address, value, op.kind.bits / 8);
    else
        b.write_reg(op.reg, value);
}

// DIV/IDIV: mostly a dividend whose quotient fits (so the result is checked), sometimes a
// zero divisor or an overflowing quotient, both #DE (SDM Vol. 2A, DIV and IDIV).
void fix_division(CaseBuilder& b, const Operand& divisor_op, bool is_signed) {
    Rng& rng = b.rng();
    const unsigned w = divisor_op.kind.bits;
    if (rng.percent(8)) write_operand(b, divisor_op, 0);
    if (rng.percent(10)) return;  // random dividend: usually overflows
    uint64_t divisor = read_operand(b, divisor_op);
    uint64_t low = interesting(rng, w);
    uint64_t high;
    if (is_signed) {
        high = sign_extend(low, w) < 0 ? low_mask(w) : 0;
    } else {
        high = divisor ? rng.next() % divisor : rng.next();
    }
    high &= low_mask(w);
    if (w == 8) {
        b.write_reg({kRax, 16, false}, (high << 8) | low);
    } else {
        b.write_reg({kRax, w, false}, low);
        b.write_reg({kRdx, w, false}, high);
    }
}

// BT* m, r: the bit offset is a signed register value that may reach far outside the
// addressed word (SDM Vol. 2A, BT, "bit base/offset"); place the accessed word in the
// data area and let the effective address fall wherever that puts it.
bool place_bit_test_memory(CaseBuilder& b, Operand& mem, const Operand& offset, RegMask avoid,
                           bool fault) {
    Rng& rng = b.rng();
    const unsigned w = mem.kind.bits;
    // The largest positive offset of width w, 2^(w-1) - 1, computed unsigned: for w = 64
    // the signed form (1 << 63) - 1 overflows.
    const int64_t limit = std::min<int64_t>(0x4000 * 8, static_cast<int64_t>(low_mask(w - 1)));
    int64_t off = rng.percent(50) ? rng.range(-2 * int64_t(w), 4 * int64_t(w)) : rng.range(-limit, limit);
    b.write_reg(offset.reg, static_cast<uint64_t>(off));
    const unsigned shift = w == 16 ? 4 : w == 32 ? 5 : 6;
    uint64_t access = fault ? b.fault_target(w / 8, true) : b.data_target(w / 8);
    uint64_t ea = access - static_cast<uint64_t>((off >> shift) * int64_t(w / 8));
    mem.enc = b.memory_operand(ea, static_cast<uint16_t>(w / 8), avoid | reg_bit(offset.reg.index));
    mem.address = access;
    b.write_data(access, interesting(rng, w), w / 8);
    return true;
}

bool build_plain(CaseBuilder& b) {
    const Form& f = b.form();
    Rng& rng = b.rng();
    const ZydisMnemonic m = f.mnemonic;
    const bool stack = uses_stack(m);
    const RegMask implicit = implicit_regs(f);
    std::vector<Operand> ops(f.operands.size());

    // Registers and immediates.
    for (size_t i = 0; i < ops.size(); ++i) {
        Operand& op = ops[i];
        op.kind = f.operands[i];
        const unsigned bits = op.kind.bits;
        switch (op.kind.type) {
            case OperandType::Reg: op.reg = b.pick_reg(bits, 0); break;
            case OperandType::Acc: op.reg = {kRax, bits, false}; break;
            case OperandType::Cl: op.reg = {kRcx, 8, false}; break;
            case OperandType::One:
                op.enc.type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
                op.enc.imm.u = 1;
                continue;
            case OperandType::Imm:
                op.enc.type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
                op.enc.imm.s = sign_extend(interesting(rng, bits), bits);
                continue;
            case OperandType::Xmm:
                op.enc.type = ZYDIS_OPERAND_TYPE_REGISTER;
                op.enc.reg.value = static_cast<ZydisRegister>(ZYDIS_REGISTER_XMM0 + rng.below(kXmmCount));
                continue;
            case OperandType::St:
                op.enc.type = ZYDIS_OPERAND_TYPE_REGISTER;
                op.enc.reg.value = static_cast<ZydisRegister>(ZYDIS_REGISTER_ST0 + (bits ? rng.below(8) : 0));
                continue;
            case OperandType::Mm:
                op.enc.type = ZYDIS_OPERAND_TYPE_REGISTER;
                op.enc.reg.value = static_cast<ZydisRegister>(ZYDIS_REGISTER_MM0 + rng.below(8));
                continue;
            default: continue;
        }
        op.enc.type = ZYDIS_OPERAND_TYPE_REGISTER;
        op.enc.reg.value = zydis_gpr(op.reg.index, op.reg.bits, op.reg.high);
        // RSP keeps pointing at the stack for PUSH/POP ("push rsp", "pop rsp").
        if (!(stack && op.reg.index == kRsp)) b.write_reg(op.reg, interesting(rng, bits));
    }

    // Memory operands.
    // Operands never accessed, so never faulting: half of them point where an access would.
    const bool no_access = m == ZYDIS_MNEMONIC_NOP || m == ZYDIS_MNEMONIC_LEA || m == ZYDIS_MNEMONIC_PREFETCHNTA ||
                           m == ZYDIS_MNEMONIC_PREFETCHT0 || m == ZYDIS_MNEMONIC_PREFETCHT1 || m == ZYDIS_MNEMONIC_PREFETCHT2;
    const bool sse = uses_sse_state(f);
    for (size_t i = 0; i < ops.size(); ++i) {
        Operand& op = ops[i];
        const unsigned bytes = op.kind.bits / 8;
        if (op.kind.type == OperandType::Agen) {
            op.enc = b.agen_operand(0);
            continue;
        }
        if (op.kind.type == OperandType::Moffs) {
            // Below 4 GiB Zydis picks the 67-prefixed moffs32 form; an address above it
            // (unmapped, so #PF, or non-canonical, #GP) gets the 8-byte moffs64 form.
            const uint64_t far_away = rng.percent(50) ? kUnmappedBase + rng.below(1u << 20)
                                                      : 0x8000000000000000ull + rng.next() % (1ull << 40);
            op.address = rng.percent(kFaultPercent * 2) ? far_away : b.data_target(bytes);
            op.enc = b.memory_operand(op.address, static_cast<uint16_t>(bytes), 0, Addressing::Absolute);
            b.write_data(op.address, interesting(rng, op.kind.bits), bytes);
            continue;
        }
        if (op.kind.type != OperandType::Mem) continue;
        const bool fault = !no_access && rng.percent(kFaultPercent);
        const RegMask avoid = implicit | (stack ? reg_bit(kRsp) : 0);
        if (is_bit_test(m) && ops.size() == 2 && f.operands[1].type == OperandType::Reg) {
            place_bit_test_memory(b, op, ops[1], avoid, fault);
            continue;
        }
        if (no_access) {
            op.address = rng.percent(50) ? b.data_target(bytes) : b.fault_target(bytes, false);
        } else if (fault) {
            op.address = b.fault_target(bytes, false);
        } else {
            op.address = b.data_target(bytes);
            // CMPXCHG16B needs 16-byte alignment, else #GP (SDM Vol. 2A, CMPXCHG8B/16B), as do
            // most legacy SSE instructions with a 16-byte operand (vol. 1 §10.4.1.1).
            if (m == ZYDIS_MNEMONIC_CMPXCHG16B || (sse && bytes == 16))
                op.address = rng.percent(sse ? 90 : 95) ? op.address & ~15ull : op.address | (1 + rng.below(15));
        }
        op.enc = b.memory_operand(op.address, static_cast<uint16_t>(bytes), avoid);
        if (f.x87 && bytes == 10 && b.in_data(op.address, bytes)) {
            uint8_t value[10];
            x87_value(rng, value);
            uint64_t low;
            memcpy(&low, value, 8);
            b.write_data(op.address, low, 8);
            b.write_data(op.address + 8, static_cast<uint64_t>(value[8] | value[9] << 8), 2);
            continue;
        }
        if ((sse || (f.x87 && (bytes == 4 || bytes == 8))) && b.in_data(op.address, bytes)) {
            uint8_t value[16];
            write_sse_bytes(rng, value, bytes);
            for (unsigned at = 0; at < bytes; at += 8) {
                uint64_t part = 0;
                memcpy(&part, value + at, std::min(8u, bytes - at));
                b.write_data(op.address + at, part, std::min(8u, bytes - at));
            }
            continue;
        }
        for (unsigned at = 0; at < bytes; at += 8)
            b.write_data(op.address + at, interesting(rng, std::min(64u, unsigned(op.kind.bits))), std::min(8u, bytes));
    }

    // Fix-ups that need the final operand values.
    if (is_shift(m) && ops.size() == 2 && ops[1].kind.type != OperandType::One) {
        uint64_t count = shift_count(rng, ops[0].kind.bits);
        if (ops[1].kind.type == OperandType::Cl) b.write_reg(ops[1].reg, count);
        else ops[1].enc.imm.u = count;
    }
    if ((m == ZYDIS_MNEMONIC_SHLD || m == ZYDIS_MNEMONIC_SHRD) && ops.size() == 3) {
        uint64_t count;
        // 16-bit SHLD/SHRD with a masked count above 16 leave the result undefined
        // (SDM Vol. 2B, SHLD/SHRD): do not generate them.
        do count = shift_count(rng, ops[0].kind.bits);
        while (ops[0].kind.bits == 16 && (count & 31) > 16);
        if (ops[2].kind.type == OperandType::Cl) b.write_reg(ops[2].reg, count);
        else ops[2].enc.imm.u = count;
    }
    if (is_bit_test(m) && ops.size() == 2 && ops[1].kind.type == OperandType::Imm)
        ops[1].enc.imm.u = rng.percent(50) ? rng.below(ops[0].kind.bits) : rng.below(256);
    if ((m == ZYDIS_MNEMONIC_DIV || m == ZYDIS_MNEMONIC_IDIV) && ops.size() == 1)
        fix_division(b, ops[0], m == ZYDIS_MNEMONIC_IDIV);
    if (m == ZYDIS_MNEMONIC_CMPXCHG && rng.percent(50))
        b.write_reg({kRax, ops[0].kind.bits, false}, read_operand(b, ops[0]));
    if ((m == ZYDIS_MNEMONIC_CMPXCHG8B || m == ZYDIS_MNEMONIC_CMPXCHG16B) && rng.percent(50)) {
        if (m == ZYDIS_MNEMONIC_CMPXCHG8B) {
            uint64_t v = b.read_data(ops[0].address, 8);
            b.write_reg({kRax, 32, false}, v);
            b.write_reg({kRdx, 32, false}, v >> 32);
        } else {
            b.gpr(kRax) = b.read_data(ops[0].address, 8);
            b.gpr(kRdx) = b.read_data(ops[0].address + 8, 8);
        }
    }
    if (is_bit_scan(m) && rng.percent(25)) write_operand(b, ops[1], 0);
    // PCMPESTRx: string lengths in EAX/EDX, mostly around the 16 (or 8) elements, whose
    // absolute value saturates (SDM vol. 2B, PCMPESTRI).
    if ((m == ZYDIS_MNEMONIC_PCMPESTRI || m == ZYDIS_MNEMONIC_PCMPESTRM) && rng.percent(80)) {
        b.gpr(kRax) = static_cast<uint64_t>(rng.range(-20, 20));
        b.gpr(kRdx) = static_cast<uint64_t>(rng.range(-20, 20));
    }
    // MASKMOVDQU stores to [RDI]: mostly inside the data area, sometimes where it faults.
    // MASKMOVQ never faults here: AMD Zen has made its MMX transition (TOP = 0, every tag
    // valid) before it takes the #PF, a partial effect the SDM does not describe (README).
    if (m == ZYDIS_MNEMONIC_MASKMOVDQU)
        b.gpr(kRdi) = rng.percent(kFaultPercent) ? b.fault_target(16, true) : b.data_target(16);
    if (m == ZYDIS_MNEMONIC_MASKMOVQ) b.gpr(kRdi) = b.data_target(8);
    // SYSCALL: a system call number no kernel has, so the host's kernel does nothing but
    // answer (-ENOSYS, or a seccomp policy's errno). Linux compares the number as a 32-bit
    // int since 5.x, and all 64 bits before: the low half is positive, below the x32 bit
    // (0x40000000) and far above any real number; the high half is random.
    if (m == ZYDIS_MNEMONIC_SYSCALL)
        b.gpr(kRax) = (rng.next() & ~0xFFFFFFFFull) | (0x10000000 + rng.below(0x10000000));

    // Zydis encodes XCHG of a register with itself as NOP (90), a different instruction
    // ("xchg eax, eax" clears the upper half of RAX): draw again.
    if (m == ZYDIS_MNEMONIC_XCHG && ops.size() == 2 && ops[0].kind.type != OperandType::Mem &&
        ops[0].reg.index == ops[1].reg.index && ops[0].reg.high == ops[1].reg.high)
        return false;

    ZydisEncoderRequest req = CaseBuilder::request(m);
    req.prefixes = f.prefixes;
    req.operand_count = static_cast<ZyanU8>(ops.size());
    for (size_t i = 0; i < ops.size(); ++i) req.operands[i] = ops[i].enc;
    if (m == ZYDIS_MNEMONIC_PUSH && ops.size() == 1 && ops[0].kind.type == OperandType::Imm &&
        ops[0].kind.bits == 16)
        req.operand_size_hint = ZYDIS_OPERAND_SIZE_HINT_16;  // 66 68 iw
    return b.emit(req);
}

void randomize_state(Rng& rng, Case& c) {
    reset_fpu_image(c.in);
    for (uint64_t& g : c.in.gpr) g = interesting(rng, 64);
    c.in.rflags = kFixedFlags | (rng.next() & kUserFlags);
    // One random 4 KiB pattern, XORed with a random key per page: random enough for
    // whatever a case reads, and far cheaper than 8192 draws.
    constexpr size_t kWords = 512;
    uint64_t pattern[kWords];
    for (uint64_t& w : pattern) w = rng.next();
    c.data.resize(kDataSize);
    for (size_t page = 0; page < kDataSize / (kWords * 8); ++page) {
        const uint64_t key = rng.next();
        uint64_t words[kWords];
        for (size_t i = 0; i < kWords; ++i) words[i] = pattern[i] ^ key;
        memcpy(&c.data[page * kWords * 8], words, sizeof words);
    }
    c.code.clear();
}

}  // namespace

void reset_fpu_image(CpuSnapshot& s) {
    memset(s.fpu, 0, sizeof s.fpu);
    memcpy(s.fpu, &kDefaultFcw, 2);
    memcpy(s.fpu + 24, &kDefaultMxcsr, 4);
}

bool generate_case(const Form& form, uint64_t seed, Case& out, std::string& error) {
    Rng rng(seed);
    out.form = form.name;
    out.seed = seed;
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
        randomize_state(rng, out);
        if (uses_sse_state(form)) randomize_sse(rng, out);
        if (form.x87) randomize_x87(rng, out);
        CaseBuilder b(form, rng, out);
        out.in.gpr[kRsp] = b.stack_pointer();
        bool ok = form.shape == Shape::Plain ? build_plain(b) : build_snippet(b);
        if (ok && !out.code.empty()) return true;
    }
    error = form.name + " seed " + std::to_string(seed) + ": no encodable variant in " +
            std::to_string(kAttempts) + " attempts";
    return false;
}

std::vector<Case> generate_cases(const Form& form, uint64_t master, unsigned count,
                                 std::vector<std::string>& errors) {
    std::vector<Case> cases;
    cases.reserve(count);
    for (unsigned i = 0; i < count; ++i) {
        Case c;
        std::string error;
        if (generate_case(form, case_seed(master, form.name, i), c, error)) cases.push_back(std::move(c));
        else errors.push_back(error);
    }
    return cases;
}

}  // namespace keel::difftest
