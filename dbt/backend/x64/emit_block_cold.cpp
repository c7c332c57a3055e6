// A block's cold paths: the deferred state writes a fault needs (values where they are,
// flags recomputed), then the call to the cold thunk with its descriptor
// (docs/backend.md#cold-paths).
#include "dbt/backend/x64/block_emitter.h"
#include "dbt/backend/x64/cold_path.h"
#include "dbt/backend/x64/emitters.h"

namespace keel::x64 {

using namespace Xbyak::util;

ColdOperand BlockEmitter::locate(ir::Value value) const
{
    ColdOperand o {};
    if (value.is_imm()) {
        o.from = ColdOperand::From::Immediate;
        o.imm = value.imm_value();
    } else if (m_ra.reg_of(value) >= 0) {
        o.from = ColdOperand::From::Register;
        o.reg = static_cast<u8>(m_ra.reg_of(value));
    } else {
        o.from = ColdOperand::From::Spill;
        o.spill_offset = m_ra.spill_offset_of(value);
    }
    return o;
}

void BlockEmitter::attach_fault_stores(u32 index, ColdPath& cold)
{
    cold.write_count = 0;
    for (const ir::FaultStore& f : m_block.fault_stores) {
        if (f.fault_inst != index)
            continue;
        ColdWrite& w = cold.writes[cold.write_count++];
        w.offset = f.flags ? ctx_offset::flags : static_cast<i32>(f.offset);
        w.width = static_cast<u8>(f.flags ? 2 : ir::byte_width(f.value.type()));
        w.recompute = ir::Opcode::Deleted;
        if (f.value.is_inst() && m_elsewhere[f.value.index()]) {
            const ir::Inst& p = m_block.insts[m_block.insts[f.value.index()].args[0].index()];
            w.recompute = p.op;
            w.recompute_type = p.type;
            w.value = locate(p.args[0]);
            w.operand = locate(p.args[1]);
            if (p.args[1].is_imm())
                w.operand.imm = imm64_of(p.args[1]); // as the hot path encodes it
            continue;
        }
        w.value = locate(f.value);
    }
}

// The flags of `w.recompute` on its operands, as LAHF/SETO pack them, into AX (RAX is
// never allocated, docs/backend.md#registers). The same host instruction as the hot
// path's, so the flags are the same, the architecturally undefined ones included.
void BlockEmitter::recompute_flags(const ColdWrite& w)
{
    auto& c = m_code;
    ir::Type type = w.recompute_type;
    const ColdOperand& a = w.value;
    const ColdOperand& b = w.operand;
    if (a.from == ColdOperand::From::Immediate)
        c.mov(rax, a.imm);
    else if (a.from == ColdOperand::From::Register)
        c.mov(rax, r64(a.reg));
    else
        c.mov(rax, qword[rbp + a.spill_offset]);
    Xbyak::Reg dst = sized(RAX, type);
    auto spill = [&]() -> Xbyak::Address {
        switch (type) {
        case ir::Type::U8: return byte[rbp + b.spill_offset];
        case ir::Type::U16: return word[rbp + b.spill_offset];
        case ir::Type::U32: return dword[rbp + b.spill_offset];
        default: return qword[rbp + b.spill_offset];
        }
    };
    u32 imm = static_cast<u32>(b.imm); // imm32_of: attach_fault_stores sign-extended it
    using Op = ir::Opcode;
    switch (w.recompute) {
    case Op::Shl: c.shl(dst, static_cast<int>(b.imm & 0xFF)); break;
    case Op::Shr: c.shr(dst, static_cast<int>(b.imm & 0xFF)); break;
    case Op::Sar: c.sar(dst, static_cast<int>(b.imm & 0xFF)); break;
    case Op::Mul:
        if (b.from == ColdOperand::From::Immediate)
            c.imul(dst, dst, static_cast<int>(imm));
        else if (b.from == ColdOperand::From::Register)
            c.imul(dst, sized(b.reg, type));
        else
            c.imul(dst, spill());
        break;
    default: {
        using BinaryReg = void (CodeBuffer::*)(const Xbyak::Operand&, const Xbyak::Operand&);
        using BinaryImm = void (CodeBuffer::*)(const Xbyak::Operand&, uint32_t);
        BinaryReg op_reg = &Xbyak::CodeGenerator::add;
        BinaryImm op_imm = &Xbyak::CodeGenerator::add;
        switch (w.recompute) {
        case Op::Sub: op_reg = &Xbyak::CodeGenerator::sub, op_imm = &Xbyak::CodeGenerator::sub; break;
        case Op::And: op_reg = &Xbyak::CodeGenerator::and_, op_imm = &Xbyak::CodeGenerator::and_; break;
        case Op::Or: op_reg = &Xbyak::CodeGenerator::or_, op_imm = &Xbyak::CodeGenerator::or_; break;
        case Op::Xor: op_reg = &Xbyak::CodeGenerator::xor_, op_imm = &Xbyak::CodeGenerator::xor_; break;
        default: VERIFY(w.recompute == Op::Add);
        }
        if (b.from == ColdOperand::From::Immediate)
            (c.*op_imm)(dst, imm);
        else if (b.from == ColdOperand::From::Register)
            (c.*op_reg)(dst, sized(b.reg, type));
        else
            (c.*op_reg)(dst, spill());
    }
    }
    c.lahf();
    c.seto(al);
}

void BlockEmitter::emit_cold_path(const ColdPath& cold)
{
    auto& c = m_code;
    CodeBuffer::bind(cold.entry_site, c.cursor());
    if (cold.refill_shared_page) {
        // A loop leader outside page V: the full check makes its page V, and the access
        // runs on the hot path; a TLB miss goes on to the slow path below.
        const SharedPagePair& pair = shared_pairs[cold.shared_pair];
        u8* miss = emit_tlb_check(c, m_tb.mmu_index, cold.addr_reg, pair.page, pair.addend, cold.size, cold.refill_for_write);
        c.jmp(cold.access);
        CodeBuffer::bind(miss, c.cursor());
    }
    // The loop slots, then the deferred state writes (which may overwrite a slot with the
    // value a later StoreState will give it): the guest state must be exact if this faults.
    m_loop.write_back(c);
    if (cold.drop_shared_page)
        c.mov(r64(shared_pairs[cold.shared_pair].page), shared_page_none);
    for (u8 i = 0; i < cold.write_count; ++i) {
        const ColdWrite& w = cold.writes[i];
        auto target = [&](u8 width) -> Xbyak::Address {
            switch (width) {
            case 1: return byte[rbp + w.offset];
            case 2: return word[rbp + w.offset];
            case 4: return dword[rbp + w.offset];
            default: return qword[rbp + w.offset];
            }
        };
        u8 reg = w.value.reg;
        if (w.recompute != ir::Opcode::Deleted) {
            recompute_flags(w);
            reg = RAX;
        } else if (w.value.from == ColdOperand::From::Immediate) {
            u64 value = w.value.imm;
            i64 sign_extended = w.width == 8 ? static_cast<i64>(value) : static_cast<i64>(static_cast<i32>(value));
            if (w.width < 8 || sign_extended == static_cast<i32>(sign_extended)) {
                c.mov(target(w.width), static_cast<u64>(w.width == 8 ? sign_extended : static_cast<i64>(value & 0xFFFFFFFF)));
                continue;
            }
            c.mov(rax, value);
            reg = RAX;
        } else if (w.value.from == ColdOperand::From::Spill) {
            c.mov(rax, qword[rbp + w.value.spill_offset]);
            reg = RAX;
        }
        c.mov(target(w.width), w.width == 1 ? static_cast<Xbyak::Reg>(r8(reg)) : w.width == 2 ? static_cast<Xbyak::Reg>(r16(reg))
                                             : w.width == 4                 ? static_cast<Xbyak::Reg>(r32(reg))
                                                                            : static_cast<Xbyak::Reg>(r64(reg)));
    }
    if (cold.kind == ColdPath::Kind::Exit) {
        exit_jump(cold.value_imm); // the guest state is the exit's: leave like a terminal
        return;
    }
    c.call(m_keeps_xmm ? m_thunks.cold_keeping_xmm : m_thunks.cold);
    ColdDescriptor d {};
    u8* at = c.cursor();
    VERIFY(cold.guest_pc - m_block.pc <= 0xFFFF && m_block_slot);
    d.pc_offset = static_cast<u16>(cold.guest_pc - m_block.pc);
    d.resume_delta = static_cast<i32>(cold.resume - at);
    d.block_slot_delta = static_cast<i32>(m_block_slot - at);
    usize size = cold_descriptor_size;
    // A memory access's: the kind, the address register, the size and the MMU flags.
    auto access = [&](ColdDescriptor::Kind kind) {
        d.kind = kind;
        d.a = cold.addr_reg;
        d.size = cold.size;
        d.flags = cold.access_flags;
    };
    switch (cold.kind) {
    case ColdPath::Kind::Load:
        access(ColdDescriptor::Load);
        d.b = cold.result_reg;
        break;
    case ColdPath::Kind::Store:
        access(ColdDescriptor::Store);
        d.b = cold.value_reg >= 0 ? static_cast<u8>(cold.value_reg) : no_register;
        if (cold.value_reg < 0) {
            d.imm = cold.value_imm;
            size = cold_descriptor_size_with_imm;
        }
        break;
    case ColdPath::Kind::Pointer:
        access(ColdDescriptor::Pointer);
        d.b = cold.result_reg;
        d.c = cold.for_write;
        d.imm = cold.value_imm; // the temp slot's state offset
        size = cold_descriptor_size_with_imm;
        break;
    case ColdPath::Kind::Raise:
        d.kind = ColdDescriptor::Raise;
        d.imm = cold.value_imm;
        size = cold_descriptor_size_with_imm;
        break;
    case ColdPath::Kind::Divide:
        d.kind = ColdDescriptor::Divide;
        d.a = cold.hi_reg;
        d.b = cold.lo_reg;
        d.c = cold.divisor_reg;
        d.d = cold.result_reg;
        d.size = static_cast<u8>(cold.size | (cold.is_signed ? 0x80 : 0));
        break;
    case ColdPath::Kind::Exit:
        VERIFY_NOT_REACHED();
    }
    const u8* bytes = reinterpret_cast<const u8*>(&d);
    for (usize i = 0; i < size; ++i)
        c.db(bytes[i]);
}

} // namespace keel::x64
