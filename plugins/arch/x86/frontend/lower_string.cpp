// String instructions: MOVS, STOS, LODS, CMPS, SCAS (Intel SDM vol. 2). One iteration is
// lowered inline; REP/REPE/REPNE forms run in the rep_string helper, which updates RCX,
// RSI, RDI as it goes so that a fault or an interrupt leaves a restartable state.
#include "plugins/arch/x86/frontend/lower_table.h"
#include "plugins/arch/x86/runtime/helpers.h"
#include "plugins/arch/x86/runtime/string_op.h"

namespace keel::x86 {
namespace {

using ir::Type;
using string_op::Kind;

unsigned element_size(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_MOVSB: case ZYDIS_MNEMONIC_STOSB: case ZYDIS_MNEMONIC_LODSB: case ZYDIS_MNEMONIC_CMPSB: case ZYDIS_MNEMONIC_SCASB: return 1;
    case ZYDIS_MNEMONIC_MOVSW: case ZYDIS_MNEMONIC_STOSW: case ZYDIS_MNEMONIC_LODSW: case ZYDIS_MNEMONIC_CMPSW: case ZYDIS_MNEMONIC_SCASW: return 2;
    case ZYDIS_MNEMONIC_MOVSD: case ZYDIS_MNEMONIC_STOSD: case ZYDIS_MNEMONIC_LODSD: case ZYDIS_MNEMONIC_CMPSD: case ZYDIS_MNEMONIC_SCASD: return 4;
    default: return 8;
    }
}

u8 source_segment(const Lowerer& lw)
{
    if (lw.has_prefix(ZYDIS_ATTRIB_HAS_SEGMENT_FS))
        return FS;
    if (lw.has_prefix(ZYDIS_ATTRIB_HAS_SEGMENT_GS))
        return GS;
    if (lw.has_prefix(ZYDIS_ATTRIB_HAS_SEGMENT_ES))
        return ES;
    if (lw.has_prefix(ZYDIS_ATTRIB_HAS_SEGMENT_CS))
        return CS;
    if (lw.has_prefix(ZYDIS_ATTRIB_HAS_SEGMENT_SS))
        return SS;
    return DS;
}

// RSI/RDI (ESI/EDI, SI/DI at a smaller address size) as a linear address in a segment,
// `bytes` there checked against the segment's limit outside flat segments.
ir::Value pointer(Lowerer& lw, Gpr g, u8 segment, unsigned bytes)
{
    ir::Value offset = lw.ir.zext(Type::U64, lw.read_gpr(g, Lowerer::type_of_bits(lw.insn().address_width)));
    if (!lw.code64() && !(lw.mode() & mode::flat))
        lw.check_segment_limit(offset, bytes, static_cast<SegmentIndex>(segment));
    return lw.linear(offset, static_cast<SegmentIndex>(segment));
}

void advance(Lowerer& lw, Gpr g, ir::Value step)
{
    Type t = Lowerer::type_of_bits(lw.insn().address_width);
    lw.write_gpr(g, lw.ir.add(lw.read_gpr(g, t), lw.ir.trunc(t, step)));
}

template<Kind K>
Lowered lower_string(Lowerer& lw)
{
    // SSE2's MOVSD/CMPSD share the mnemonic (0F-map opcodes with XMM operands).
    if ((K == Kind::Movs || K == Kind::Cmps) && lw.insn().opcode_map != ZYDIS_OPCODE_MAP_DEFAULT)
        return lower_sse(lw);
    unsigned size = element_size(lw.insn().mnemonic);
    Type t = Lowerer::type_of_bits(size * 8);
    bool rep = lw.has_prefix(ZYDIS_ATTRIB_HAS_REP) || lw.has_prefix(ZYDIS_ATTRIB_HAS_REPE) || lw.has_prefix(ZYDIS_ATTRIB_HAS_REPNE);
    // The rep_string helper knows 64- and 32-bit addresses with flat DS and ES. Elsewhere
    // (16-bit addresses, segment bases) each iteration is one run of this instruction's
    // code, which leaves when the count is zero and goes back to itself while it repeats.
    bool iterate = rep && !lw.code64() && (lw.insn().address_width == 16 || !(lw.mode() & mode::flat));
    if (iterate) {
        Type ct = Lowerer::type_of_bits(lw.insn().address_width);
        lw.commit();
        lw.ir.exit_if(lw.ir.equal(lw.read_gpr(RCX, ct), lw.imm(ct, 0)), lw.d().next_pc());
    }
    if (rep && !iterate) {
        string_op::Description d { K, string_op::Rep, static_cast<u8>(size), lw.insn().address_width == 32, source_segment(lw) };
        if (K == Kind::Cmps || K == Kind::Scas)
            d.repeat = lw.has_prefix(ZYDIS_ATTRIB_HAS_REPNE) ? string_op::RepNE : string_op::RepE;
        lw.commit();
        lw.ir.call(helpers::rep_string, lw.imm(Type::U64, string_op::encode(d)), lw.imm(Type::U64, lw.insn().length));
        return Lowered::Continue;
    }

    // One iteration. The step is +size, or -size when DF is set.
    ir::Value df = lw.ir.emit(ir::Opcode::Bt, Type::U1, lw.read_rflags_sys(), lw.imm(Type::U64, 10));
    ir::Value step = lw.ir.select(df, lw.imm(Type::U64, 0 - u64(size)), lw.imm(Type::U64, size));
    switch (K) {
    case Kind::Movs: {
        ir::Value v = lw.load(t, pointer(lw, RSI, source_segment(lw), size));
        lw.store(pointer(lw, RDI, ES, size), v);
        advance(lw, RSI, step);
        advance(lw, RDI, step);
        break;
    }
    case Kind::Stos:
        lw.store(pointer(lw, RDI, ES, size), lw.read_gpr(RAX, t));
        advance(lw, RDI, step);
        break;
    case Kind::Lods:
        lw.write_gpr(RAX, lw.load(t, pointer(lw, RSI, source_segment(lw), size)));
        advance(lw, RSI, step);
        break;
    case Kind::Cmps: {
        ir::Value a = lw.load(t, pointer(lw, RSI, source_segment(lw), size));
        ir::Value b = lw.load(t, pointer(lw, RDI, ES, size));
        lw.set_flags(lw.ir.sub(a, b), ir::flag::All);
        advance(lw, RSI, step);
        advance(lw, RDI, step);
        break;
    }
    case Kind::Scas: {
        ir::Value b = lw.load(t, pointer(lw, RDI, ES, size));
        lw.set_flags(lw.ir.sub(lw.read_gpr(RAX, t), b), ir::flag::All);
        advance(lw, RDI, step);
        break;
    }
    }
    if (!iterate)
        return Lowered::Continue;
    Type ct = Lowerer::type_of_bits(lw.insn().address_width);
    ir::Value count = lw.ir.sub(lw.read_gpr(RCX, ct), lw.imm(ct, 1));
    lw.write_gpr(RCX, count);
    ir::Value again = lw.ir.xor_(lw.ir.equal(count, lw.imm(ct, 0)), ir::Builder::bool_imm(true));
    if (K == Kind::Cmps || K == Kind::Scas) {
        // REPE goes on while ZF = 1, REPNE while ZF = 0, after this iteration's compare.
        bool repne = lw.has_prefix(ZYDIS_ATTRIB_HAS_REPNE);
        lw.commit();
        ir::Value zf = lw.condition(static_cast<u8>(repne ? ir::Cond::NE : ir::Cond::E));
        again = lw.ir.and_(again, zf);
    }
    return lw.branch(again, lw.d().pc, lw.d().next_pc());
}

} // namespace

