// REP-prefixed string instructions and CMPXCHG8B/16B. Each REP iteration updates RCX,
// RSI and RDI right away, so a fault (or a pause for pending interrupts) leaves the state
// from which the instruction continues when re-executed (Intel SDM vol. 2, REP).
#include "plugins/arch/x86/exceptions.h"
#include "plugins/arch/x86/guest_memory.h"
#include "plugins/arch/x86/runtime/helpers.h"
#include "plugins/arch/x86/runtime/string_op.h"
#include "plugins/arch/x86/runtime/sub_flags.h"

namespace keel::x86::helpers {
namespace {

using string_op::Kind;

// Iterations between checks for a reason to leave (interrupt, device event).
constexpr u64 iterations_per_slice = 4096;

ir::HelperResult finish(CpuContext* ctx, u64 length)
{
    // A store into the running block: leave it, continuing after this instruction.
    if (ctx->hot.smc_hit) {
        ctx->hot.smc_hit = 0;
        ctx->hot.pc += length;
        return ir::helper_exit();
    }
    return ir::helper_continue();
}

ir::HelperResult do_rep_string(CpuContext* ctx, u64 encoded, u64 length, u64)
{
    CpuState& s = state(*ctx);
    string_op::Description d = string_op::decode(encoded);
    u64 pointer_mask = d.address32 ? 0xFFFFFFFFull : ~0ull;
    i64 step = (s.rflags & rflags::DF) ? -static_cast<i64>(d.size) : d.size;
    u64 source_base = (d.source_segment == FS || d.source_segment == GS) ? s.segment[d.source_segment].base : 0;
    ctx->hot.smc_hit = 0;
    for (u64 done = 0;; ++done) {
        u64 count = s.gpr[RCX] & pointer_mask;
        if (count == 0)
            return finish(ctx, length);
        if (done && done % iterations_per_slice == 0 && ctx->hot.exit_request)
            return ir::helper_exit(); // pc still at this instruction: it resumes later
        u64 rsi = s.gpr[RSI] & pointer_mask, rdi = s.gpr[RDI] & pointer_mask;
        u64 value = 0, other = 0;
        bool compare = false;
        switch (d.kind) {
        case Kind::Movs:
            if (!read_guest(*ctx, source_base + rsi, d.size, value) || !write_guest(*ctx, rdi, value, d.size))
                return ir::helper_exit();
            break;
        case Kind::Stos:
            if (!write_guest(*ctx, rdi, s.gpr[RAX], d.size))
                return ir::helper_exit();
            break;
        case Kind::Lods:
            if (!read_guest(*ctx, source_base + rsi, d.size, value))
                return ir::helper_exit();
            break;
        case Kind::Cmps:
            if (!read_guest(*ctx, source_base + rsi, d.size, value) || !read_guest(*ctx, rdi, d.size, other))
                return ir::helper_exit();
            compare = true;
            break;
        case Kind::Scas:
            if (!read_guest(*ctx, rdi, d.size, other))
                return ir::helper_exit();
            value = s.gpr[RAX];
            compare = true;
            break;
        }
        // Commit this iteration.
        auto update = [&](Gpr g, u64 v) { s.gpr[g] = d.address32 ? (v & 0xFFFFFFFF) : v; };
        if (d.kind == Kind::Movs || d.kind == Kind::Lods || d.kind == Kind::Cmps)
            update(RSI, rsi + step);
        if (d.kind != Kind::Lods)
            update(RDI, rdi + step);
        if (d.kind == Kind::Lods) {
            if (d.size == 4)
                s.gpr[RAX] = value; // a 32-bit write zero-extends
            else if (d.size == 8)
                s.gpr[RAX] = value;
            else
                s.gpr[RAX] = (s.gpr[RAX] & ~((1ull << (8 * d.size)) - 1)) | value;
        }
        update(RCX, count - 1);
        if (compare) {
            ctx->hot.flags = sub_flags(value, other, d.size);
            bool zf = ctx->hot.flags & ir::flag::ZF;
            if ((d.repeat == string_op::RepE && !zf) || (d.repeat == string_op::RepNE && zf))
                return finish(ctx, length);
        }
    }
}

ir::HelperResult do_cmpxchg16b(CpuContext* ctx, u64 address, u64 packed, u64)
{
    u64 size = packed & 0xFF, length = (packed >> 8) & 0xFF;
    u32 flags = (packed >> 16) & 1 ? access_flag::stack : 0;
    // CMPXCHG16B m128 / CMPXCHG8B m64: compare rDX:rAX with the memory operand; equal:
    // store rCX:rBX and set ZF, else load it into rDX:rAX and clear ZF. The destination
    // is written either way (Intel SDM vol. 2). m128 must be 16-byte aligned.
    CpuState& s = state(*ctx);
    unsigned half = static_cast<unsigned>(size / 2);
    if (size == 16 && (address & 15))
        return raise_fault(*ctx, vector::GP, 0), ir::helper_exit();
    u64 mask = half == 8 ? ~0ull : 0xFFFFFFFFull;
    u64 lo, hi;
    if (!read_guest(*ctx, address, half, lo, flags) || !read_guest(*ctx, address + half, half, hi, flags))
        return ir::helper_exit();
    bool equal = lo == (s.gpr[RAX] & mask) && hi == (s.gpr[RDX] & mask);
    u64 new_lo = equal ? s.gpr[RBX] & mask : lo, new_hi = equal ? s.gpr[RCX] & mask : hi;
    // Both halves are in one page when aligned; for CMPXCHG8B, one 8-byte write.
    if (half == 8) {
        if (!write_guest(*ctx, address, new_lo, 8, flags) || !write_guest(*ctx, address + 8, new_hi, 8, flags))
            return ir::helper_exit();
    } else if (!write_guest(*ctx, address, new_lo | (new_hi << 32), 8, flags)) {
        return ir::helper_exit();
    }
    if (!equal) {
        s.gpr[RAX] = lo;
        s.gpr[RDX] = hi;
    }
    ctx->hot.flags = equal ? (ctx->hot.flags | ir::flag::ZF) : (ctx->hot.flags & ~ir::flag::ZF);
    return finish(ctx, length);
}

} // namespace

const ir::Helper rep_string { "rep_string", do_rep_string };
const ir::Helper cmpxchg16b { "cmpxchg16b", do_cmpxchg16b };

} // namespace keel::x86::helpers
