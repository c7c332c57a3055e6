// Pseudo-operations: their values are produced together with the operation they follow.
#include "dbt/backend/x64/emitters.h"

namespace keel::x64 {

using namespace Xbyak::util;

template<>
void emit<ir::Opcode::Identity>(EmitContext& ctx)
{
    // The backend takes blocks whose arguments are resolved (ir::optimize ends with
    // Block::resolve_all_args, which deletes the forwarders): a forwarder here would
    // leave its users reading a value nobody defined.
    PANIC("x64 backend: IR %%%u is an unresolved Identity in block 0x%llx", ctx.index, (unsigned long long)ctx.block.pc);
}

template<>
void emit<ir::Opcode::Deleted>(EmitContext&)
{
    // Skipped by the block emitter: a deleted instruction emits nothing.
}

template<>
void emit<ir::Opcode::FlagsOf>(EmitContext& ctx)
{
    // Capture the status flags the previous host instruction produced: LAHF gives
    // SF ZF AF PF CF in AH, SETO gives OF in AL; neither changes the flags, so host
    // EFLAGS still hold this value afterwards.
    ctx.flags_after = static_cast<i32>(ctx.index);
    if (ctx.flags_direct[ctx.index] == NoCapture)
        return; // its conditions read host EFLAGS (restore_host_flags finds them there)
    ctx.code.lahf();
    ctx.code.seto(al);
    if (ctx.flags_direct[ctx.index] == CaptureToContext) {
        ctx.code.mov(word[rbp + ctx_offset::flags], ax); // its StoreFlags emits nothing
        return;
    }
    u8 dst = ctx.ra.scratch();
    ctx.code.movzx(r32(dst), ax);
    ctx.ra.define(ctx.index, dst);
}

template<>
void emit<ir::Opcode::SecondOf>(EmitContext&)
{
    // Defined by the producer's emitter (high half in RDX, remainder in RDX, ...).
}

} // namespace keel::x64