void register_strings(LowerTable& t)
{
    for (ZydisMnemonic m : { ZYDIS_MNEMONIC_MOVSB, ZYDIS_MNEMONIC_MOVSW, ZYDIS_MNEMONIC_MOVSD, ZYDIS_MNEMONIC_MOVSQ })
        t.add(m, lower_string<Kind::Movs>);
    for (ZydisMnemonic m : { ZYDIS_MNEMONIC_STOSB, ZYDIS_MNEMONIC_STOSW, ZYDIS_MNEMONIC_STOSD, ZYDIS_MNEMONIC_STOSQ })
        t.add(m, lower_string<Kind::Stos>);
    for (ZydisMnemonic m : { ZYDIS_MNEMONIC_LODSB, ZYDIS_MNEMONIC_LODSW, ZYDIS_MNEMONIC_LODSD, ZYDIS_MNEMONIC_LODSQ })
        t.add(m, lower_string<Kind::Lods>);
    for (ZydisMnemonic m : { ZYDIS_MNEMONIC_CMPSB, ZYDIS_MNEMONIC_CMPSW, ZYDIS_MNEMONIC_CMPSD, ZYDIS_MNEMONIC_CMPSQ })
        t.add(m, lower_string<Kind::Cmps>);
    for (ZydisMnemonic m : { ZYDIS_MNEMONIC_SCASB, ZYDIS_MNEMONIC_SCASW, ZYDIS_MNEMONIC_SCASD, ZYDIS_MNEMONIC_SCASQ })
        t.add(m, lower_string<Kind::Scas>);
}

} // namespace keel::x86
