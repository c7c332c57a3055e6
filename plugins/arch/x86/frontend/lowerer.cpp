#include "plugins/arch/x86/frontend/lowerer.h"
#include "plugins/arch/x86/frontend/lower_table.h"
#include "plugins/arch/x86/page_walk.h"
#include "plugins/arch/x86/runtime/helpers.h"

namespace keel::x86 {

bool gpr_of(ZydisRegister reg, Gpr& gpr, ir::Type& type, bool& high_byte)
{
    high_byte = false;
    if (reg >= ZYDIS_REGISTER_AL && reg <= ZYDIS_REGISTER_BL) {
        gpr = static_cast<Gpr>(reg - ZYDIS_REGISTER_AL);
        type = ir::Type::U8;
        return true;
    }
    if (reg >= ZYDIS_REGISTER_AH && reg <= ZYDIS_REGISTER_BH) {
        gpr = static_cast<Gpr>(reg - ZYDIS_REGISTER_AH); // AH CH DH BH: bits 15..8 of RAX RCX RDX RBX
        type = ir::Type::U8;
        high_byte = true;
        return true;
    }
    if (reg >= ZYDIS_REGISTER_SPL && reg <= ZYDIS_REGISTER_R15B) {
        gpr = static_cast<Gpr>(4 + (reg - ZYDIS_REGISTER_SPL));
        type = ir::Type::U8;
        return true;
    }
    if (reg >= ZYDIS_REGISTER_AX && reg <= ZYDIS_REGISTER_R15W) {
        gpr = static_cast<Gpr>(reg - ZYDIS_REGISTER_AX);
        type = ir::Type::U16;
        return true;
    }
    if (reg >= ZYDIS_REGISTER_EAX && reg <= ZYDIS_REGISTER_R15D) {
        gpr = static_cast<Gpr>(reg - ZYDIS_REGISTER_EAX);
        type = ir::Type::U32;
        return true;
    }
    if (reg >= ZYDIS_REGISTER_RAX && reg <= ZYDIS_REGISTER_R15) {
        gpr = static_cast<Gpr>(reg - ZYDIS_REGISTER_RAX);
        type = ir::Type::U64;
        return true;
    }
    return false;
}

ir::Type Lowerer::type_of_bits(unsigned bits)
{
    switch (bits) {
    case 8: return ir::Type::U8;
    case 16: return ir::Type::U16;
    case 32: return ir::Type::U32;
    default: return ir::Type::U64;
    }
}

void Lowerer::begin(const DecodedInsn& d)
{
    m_d = &d;
    ++m_insn_number;
    m_write_count = 0;
    m_flags = ir::Value();
    m_flags_mask = 0;
    for (ir::Value& a : m_addresses)
        a = ir::Value();
    ir.begin_guest_insn(d.pc, d.insn.length);
}

void Lowerer::commit()
{
    for (unsigned i = 0; i < m_write_count; ++i) {
        const PendingWrite& w = m_writes[i];
        u32 off = offset::gpr(w.gpr) + (w.high_byte ? 1 : 0);
        u16 bit = static_cast<u16>(1u << w.gpr);
        if (w.value.type() == ir::Type::U32) {
            ir.store_state(off, ir.zext(ir::Type::U64, w.value)); // 32-bit writes clear bits 63..32
        } else if (w.value.type() != ir::Type::U64 && (m_gprs_seen & bit)) {
            // An 8- or 16-bit write to a register this block has already read or written
            // is merged into its whole value and stored as 64 bits: the value is usually
            // known by then (the load is forwarded), and a later wider read of it is then
            // forwarded too. A narrow store followed by a wider load of the same bytes is
            // a store-forwarding stall on the host (Intel optimization manual, "store
            // forwarding"), and keeps the register in memory.
            ir.store_state(offset::gpr(w.gpr), merge_write(ir.load_state(ir::Type::U64, offset::gpr(w.gpr)), w));
        } else {
            ir.store_state(off, w.value);
        }
        m_gprs_seen |= bit;
    }
    m_write_count = 0;
    if (m_flags_mask) {
        ir.store_flags(m_flags, m_flags_mask);
        m_flags_mask = 0;
    }
}

ir::Value Lowerer::read_gpr(Gpr g, ir::Type type)
{
    bool pending = false;
    for (unsigned i = 0; i < m_write_count; ++i)
        pending |= m_writes[i].gpr == g;
    m_gprs_seen |= static_cast<u16>(1u << g);
    if (!pending)
        return ir.load_state(type, offset::gpr(g));
    // A write earlier in this instruction is visible to later reads: replay the pending
    // writes to this register on top of its stored value.
    ir::Value v = ir.load_state(ir::Type::U64, offset::gpr(g));
    for (unsigned i = 0; i < m_write_count; ++i) {
        if (m_writes[i].gpr == g)
            v = merge_write(v, m_writes[i]);
    }
    return ir.trunc(type, v);
}

// The register's 64-bit value after `w` is written over `whole` (U32 writes zero-extend).
ir::Value Lowerer::merge_write(ir::Value whole, const PendingWrite& w)
{
    switch (w.value.type()) {
    case ir::Type::U64: return w.value;
    case ir::Type::U32: return ir.zext(ir::Type::U64, w.value);
    case ir::Type::U16: return ir.or_(ir.and_(whole, imm(ir::Type::U64, ~0xFFFFull)), ir.zext(ir::Type::U64, w.value));
    default:
        if (w.high_byte)
            return ir.or_(ir.and_(whole, imm(ir::Type::U64, ~0xFF00ull)),
                ir.shift(ir::Opcode::Shl, ir.zext(ir::Type::U64, w.value), ir::Builder::imm8(8)));
        return ir.or_(ir.and_(whole, imm(ir::Type::U64, ~0xFFull)), ir.zext(ir::Type::U64, w.value));
    }
}

void Lowerer::write_gpr(Gpr g, ir::Value v)
{
    VERIFY(m_write_count < 8);
    m_writes[m_write_count++] = { g, false, v };
}

ir::Value Lowerer::read_reg(ZydisRegister reg)
{
    Gpr g;
    ir::Type t;
    bool high;
    if (!gpr_of(reg, g, t, high))
        PANIC("x86 frontend: %s is not a general-purpose register", ZydisRegisterGetString(reg));
    if (high) {
        m_gprs_seen |= static_cast<u16>(1u << g);
        for (unsigned i = 0; i < m_write_count; ++i) {
            if (m_writes[i].gpr == g)
                return ir.trunc(ir::Type::U8, ir.shift(ir::Opcode::Shr, read_gpr(g, ir::Type::U16), ir::Builder::imm8(8)));
        }
        return ir.load_state(ir::Type::U8, offset::gpr(g) + 1);
    }
    return read_gpr(g, t);
}

void Lowerer::write_reg(ZydisRegister reg, ir::Value v)
{
    Gpr g;
    ir::Type t;
    bool high;
    if (!gpr_of(reg, g, t, high))
        PANIC("x86 frontend: %s is not a general-purpose register", ZydisRegisterGetString(reg));
    v = ir.trunc(t, v);
    VERIFY(m_write_count < 8);
    m_writes[m_write_count++] = { g, high, v };
}

ir::Value Lowerer::effective_address(const ZydisDecodedOperandMem& mem, ir::Type t)
{
    // Each register as its low `t` bits: the whole register when `t` is the address size.
    auto reg = [&](ZydisRegister r) {
        Gpr g;
        ir::Type full;
        bool high;
        VERIFY(gpr_of(r, g, full, high) && !high);
        return read_gpr(g, t);
    };
    ir::Value v;
    if (mem.base == ZYDIS_REGISTER_RIP || mem.base == ZYDIS_REGISTER_EIP)
        v = imm(t, m_d->next_pc());
    else if (mem.base != ZYDIS_REGISTER_NONE)
        v = reg(mem.base);
    if (mem.index != ZYDIS_REGISTER_NONE) {
        ir::Value index = reg(mem.index);
        if (mem.scale > 1)
            index = ir.shift(ir::Opcode::Shl, index, ir::Builder::imm8(__builtin_ctz(mem.scale)));
        v = v.is_none() ? index : ir.add(v, index);
    }
    if (mem.disp.has_displacement && mem.disp.value != 0)
        v = v.is_none() ? imm(t, static_cast<u64>(mem.disp.value)) : ir.add(v, imm(t, static_cast<u64>(mem.disp.value)));
    return v.is_none() ? imm(t, 0) : v;
}

ir::Value Lowerer::address_of(const ZydisDecodedOperandMem& mem, bool with_segment)
{
    ir::Value v = ir.zext(ir::Type::U64, effective_address(mem, type_of_bits(m_d->insn.address_width)));
    if (!with_segment)
        return v;
    return linear(v, segment_index(mem.segment));
}

SegmentIndex segment_index(ZydisRegister reg)
{
    switch (reg) {
    case ZYDIS_REGISTER_ES: return ES;
    case ZYDIS_REGISTER_CS: return CS;
    case ZYDIS_REGISTER_SS: return SS;
    case ZYDIS_REGISTER_FS: return FS;
    case ZYDIS_REGISTER_GS: return GS;
    default: return DS;
    }
}

ir::Value Lowerer::linear(ir::Value offset, SegmentIndex segment)
{
    // In 64-bit mode only FS and GS have bases (Intel SDM vol. 1 §3.3.7.1).
    bool based = segment == FS || segment == GS || (!code64() && !(m_mode & mode::flat));
    if (!based)
        return offset;
    ir::Value v = ir.add(offset, ir.load_state(ir::Type::U64, offset::segment_base(segment)));
    return code64() ? v : ir.zext(ir::Type::U64, ir.trunc(ir::Type::U32, v));
}

ir::Value Lowerer::address(unsigned i)
{
    if (m_addresses[i].is_none()) {
        const ZydisDecodedOperandMem& mem = op(i).mem;
        if (code64() || (m_mode & mode::flat)) {
            m_addresses[i] = address_of(mem);
        } else {
            ir::Value offset = address_of(mem, false);
            SegmentIndex segment = segment_index(mem.segment);
            check_segment_limit(offset, op(i).size >= 8 ? op(i).size / 8u : 1u, segment);
            m_addresses[i] = linear(offset, segment);
        }
    }
    return m_addresses[i];
}

void Lowerer::check_segment_limit(ir::Value offset, unsigned bytes, SegmentIndex segment)
{
    // Intel SDM vol. 3 §5.3 (limit checking) and §3.4.5.1 (expand-down: valid offsets are
    // limit + 1 up to 0xFFFF, or 0xFFFFFFFF with the B flag); an unusable (not present,
    // e.g. null) segment faults any access (§3.4.2). Real mode has the same limits (§21.1.1).
    using ir::Type;
    ir::Value attributes = ir.zext(Type::U64, ir.load_state(Type::U16, offset::segment_attributes(segment)));
    ir::Value limit = ir.zext(Type::U64, ir.load_state(Type::U32, offset::segment_limit(segment)));
    ir::Value last = bytes > 1 ? ir.add(offset, imm(Type::U64, bytes - 1)) : offset;
    auto above = [&](ir::Value a, ir::Value b) { return ir.test_cond(ir::Cond::A, ir.flags_of(ir.sub(a, b))); };
    ir::Value expand_down = ir.equal(ir.and_(attributes, imm(Type::U64, 0x1C)), imm(Type::U64, 0x14)); // data, E = 1
    ir::Value upper = ir.select(ir.equal(ir.and_(attributes, imm(Type::U64, seg_attr::db)), imm(Type::U64, 0)), imm(Type::U64, 0xFFFF),
        imm(Type::U64, 0xFFFFFFFF));
    ir::Value expand_down_fault = ir.or_(ir.xor_(above(offset, limit), ir::Builder::bool_imm(true)), above(last, upper));
    ir::Value normal_fault = above(last, limit);
    ir::Value fault = ir.or_(ir.and_(expand_down, expand_down_fault), ir.and_(ir.xor_(expand_down, ir::Builder::bool_imm(true)), normal_fault));
    if (m_mode & mode::protected_mode) { // real mode checks no descriptor attributes, only the limit
        ir::Value unusable = ir.equal(ir.and_(attributes, imm(Type::U64, seg_attr::present)), imm(Type::U64, 0));
        fault = ir.or_(fault, unusable);
    }
    ir.trap_if(fault, segment == SS ? vector::SS : vector::GP, true, 0);
}

ir::Value Lowerer::read_as(unsigned i, ir::Type type)
{
    const ZydisDecodedOperand& o = op(i);
    switch (o.type) {
    case ZYDIS_OPERAND_TYPE_REGISTER: {
        ir::Value v = read_reg(o.reg.value);
        if (v.type() == type)
            return v;
        return ir::bit_width(v.type()) > ir::bit_width(type) ? ir.trunc(type, v) : ir.zext(type, v);
    }
    case ZYDIS_OPERAND_TYPE_MEMORY:
        return load(type, address(i), is_stack_operand(i));
    case ZYDIS_OPERAND_TYPE_IMMEDIATE:
        return imm(type, o.imm.value.u);
    default:
        PANIC("x86 frontend: operand %u of %s has no value", i, ZydisMnemonicGetString(m_d->insn.mnemonic));
    }
}

void Lowerer::write(unsigned i, ir::Value v)
{
    const ZydisDecodedOperand& o = op(i);
    if (o.type == ZYDIS_OPERAND_TYPE_REGISTER)
        write_reg(o.reg.value, v);
    else if (o.type == ZYDIS_OPERAND_TYPE_MEMORY)
        store(address(i), v, is_stack_operand(i));
    else
        PANIC("x86 frontend: cannot write operand %u of %s", i, ZydisMnemonicGetString(m_d->insn.mnemonic));
}

void Lowerer::set_flags(ir::Value producer, u16 mask)
{
    set_flags_value(ir.flags_of(producer), mask);
}

void Lowerer::set_flags_value(ir::Value flags, u16 mask)
{
    m_flags = flags;
    m_flags_mask = mask;
}

ir::Value Lowerer::stack_offset(ir::Value sp, i64 delta)
{
    ir::Type t = sp.type();
    return delta < 0 ? ir.sub(sp, imm(t, static_cast<u64>(-delta))) : ir.add(sp, imm(t, static_cast<u64>(delta)));
}

void Lowerer::set_stack_pointer(ir::Value sp)
{
    // A 32-bit stack pointer write zero-extends RSP as any 32-bit register write does;
    // a 16-bit one leaves the rest of ESP (Intel SDM vol. 3 §3.4.5, the B flag).
    if (sp.type() == ir::Type::U16)
        write_reg(ZYDIS_REGISTER_SP, sp);
    else
        write_gpr(RSP, sp);
}

ir::Value Lowerer::stack_address(ir::Value sp, unsigned bytes)
{
    ir::Value offset = ir.zext(ir::Type::U64, sp);
    if (!code64() && !(m_mode & mode::flat))
        check_segment_limit(offset, bytes, SS);
    return linear(offset, SS);
}

void Lowerer::push(ir::Value v)
{
    ir::Value top = stack_offset(stack_pointer(), -static_cast<i64>(ir::byte_width(v.type())));
    store(stack_address(top, ir::byte_width(v.type())), v, true);
    set_stack_pointer(top);
}

ir::Value Lowerer::pop(ir::Type type)
{
    ir::Value sp = stack_pointer();
    ir::Value v = load(type, stack_address(sp, ir::byte_width(type)), true);
    set_stack_pointer(stack_offset(sp, ir::byte_width(type)));
    return v;
}

Lowered Lowerer::raise(u8 vector)
{
    flush_deferred_xmm(*this); // the state must be exact at the fault
    m_write_count = 0;
    m_flags_mask = 0;
    ir.call(helpers::raise_exception, ir::Builder::imm64(vector), ir::Builder::imm64(0), ir::Builder::imm64(0));
    ir.exit(ir::ExitReason::Dispatch);
    return Lowered::EndBlock;
}

Lowered Lowerer::raise(u8 vector, u32 error_code)
{
    flush_deferred_xmm(*this); // the state must be exact at the fault
    m_write_count = 0;
    m_flags_mask = 0;
    ir.call(helpers::raise_exception, ir::Builder::imm64(vector), ir::Builder::imm64(1), ir::Builder::imm64(error_code));
    ir.exit(ir::ExitReason::Dispatch);
    return Lowered::EndBlock;
}

Lowered Lowerer::jump(u64 target)
{
    commit();
    ir.jump(target);
    return Lowered::EndBlock;
}

Lowered Lowerer::jump_indirect(ir::Value target)
{
    commit();
    ir.jump_indirect(target);
    return Lowered::EndBlock;
}

Lowered Lowerer::branch(ir::Value cond, u64 taken, u64 not_taken)
{
    commit();
    if (m_side_exit_allowed && not_taken == m_d->next_pc() && taken > not_taken) {
        ir.exit_if(cond, taken);
        m_side_exit_taken = true;
        m_side_exit_target = taken;
        return Lowered::Continue;
    }
    ir.branch(cond, taken, not_taken);
    return Lowered::EndBlock;
}

ir::Value Lowerer::branch_target_faults(ir::Value target)
{
    if (!code64()) {
        if (m_mode & mode::flat)
            return {};
        ir::Value limit = ir.zext(ir::Type::U64, ir.load_state(ir::Type::U32, offset::segment_limit(CS)));
        return ir.test_cond(ir::Cond::B, ir.flags_of(ir.sub(limit, target))); // limit < target
    }
    if (target.is_imm())
        return ir::Builder::bool_imm(!is_canonical(target.imm_value()));
    // Canonical: bits 63..47 all equal, i.e. (target + 2^47) >> 48 == 0.
    ir::Value biased = ir.add(target, imm(ir::Type::U64, 1ull << 47));
    ir::Value high = ir.shift(ir::Opcode::Shr, biased, imm(ir::Type::U8, 48));
    return ir.xor_(ir.equal(high, imm(ir::Type::U64, 0)), ir::Builder::bool_imm(true));
}

void Lowerer::check_branch_target(ir::Value target)
{
    ir::Value faults = branch_target_faults(target);
    if (!faults.is_none() && !(faults.is_imm() && !faults.imm_value()))
        ir.trap_if(faults, vector::GP, true, 0);
}

bool Lowerer::check_branch_target(u64 target)
{
    ir::Value faults = branch_target_faults(imm(ir::Type::U64, target));
    if (faults.is_imm())
        return !faults.imm_value();
    if (!faults.is_none())
        ir.trap_if(faults, vector::GP, true, 0);
    return true;
}

u64 Lowerer::wrap_branch_target(u64 target) const
{
    if (m_d->insn.operand_width == 16)
        return target & 0xFFFF;
    return code64() ? target : target & 0xFFFFFFFF;
}

Lowered Lowerer::end_block_after()
{
    commit();
    ir.exit_to(ir::ExitReason::Dispatch, m_d->next_pc());
    return Lowered::EndBlock;
}

Lowered Lowerer::end_block_through_lookup()
{
    commit();
    ir.jump_indirect(imm(ir::Type::U64, m_d->next_pc()));
    return Lowered::EndBlock;
}

} // namespace keel::x86
