// Guest memory accesses: the softMMU's TLB hit path inline, the rest in a cold path
// (dbt/runtime/tlb_entry.h describes the entry layout; docs/backend.md shows the code).
#include "dbt/backend/x64/emitters.h"
#include "dbt/runtime/tlb_entry.h"

namespace keel::x64 {

using namespace Xbyak::util;

namespace {
constexpr u32 index_mask_scaled = (tlb::entries - 1) * sizeof(TlbEntry);
} // namespace

u8* emit_tlb_check(CodeBuffer& c, u32 mmu_index, u8 addr, u8 page, u8 delta, unsigned size, bool write)
{
    i32 entries = ctx_offset::tlb + static_cast<i32>(mmu_index * tlb::entries * sizeof(TlbEntry));
    i32 tag = entries + static_cast<i32>(write ? offsetof(TlbEntry, write_tag) : offsetof(TlbEntry, read_tag));
    i32 addend = entries + static_cast<i32>(offsetof(TlbEntry, addend));
    // RAX = TLB index * 32, from the virtual page number.
    c.mov(rax, r64(addr));
    c.shr(rax, 12 - 5);
    c.and_(eax, index_mask_scaled);
    // The page of the access's last byte: a page-crossing access never matches the tag.
    if (size > 1)
        c.lea(r64(page), ptr[r64(addr) + static_cast<i32>(size - 1)]);
    else
        c.mov(r64(page), r64(addr));
    c.and_(r64(page), static_cast<u32>(guest_page_mask));
    c.cmp(r64(page), qword[rbp + rax + tag]);
    u8* miss = c.jcc_rel32_placeholder(cc::NE);
    c.mov(r64(delta), qword[rbp + rax + addend]);
    return miss;
}

namespace {

// A follower's (and a loop leader's) check: the whole access lies in the leader's page,
// `addr - V <= 4096 - size` unsigned (V = shared_page_none fails it for every address an
// access can reach).
u8* emit_same_page_check(EmitContext& ctx, u8 addr, unsigned size, const SharedPagePair& pair)
{
    auto& c = ctx.code;
    c.mov(rax, r64(addr));
    c.sub(rax, r64(pair.page));
    c.cmp(rax, static_cast<u32>(guest_page_size - size));
    return c.jcc_rel32_placeholder(cc::A);
}

// The check `inst` gets by its role; `t` is its own scratch (Own). Sets `delta` to the
// register holding the host address delta on the hit path.
u8* emit_access_check(EmitContext& ctx, u8 addr, u8 t, unsigned size, bool write, u8& delta)
{
    u8 entry = ctx.page_roles[ctx.index];
    const SharedPagePair& pair = page_pair(entry);
    switch (page_role(entry)) {
    case PageRole::Leader:
    case PageRole::WriteLeader: // a read that checks for writing: a write through its base follows
        delta = pair.addend;
        return emit_tlb_check(ctx.code, ctx.mmu_index, addr, pair.page, pair.addend, size, write || page_role(entry) == PageRole::WriteLeader);
    case PageRole::Follower:
    case PageRole::LoopLeader: // its cold path refills V and T first (emit_cold_path)
    case PageRole::LoopWriteLeader:
        delta = pair.addend;
        return emit_same_page_check(ctx, addr, size, pair);
    case PageRole::Own: break;
    }
    delta = t;
    return emit_tlb_check(ctx.code, ctx.mmu_index, addr, t, t, size, write);
}

// The cold path's part of the access's shared-page role.
void set_page_role(EmitContext& ctx, ColdPath& cold, const u8* access)
{
    u8 entry = ctx.page_roles[ctx.index];
    PageRole role = page_role(entry);
    bool loop_leader = role == PageRole::LoopLeader || role == PageRole::LoopWriteLeader;
    cold.drop_shared_page = role == PageRole::Leader || role == PageRole::WriteLeader || loop_leader;
    cold.refill_shared_page = loop_leader;
    cold.shared_pair = static_cast<u8>(page_pair_index(entry));
    cold.refill_for_write = role == PageRole::LoopWriteLeader || cold.kind == ColdPath::Kind::Store;
    cold.access = access;
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
    u8 delta;
    u8* miss = emit_access_check(ctx, addr, t, size, false, delta);
    // A value the next instruction stores to a loop slot is loaded straight into the slot's
    // register (EmitContext::slot_destination). Only the access writes it: the check above
    // ran in `t`, so a miss's cold path still writes the slot's old value back first.
    u8 dst = t;
    if (i32 slot_reg = ctx.slot_destination(); slot_reg >= 0 && ctx.ra.take_free_reserved(static_cast<u8>(slot_reg)))
        dst = static_cast<u8>(slot_reg);
    const u8* access = ctx.code.cursor();
    switch (size) {
    case 1: ctx.code.movzx(r32(dst), host_operand(addr, delta, 1)); break;
    case 2: ctx.code.movzx(r32(dst), host_operand(addr, delta, 2)); break;
    case 4: ctx.code.mov(r32(dst), host_operand(addr, delta, 4)); break;
    default: ctx.code.mov(r64(dst), host_operand(addr, delta, 8)); break;
    }
    ColdPath cold {};
    cold.kind = ColdPath::Kind::Load;
    cold.size = static_cast<u8>(size);
    cold.addr_reg = addr;
    cold.result_reg = dst;
    cold.access_flags = static_cast<u16>(inst.args[1].imm_value());
    cold.guest_pc = ctx.guest_pc();
    cold.entry_site = miss;
    cold.resume = ctx.code.cursor();
    set_page_role(ctx, cold, access);
    ctx.cold.append(cold);
    ctx.ra.define(ctx.index, dst);
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
    // A shared check needs no register of the store's own.
    u8 t = page_role(ctx.page_roles[ctx.index]) == PageRole::Own ? ctx.ra.scratch() : 0;
    u8 delta;
    u8* miss = emit_access_check(ctx, addr, t, size, true, delta);
    const u8* access = ctx.code.cursor();
    if (value_reg >= 0)
        ctx.code.mov(host_operand(addr, delta, size), sized(static_cast<u8>(value_reg), value.type()));
    else
        ctx.code.mov(host_operand(addr, delta, size), imm64_of(value));
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
    set_page_role(ctx, cold, access);
    ctx.cold.append(cold);
}

template<>
void emit<ir::Opcode::HostPointer>(EmitContext& ctx)
{
    // The TLB check of a load, then the host address itself (LEA) instead of a load: the
    // HostInsn after it reads the bytes there. Its cold path (the softMMU) copies them into
    // the state slot and hands back that slot's address.
    const ir::Inst& inst = ctx.inst();
    u64 packed = inst.args[2].imm_value();
    unsigned size = ir::host_pointer_size(packed);
    bool write = ir::host_pointer_writes(packed);
    u8 addr = ctx.ra.use(inst.args[0]);
    u8 t = ctx.ra.scratch();
    // The HostInsn right after it, its only user, takes the pointer in RAX: computed there
    // directly, it needs no register of its own nor the HostInsn's MOV.
    u32 user = ctx.index + 1;
    while (user < ctx.block.insts.size() && (ctx.block.insts[user].is_removed() || ctx.emitted_elsewhere[user]))
        ++user;
    bool into_rax = user < ctx.block.insts.size() && ctx.block.insts[user].op == ir::Opcode::HostInsn
        && ctx.block.resolve(ctx.block.insts[user].args[1]) == ir::Value::of_inst(ir::Type::U64, ctx.index)
        && ctx.ra.last_use(ctx.index) == user;
    u8 result = into_rax ? static_cast<u8>(RAX) : t;
    u8 delta;
    u8* miss = emit_access_check(ctx, addr, t, size, write, delta); // shares page checks as a Load or Store would
    const u8* access = ctx.code.cursor();
    ctx.code.lea(r64(result), ptr[r64(addr) + r64(delta)]);
    ColdPath cold {};
    cold.kind = ColdPath::Kind::Pointer;
    cold.size = static_cast<u8>(size);
    cold.for_write = write;
    cold.addr_reg = addr;
    cold.result_reg = result; // the cold thunk restores RAX too, from its frame
    cold.value_imm = ir::host_pointer_temp(packed);
    cold.access_flags = static_cast<u16>(inst.args[1].imm_value());
    cold.guest_pc = ctx.guest_pc();
    cold.entry_site = miss;
    cold.resume = ctx.code.cursor();
    set_page_role(ctx, cold, access);
    cold.refill_for_write |= write;
    ctx.cold.append(cold);
    if (into_rax)
        ctx.pointer_in_rax_for = user;
    else
        ctx.ra.define(ctx.index, t);
}

} // namespace keel::x64
