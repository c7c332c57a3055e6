// Guest memory accesses: the softMMU's TLB hit path inline, the rest in a cold path
// (dbt/runtime/tlb_entry.h describes the entry layout; docs/backend.md shows the code).
#include "dbt/backend/x64/emitters.h"
#include "dbt/runtime/tlb_entry.h"

namespace keel::x64 {

using namespace Xbyak::util;

namespace {

constexpr u32 index_mask_scaled = (tlb::entries - 1) * sizeof(TlbEntry);

// Leaves, in `t`, the host address delta (TlbEntry::addend) for `addr` when the TLB hits;
// otherwise jumps to a cold path. Returns the rel32 site of that jump.
u8* emit_tlb_check(EmitContext& ctx, u8 addr, u8 t, unsigned size, bool write)
{
    i32 entries = ctx_offset::tlb + static_cast<i32>(ctx.mmu_index * tlb::entries * sizeof(TlbEntry));
    i32 tag = entries + static_cast<i32>(write ? offsetof(TlbEntry, write_tag) : offsetof(TlbEntry, read_tag));
    i32 addend = entries + static_cast<i32>(offsetof(TlbEntry, addend));
    auto& c = ctx.code;
    // RAX = TLB index * 32, from the virtual page number.
    c.mov(rax, r64(addr));
    c.shr(rax, 12 - 5);
    c.and_(eax, index_mask_scaled);
    // t = page of the access's last byte: a page-crossing access never matches the tag.
    if (size > 1)
        c.lea(r64(t), ptr[r64(addr) + static_cast<i32>(size - 1)]);
    else
        c.mov(r64(t), r64(addr));
    c.and_(r64(t), static_cast<u32>(guest_page_mask));
    c.cmp(r64(t), qword[rbp + rax + tag]);
    u8* miss = c.jcc_rel32_placeholder(cc::NE);
    c.mov(r64(t), qword[rbp + rax + addend]);
    return miss;
}

Xbyak::Address host_operand(u8 addr, u8 t, unsigned size)
{
    switch (size) {
    case 1: return byte[r64(addr) + r64(t)];
    case 2: return word[r64(addr) + r64(t)];
    case 4: return dword[r64(addr) + r64(t)];
    default: return qword[r64(addr) + r64(t)];
    }
}

} // namespace

template<>
void emit<ir::Opcode::Load>(EmitContext& ctx)
{
    const ir::Inst& inst = ctx.inst();
    unsigned size = ir::byte_width(inst.type);
    u8 addr = ctx.ra.use(inst.args[0]);
    u8 t = ctx.ra.scratch();
    u8* miss = emit_tlb_check(ctx, addr, t, size, false);
    switch (size) {
    case 1: ctx.code.movzx(r32(t), host_operand(addr, t, 1)); break;
    case 2: ctx.code.movzx(r32(t), host_operand(addr, t, 2)); break;
    case 4: ctx.code.mov(r32(t), host_operand(addr, t, 4)); break;
    default: ctx.code.mov(r64(t), host_operand(addr, t, 8)); break;
    }
    ColdPath cold {};
    cold.kind = ColdPath::Kind::Load;
    cold.size = static_cast<u8>(size);
    cold.addr_reg = addr;
    cold.result_reg = t;
    cold.access_flags = static_cast<u16>(inst.args[1].imm_value());
    cold.guest_pc = ctx.guest_pc();
    cold.entry_site = miss;
    cold.resume = ctx.code.cursor();
    ctx.cold.append(cold);
    ctx.ra.define(ctx.index, t);
}

template<>
void emit<ir::Opcode::Store>(EmitContext& ctx)
{
    const ir::Inst& inst = ctx.inst();
    ir::Value value = inst.args[1];
    unsigned size = ir::byte_width(value.type());
    u8 addr = ctx.ra.use(inst.args[0]);
    i8 value_reg = -1;
    if (!fits_imm32(value))
        value_reg = static_cast<i8>(ctx.ra.use(value));
    u8 t = ctx.ra.scratch();
    u8* miss = emit_tlb_check(ctx, addr, t, size, true);
    if (value_reg >= 0)
        ctx.code.mov(host_operand(addr, t, size), sized(static_cast<u8>(value_reg), value.type()));
    else
        ctx.code.mov(host_operand(addr, t, size), imm64_of(value));
    ColdPath cold {};
    cold.kind = ColdPath::Kind::Store;
    cold.size = static_cast<u8>(size);
    cold.addr_reg = addr;
    cold.value_reg = value_reg;
    cold.value_imm = value.is_imm() ? value.imm_value() : 0;
    cold.access_flags = static_cast<u16>(inst.args[2].imm_value());
    cold.guest_pc = ctx.guest_pc();
    cold.entry_site = miss;
    cold.resume = ctx.code.cursor();
    ctx.cold.append(cold);
}

} // namespace keel::x64
