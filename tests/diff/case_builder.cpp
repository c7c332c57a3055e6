#include "tests/diff/case_builder.h"

#include <cstring>

namespace keel::difftest {
namespace {

constexpr ZydisRegister kGpr64[] = {
    ZYDIS_REGISTER_RAX, ZYDIS_REGISTER_RCX, ZYDIS_REGISTER_RDX, ZYDIS_REGISTER_RBX,
    ZYDIS_REGISTER_RSP, ZYDIS_REGISTER_RBP, ZYDIS_REGISTER_RSI, ZYDIS_REGISTER_RDI,
    ZYDIS_REGISTER_R8,  ZYDIS_REGISTER_R9,  ZYDIS_REGISTER_R10, ZYDIS_REGISTER_R11,
    ZYDIS_REGISTER_R12, ZYDIS_REGISTER_R13, ZYDIS_REGISTER_R14, ZYDIS_REGISTER_R15};
constexpr ZydisRegister kGpr32[] = {
    ZYDIS_REGISTER_EAX,  ZYDIS_REGISTER_ECX,  ZYDIS_REGISTER_EDX,  ZYDIS_REGISTER_EBX,
    ZYDIS_REGISTER_ESP,  ZYDIS_REGISTER_EBP,  ZYDIS_REGISTER_ESI,  ZYDIS_REGISTER_EDI,
    ZYDIS_REGISTER_R8D,  ZYDIS_REGISTER_R9D,  ZYDIS_REGISTER_R10D, ZYDIS_REGISTER_R11D,
    ZYDIS_REGISTER_R12D, ZYDIS_REGISTER_R13D, ZYDIS_REGISTER_R14D, ZYDIS_REGISTER_R15D};
constexpr ZydisRegister kGpr16[] = {
    ZYDIS_REGISTER_AX,   ZYDIS_REGISTER_CX,   ZYDIS_REGISTER_DX,   ZYDIS_REGISTER_BX,
    ZYDIS_REGISTER_SP,   ZYDIS_REGISTER_BP,   ZYDIS_REGISTER_SI,   ZYDIS_REGISTER_DI,
    ZYDIS_REGISTER_R8W,  ZYDIS_REGISTER_R9W,  ZYDIS_REGISTER_R10W, ZYDIS_REGISTER_R11W,
    ZYDIS_REGISTER_R12W, ZYDIS_REGISTER_R13W, ZYDIS_REGISTER_R14W, ZYDIS_REGISTER_R15W};
constexpr ZydisRegister kGpr8[] = {
    ZYDIS_REGISTER_AL,   ZYDIS_REGISTER_CL,   ZYDIS_REGISTER_DL,   ZYDIS_REGISTER_BL,
    ZYDIS_REGISTER_SPL,  ZYDIS_REGISTER_BPL,  ZYDIS_REGISTER_SIL,  ZYDIS_REGISTER_DIL,
    ZYDIS_REGISTER_R8B,  ZYDIS_REGISTER_R9B,  ZYDIS_REGISTER_R10B, ZYDIS_REGISTER_R11B,
    ZYDIS_REGISTER_R12B, ZYDIS_REGISTER_R13B, ZYDIS_REGISTER_R14B, ZYDIS_REGISTER_R15B};
constexpr ZydisRegister kGpr8High[] = {
    ZYDIS_REGISTER_AH, ZYDIS_REGISTER_CH, ZYDIS_REGISTER_DH, ZYDIS_REGISTER_BH};

bool fits_i32(int64_t v) { return v == static_cast<int32_t>(v); }

int64_t random_disp(Rng& rng) {
    switch (rng.below(3)) {
        case 0: return 0;
        case 1: return rng.range(-128, 127);
        default: return rng.percent(50) ? rng.range(-0x10000, 0x10000)
                                        : static_cast<int32_t>(rng.next());
    }
}

}  // namespace

ZydisRegister zydis_gpr(unsigned index, unsigned bits, bool high) {
    switch (bits) {
        case 8: return high ? kGpr8High[index & 3] : kGpr8[index];
        case 16: return kGpr16[index];
        case 32: return kGpr32[index];
        default: return kGpr64[index];
    }
}

CaseBuilder::CaseBuilder(const Form& form, Rng& rng, Case& out)
    : m_form(form), m_rng(rng), m_case(out) {}

ZydisEncoderRequest CaseBuilder::request(ZydisMnemonic mnemonic) {
    ZydisEncoderRequest req;
    memset(&req, 0, sizeof req);
    req.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
    req.mnemonic = mnemonic;
    return req;
}

bool CaseBuilder::emit(ZydisEncoderRequest req) {
    uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH];
    ZyanUSize len = sizeof buf;
    if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstructionAbsolute(&req, buf, &len, here()))) return false;
    if (m_case.code.size() + len > kMaxCodeBytes) return false;
    m_case.code.insert(m_case.code.end(), buf, buf + len);
    return true;
}

