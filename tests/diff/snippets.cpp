// Snippet shapes (form.h, enum Shape): the instruction under test plus the code that
// makes every outcome end at the first byte after the snippet. A "marker" is a MOV of a
// random value into a random register on one path only, so the final registers show
// which path ran.
#include "tests/diff/snippets.h"

#include <cstring>
#include <vector>

namespace keel::difftest {
namespace {

using Bytes = std::vector<uint8_t>;

#define M(x) ZYDIS_MNEMONIC_##x

ZydisEncoderOperand imm(uint64_t v) {
    ZydisEncoderOperand op;
    memset(&op, 0, sizeof op);
    op.type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
    op.imm.u = v;
    return op;
}

ZydisEncoderOperand reg(unsigned index, unsigned bits = 64) {
    ZydisEncoderOperand op;
    memset(&op, 0, sizeof op);
    op.type = ZYDIS_OPERAND_TYPE_REGISTER;
    op.reg.value = zydis_gpr(index, bits);
    return op;
}

ZydisEncoderRequest one_operand(ZydisMnemonic m, ZydisEncoderOperand op) {
    ZydisEncoderRequest req = CaseBuilder::request(m);
    req.operand_count = 1;
    req.operands[0] = op;
    return req;
}

// A relative branch to an absolute target; `bits` 8 or 32 fixes its length, 0 lets
// Zydis choose (LOOP and JRCXZ only have rel8).
ZydisEncoderRequest branch(ZydisMnemonic m, uint64_t target, unsigned bits, unsigned abits = 64) {
    ZydisEncoderRequest req = one_operand(m, imm(target));
    req.branch_type = ZYDIS_BRANCH_TYPE_NONE;
    req.branch_width = bits == 8 ? ZYDIS_BRANCH_WIDTH_8 : bits == 32 ? ZYDIS_BRANCH_WIDTH_32
                                                                      : ZYDIS_BRANCH_WIDTH_NONE;
    if (abits == 32) req.address_size_hint = ZYDIS_ADDRESS_SIZE_HINT_32;
    return req;
}

// The marker's bytes, encoded aside so that branches over it know its length.
Bytes marker(CaseBuilder& b) {
    Case scratch;
    Rng& rng = b.rng();
    CaseBuilder aside(b.form(), rng, scratch);
    aside.emit_marker();
    return scratch.code;
}

void append(CaseBuilder& b, const Bytes& bytes) {
    b.result().code.insert(b.result().code.end(), bytes.begin(), bytes.end());
}

unsigned random_reg_except(Rng& rng, RegMask avoid) {
    for (;;) {
        unsigned r = static_cast<unsigned>(rng.below(kGprCount));
        if (!(avoid & reg_bit(r))) return r;
    }
}

// <branch> L; marker; L:   where the branch request is made by `make(target)`.
template <typename Make>
bool forward_over_marker(CaseBuilder& b, Make make) {
    Bytes mark = marker(b);
    size_t len = b.length_of(make(b.here() + 0x40));
    if (!len) return false;
    if (!b.emit(make(b.here() + len + mark.size()))) return false;
    append(b, mark);
    return true;
}

bool jcc_backward(CaseBuilder& b) {
    // jmp short A; B: marker; jmp short END; A: jcc B; END:
    const Form& f = b.form();
    Bytes mark = marker(b);
    const uint64_t start = b.here();
    const uint64_t target_b = start + 2;
    const uint64_t target_a = target_b + mark.size() + 2;
    const size_t jcc_len = b.length_of(branch(f.mnemonic, start, f.branch_bits));
    if (!jcc_len) return false;
    if (!b.emit(branch(M(JMP), target_a, 8))) return false;
    append(b, mark);
    if (!b.emit(branch(M(JMP), target_a + jcc_len, 8))) return false;
    return b.emit(branch(f.mnemonic, target_b, f.branch_bits));
}

// An indirect JMP/CALL through memory holding the address after the marker.
bool indirect_through_memory(CaseBuilder& b, ZydisMnemonic m) {
    Rng& rng = b.rng();
    uint64_t slot = rng.percent(3) ? b.fault_target(8, false) : b.data_target(8);
    ZydisEncoderRequest req = one_operand(m, b.memory_operand(slot, 8, reg_bit(kRsp)));
    Bytes mark = marker(b);
    size_t len = b.length_of(req);
    if (!len) return false;
    b.write_data(slot, b.here() + len + mark.size(), 8);
    if (!b.emit(req)) return false;
    append(b, mark);
    return true;
}

bool indirect_through_register(CaseBuilder& b, ZydisMnemonic m) {
    unsigned r = random_reg_except(b.rng(), reg_bit(kRsp));
    ZydisEncoderRequest req = one_operand(m, reg(r));
    req.prefixes = b.form().prefixes;
    Bytes mark = marker(b);
    size_t len = b.length_of(req);
    if (!len) return false;
    b.gpr(r) = b.here() + len + mark.size();
    if (!b.emit(req)) return false;
    append(b, mark);
    return true;
}

// RET's immediate: usually a few slots, sometimes anything up to 0xFFFF (RSP then leaves
// the data area, which is fine as nothing uses it afterwards).
ZydisEncoderRequest ret_request(CaseBuilder& b) {
    const Form& f = b.form();
    ZydisEncoderRequest plain = CaseBuilder::request(M(RET));
    plain.prefixes = f.prefixes;
    if (f.operands.empty()) return plain;
    Rng& rng = b.rng();
    uint64_t n = rng.percent(60) ? 8 * rng.below(16) : rng.percent(50) ? rng.below(0x100) : rng.below(0x10000);
    if (rng.percent(5)) n = 0xFFFF;
    return one_operand(M(RET), imm(n));
}

bool call_ret(CaseBuilder& b) {
    // call F; jmp short END; F: marker; ret [imm16]; END:
    Bytes mark = marker(b);
    ZydisEncoderRequest ret = ret_request(b);
    const size_t ret_len = b.length_of(ret);
    const uint64_t f = b.here() + 5 + 2;
    const uint64_t end = f + mark.size() + ret_len;
    if (!ret_len || !b.emit(branch(M(CALL), f, 32))) return false;
    if (!b.emit(branch(M(JMP), end, 8))) return false;
    append(b, mark);
    return b.emit(ret);
}

bool ret_alone(CaseBuilder& b) {
    // ret [imm16]; marker; L:   with [rsp] = L or the marker.
    Bytes mark = marker(b);
    ZydisEncoderRequest ret = ret_request(b);
    const size_t len = b.length_of(ret);
    if (!len) return false;
    const uint64_t marker_at = b.here() + len;
    b.write_data(b.gpr(kRsp), b.rng().percent(50) ? marker_at : marker_at + mark.size(), 8);
    if (!b.emit(ret)) return false;
    append(b, mark);
    return true;
}

// The count for LOOP/JRCXZ: with a 67 prefix only ECX counts, so the upper half gets
// garbage (and sometimes ECX is 0 while RCX is not).
void set_count(CaseBuilder& b, uint64_t count, unsigned abits) {
    b.gpr(kRcx) = abits == 32 ? with_garbage_above(b.rng(), count, 32) : count;
}

bool loop_forward(CaseBuilder& b) {
    const Form& f = b.form();
    Rng& rng = b.rng();
    const uint64_t picks[] = {0, 0, 1, 1, 2, interesting(rng, 64)};
    set_count(b, picks[rng.below(6)], f.address_bits);
    return forward_over_marker(b, [&](uint64_t t) { return branch(f.mnemonic, t, 0, f.address_bits); });
}

bool loop_backward(CaseBuilder& b) {
    // L: lea r, [r+1]  or  dec r;  loop L
    const Form& f = b.form();
    Rng& rng = b.rng();
    const unsigned r = random_reg_except(rng, reg_bit(kRsp) | reg_bit(kRcx));
    set_count(b, 1 + rng.below(12), f.address_bits);
    const uint64_t top = b.here();
    ZydisEncoderRequest body;
    if (rng.percent(50)) {
        body = CaseBuilder::request(M(LEA));  // leaves the flags alone
        body.operand_count = 2;
        body.operands[0] = reg(r);
        body.operands[1].type = ZYDIS_OPERAND_TYPE_MEMORY;
        body.operands[1].mem.base = zydis_gpr(r, 64);
        body.operands[1].mem.displacement = 1;
        body.operands[1].mem.size = 8;
    } else {
        body = one_operand(M(DEC), reg(r));  // ZF ends LOOPE/LOOPNE when r reaches 0
        b.gpr(r) = rng.below(8);
    }
    return b.emit(body) && b.emit(branch(f.mnemonic, top, 0, f.address_bits));
}

unsigned element_bytes(ZydisMnemonic m) {
    switch (m) {
        case M(MOVSB): case M(STOSB): case M(LODSB): case M(CMPSB): case M(SCASB): return 1;
        case M(MOVSW): case M(STOSW): case M(LODSW): case M(CMPSW): case M(SCASW): return 2;
        case M(MOVSD): case M(STOSD): case M(LODSD): case M(CMPSD): case M(SCASD): return 4;
        default: return 8;
    }
}

// String instructions: RSI/RDI inside the data area far enough from its ends for any
// count used here in either direction; overlapping buffers sometimes (REP MOVS must
// then behave element by element, SDM Vol. 2B, MOVS); buffers that compare equal for a
// while so REPE/REPNE stop at varying points.
bool string_op(CaseBuilder& b) {
    const Form& f = b.form();
    Rng& rng = b.rng();
    const unsigned size = element_bytes(f.mnemonic);
    const bool a32 = f.address_bits == 32;
    const bool down = b.result().in.rflags & kFlagDF;
    const uint64_t counts[] = {0, 1, 2, 3, rng.below(25)};
    const uint64_t count = f.prefixes ? counts[rng.below(5)] : rng.below(4);
    if (f.prefixes) set_count(b, count, f.address_bits);
    const uint64_t src = kDataBase + 0x400 + rng.below(0xB000);
    const uint64_t dst = rng.percent(25) ? src + rng.range(-16, 16) : kDataBase + 0x400 + rng.below(0xB000);
    b.gpr(kRsi) = a32 ? with_garbage_above(rng, src, 32) : src;
    b.gpr(kRdi) = a32 ? with_garbage_above(rng, dst, 32) : dst;
    const int64_t step = down ? -int64_t(size) : int64_t(size);
    const ZydisMnemonic m = f.mnemonic;
    if (m == M(CMPSB) || m == M(CMPSW) || m == M(CMPSD) || m == M(CMPSQ)) {
        uint64_t equal = rng.below(count + 2);
        for (uint64_t k = 0; k < equal; ++k)
            b.write_data(dst + k * step, b.read_data(src + k * step, size), size);
    }
    if (m == M(SCASB) || m == M(SCASW) || m == M(SCASD) || m == M(SCASQ)) {
        for (uint64_t k = 0; k <= count; ++k)
            if (rng.percent(30)) b.write_data(dst + k * step, b.gpr(kRax), size);
    }
    ZydisEncoderRequest req = CaseBuilder::request(m);
    req.prefixes = f.prefixes;
    if (a32) req.address_size_hint = ZYDIS_ADDRESS_SIZE_HINT_32;
    return b.emit(req);
}

bool stack_memory(CaseBuilder& b) {
    // push/pop qword [rsp + disp8]; POP computes the address with the incremented RSP
    // (SDM Vol. 2B, POP).
    Rng& rng = b.rng();
    ZydisEncoderOperand op;
    memset(&op, 0, sizeof op);
    op.type = ZYDIS_OPERAND_TYPE_MEMORY;
    op.mem.base = ZYDIS_REGISTER_RSP;
    op.mem.displacement = rng.percent(80) ? 8 * rng.range(-8, 8) : rng.range(-64, 64);
    op.mem.size = 8;
    return b.emit(one_operand(b.form().mnemonic, op));
}

bool enter(CaseBuilder& b) {
    // The nesting level is taken mod 32 (SDM Vol. 2A, ENTER); levels > 1 copy frame
    // pointers from [rbp - 8*i], so RBP points into the stack too. ENTER also probes the
    // final RSP and raises #PF if it is unmapped, but by then the CPU has already stored
    // the frame pointers (seen on AMD Zen), a vendor-specific partial effect: so the
    // frame size keeps the final RSP inside the data area.
    Rng& rng = b.rng();
    const uint64_t sizes[] = {0, 8, 16, 8 * rng.below(64), rng.below(0x400),
                              rng.below(kStackLow - kDataBase - 0x200)};
    const uint64_t levels[] = {0, 1, 2, 3, rng.below(32), 32 + rng.below(224)};
    b.gpr(kRbp) = b.stack_pointer();
    ZydisEncoderRequest req = CaseBuilder::request(M(ENTER));
    req.operand_count = 2;
    req.operands[0] = imm(sizes[rng.below(6)]);
    req.operands[1] = imm(levels[rng.below(6)]);
    return b.emit(req);
}

bool pop_flags(CaseBuilder& b) {
    // Only bits a user program may set (diff_case.h, kUserFlags), on top of the fixed ones.
    uint64_t image = kFixedFlags | (b.rng().next() & kUserFlags);
    b.write_data(b.gpr(kRsp), image, b.form().mnemonic == M(POPF) ? 2 : 8);
    return b.emit(CaseBuilder::request(b.form().mnemonic));
}

bool nop_fill(CaseBuilder& b) {
    uint8_t buf[32];
    unsigned n = b.form().param;
    if (n > sizeof buf || !ZYAN_SUCCESS(ZydisEncoderNopFill(buf, n))) return false;
    append(b, Bytes(buf, buf + n));
    return true;
}

}  // namespace

bool build_snippet(CaseBuilder& b) {
    const Form& f = b.form();
    switch (f.shape) {
        case Shape::JccForward:
        case Shape::JmpForward:
            return forward_over_marker(b, [&](uint64_t t) {
                ZydisEncoderRequest req = branch(f.mnemonic, t, f.branch_bits);
                req.prefixes = f.prefixes;
                return req;
            });
        case Shape::JccBackward: return jcc_backward(b);
        case Shape::JmpReg: return indirect_through_register(b, M(JMP));
        case Shape::JmpMem: return indirect_through_memory(b, M(JMP));
        case Shape::CallRel:
            return forward_over_marker(b, [&](uint64_t t) { return branch(M(CALL), t, 32); });
        case Shape::CallReg: return indirect_through_register(b, M(CALL));
        case Shape::CallMem: return indirect_through_memory(b, M(CALL));
        case Shape::CallRet: return call_ret(b);
        case Shape::Ret: return ret_alone(b);
        case Shape::LoopForward: return loop_forward(b);
        case Shape::LoopBackward: return loop_backward(b);
        case Shape::String: return string_op(b);
        case Shape::StackMem: return stack_memory(b);
        case Shape::Enter: return enter(b);
        case Shape::Leave:
            b.gpr(kRbp) = b.stack_pointer();
            return b.emit(CaseBuilder::request(M(LEAVE)));
        case Shape::PopFlags: return pop_flags(b);
        case Shape::NopFill: return nop_fill(b);
        case Shape::Plain: break;
    }
    return false;
}

#undef M

}  // namespace keel::difftest