size_t CaseBuilder::length_of(ZydisEncoderRequest req) const {
    uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH];
    ZyanUSize len = sizeof buf;
    if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstructionAbsolute(&req, buf, &len, here()))) return 0;
    return len;
}

bool CaseBuilder::emit_marker() {
    unsigned reg = static_cast<unsigned>(m_rng.below(15));
    if (reg >= kRsp) ++reg;
    ZydisEncoderRequest req = request(ZYDIS_MNEMONIC_MOV);
    req.operand_count = 2;
    req.operands[0].type = ZYDIS_OPERAND_TYPE_REGISTER;
    req.operands[0].reg.value = zydis_gpr(reg, 64);
    req.operands[1].type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
    req.operands[1].imm.s = static_cast<int32_t>(m_rng.next());
    return emit(req);
}

uint64_t CaseBuilder::read_reg(RegRef r) const {
    uint64_t v = m_case.in.gpr[r.index];
    return r.high ? (v >> 8) & 0xFF : v & low_mask(r.bits);
}

void CaseBuilder::write_reg(RegRef r, uint64_t value) {
    uint64_t& g = m_case.in.gpr[r.index];
    if (r.high) {
        g = (g & ~0xFF00ull) | ((value & 0xFF) << 8);
    } else {
        g = (g & ~low_mask(r.bits)) | (value & low_mask(r.bits));
    }
}

RegRef CaseBuilder::pick_reg(unsigned bits, RegMask avoid) {
    for (;;) {
        RegRef r;
        r.bits = bits;
        if (bits == 8 && m_rng.percent(20)) {
            r.index = static_cast<unsigned>(m_rng.below(4));
            r.high = true;
        } else {
            r.index = static_cast<unsigned>(m_rng.below(kGprCount));
        }
        if (!(avoid & reg_bit(r.index))) return r;
    }
}

bool CaseBuilder::in_data(uint64_t address, unsigned bytes) const {
    return address >= kDataBase && address + bytes <= kDataBase + kDataSize &&
           address + bytes >= address;
}

uint64_t CaseBuilder::read_data(uint64_t address, unsigned bytes) const {
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes && i < 8; ++i)
        if (in_data(address + i, 1)) v |= uint64_t(m_case.data[address + i - kDataBase]) << (8 * i);
    return v;
}

void CaseBuilder::write_data(uint64_t address, uint64_t value, unsigned bytes) {
    for (unsigned i = 0; i < bytes && i < 8; ++i)
        if (in_data(address + i, 1)) m_case.data[address + i - kDataBase] = uint8_t(value >> (8 * i));
}

uint64_t CaseBuilder::data_target(unsigned bytes) {
    uint64_t address = kDataBase + 0x80 + m_rng.below(kDataSize - 0x100 - bytes);
    if (m_rng.percent(50)) address &= ~uint64_t(bytes >= 16 ? 15 : bytes - 1);
    return address;
}

uint64_t CaseBuilder::fault_target(unsigned bytes, bool canonical_only) {
    uint64_t half = bytes > 1 ? bytes / 2 : 1;
    switch (m_rng.below(canonical_only ? 3 : 4)) {
        case 0: return kDataBase + kDataSize - (bytes > 1 ? half : 0);  // straddles the end
        case 1: return kDataBase - half;                                 // straddles the start
        case 2: return kDataBase + kDataSize + m_rng.below(0x1000);      // unmapped guard
        default:  // non-canonical (SDM Vol. 1, 3.3.7.1): #GP, or #SS with an RSP/RBP base
            return (m_rng.percent(50) ? 0x0000800000000000ull : 0x8000000000000000ull) +
                   m_rng.below(1ull << 32);
    }
}

uint64_t CaseBuilder::stack_pointer() {
    uint64_t rsp = kStackLow + m_rng.below(kStackHigh - kStackLow);
    return m_rng.percent(90) ? rsp & ~7ull : rsp;
}

ZydisEncoderOperand CaseBuilder::memory_operand(uint64_t target, uint16_t size, RegMask avoid,
                                                Addressing how) {
    ZydisEncoderOperand op;
    memset(&op, 0, sizeof op);
    op.type = ZYDIS_OPERAND_TYPE_MEMORY;
    op.mem.size = size;
    op.mem.base = op.mem.index = ZYDIS_REGISTER_NONE;
    const bool near_code = fits_i32(static_cast<int64_t>(target - kCodeBase));
    const bool low4g = target < (1ull << 32);
    const unsigned mode = static_cast<unsigned>(m_rng.below(100));
    auto pick = [&](bool may_be_rsp) {  // RSP cannot be an index (SDM Vol. 2A, Table 2-3)
        for (;;) {
            unsigned r = static_cast<unsigned>(m_rng.below(kGprCount));
            if (!(avoid & reg_bit(r)) && (may_be_rsp || r != kRsp)) return r;
        }
    };

    if (how == Addressing::Absolute || (mode < 8 && fits_i32(static_cast<int64_t>(target)))) {
        op.mem.displacement = static_cast<int64_t>(target);  // [disp32], or moffs
        return op;
    }
    if (mode < 20 && near_code) {
        op.mem.base = ZYDIS_REGISTER_RIP;  // Zydis turns the absolute target into rel32
        op.mem.displacement = static_cast<int64_t>(target);
        return op;
    }
    if (mode < 25 && near_code && low4g) {
        op.mem.base = ZYDIS_REGISTER_EIP;  // 67 prefix: (EIP + disp32) mod 2^32
        op.mem.displacement = static_cast<int64_t>(target);
        return op;
    }
    const uint8_t scale = static_cast<uint8_t>(1u << m_rng.below(4));
    if (mode < 30) {
        // [index*scale + disp32], no base: the index gets most of the address.
        unsigned index = pick(false);
        uint64_t value = target / scale - m_rng.below(0x100000);
        op.mem.index = zydis_gpr(index, 64);
        op.mem.scale = scale;
        op.mem.displacement = static_cast<int64_t>(target - value * scale);
        gpr(index) = value;
        return op;
    }
    // Base, optional index, optional displacement; 32-bit address size for some. The
    // index value is often huge so that the sum wraps (mod 2^64, or mod 2^32 with the
    // upper halves of the 32-bit registers full of garbage that must be ignored).
    const bool a32 = mode < 50 && low4g;
    const unsigned abits = a32 ? 32 : 64;
    const uint64_t amask = low_mask(abits);
    int64_t disp = random_disp(m_rng);
    unsigned base = pick(true);
    op.mem.base = zydis_gpr(base, abits);
    if (m_rng.percent(50)) {
        gpr(base) = a32 ? with_garbage_above(m_rng, target - disp, 32) : target - disp;
        op.mem.displacement = disp;
        return op;
    }
    unsigned index = pick(false);
    if (base == index && !a32 && m_rng.percent(20)) {
        // [r + r*scale + disp]: r * (scale + 1) = target - disp, so move disp up by the
        // remainder that makes the difference t (read as signed) divisible. Unsigned
        // arithmetic throughout: target - disp wraps for targets near 2^63.
        const uint64_t k = scale + 1u;
        const uint64_t t = target - static_cast<uint64_t>(disp);
        const bool negative = static_cast<int64_t>(t) < 0;
        const uint64_t magnitude = negative ? 0 - t : t;  // |t| <= 2^63
        const uint64_t r = negative ? (k - magnitude % k) % k : magnitude % k;
        disp += static_cast<int64_t>(r);
        const uint64_t quotient = (negative ? magnitude + r : magnitude - r) / k;  // exact
        gpr(base) = negative ? 0 - quotient : quotient;
    } else {
        while (index == base) index = pick(false);
        uint64_t value = m_rng.percent(40) ? interesting(m_rng, abits)
                                           : static_cast<uint64_t>(m_rng.range(-0x800, 0x800));
        uint64_t base_value = (target - value * scale - static_cast<uint64_t>(disp)) & amask;
        gpr(index) = a32 ? with_garbage_above(m_rng, value, 32) : value;
        gpr(base) = a32 ? with_garbage_above(m_rng, base_value, 32) : base_value;
    }
    op.mem.index = zydis_gpr(index, abits);
    op.mem.scale = scale;
    op.mem.displacement = disp;
    return op;
}

ZydisEncoderOperand CaseBuilder::agen_operand(RegMask avoid) {
    // Any address will do; pick one near the code when RIP-relative so rel32 reaches it.
    uint64_t target = m_rng.percent(30) ? here() + m_rng.range(-0x40000000, 0x40000000)
                                        : interesting(m_rng, 64);
    unsigned bytes = m_rng.percent(25) ? 4 : 8;
    if (bytes == 4) target &= 0xFFFFFFFF;
    ZydisEncoderOperand op = memory_operand(target, static_cast<uint16_t>(bytes), avoid);
    // The registers were set to produce `target`; the size picks the address size, and
    // memory_operand chose a32 on its own only for targets below 4 GiB.
    bool a32 = ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, op.mem.base) == 32 ||
               ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, op.mem.index) == 32 ||
               op.mem.base == ZYDIS_REGISTER_EIP;
    op.mem.size = a32 ? 4 : 8;
    return op;
}

}  // namespace keel::difftest
