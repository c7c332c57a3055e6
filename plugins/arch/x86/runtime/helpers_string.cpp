// REP-prefixed string instructions and CMPXCHG8B/16B. Each REP iteration updates RCX,
// RSI and RDI right away, so a fault (or a pause for pending interrupts) leaves the state
// from which the instruction continues when re-executed (Intel SDM vol. 2, REP).
#include "dbt/base/string.h"
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

// The elements of one REP MOVS or STOS step that lie in one page of RAM for the
// destination (and the source), done directly on host memory: what the element-by-element
// loop below would do to them, with the same accessed and dirty bits, since each page is
// translated as the first element's access would translate it, source before destination.
enum class Bulk { Done, Slow, Fault };

// `bytes` (a multiple of `size`) of little-endian `size`-byte copies of `value`. Linux
// clears pages with REP STOSQ: a page is 512 eight-byte stores here, not 4096 byte stores.
void fill_elements(u8* destination, u64 value, u64 size, u64 bytes)
{
    u64 pattern = size == 8 ? value : value & ((1ull << (8 * size)) - 1);
    for (u64 width = size; width < 8; width *= 2)
        pattern |= pattern << (8 * width); // size divides 8: the element repeated
    if (pattern == (pattern & 0xFF) * 0x0101010101010101ull) {
        fill_memory(destination, static_cast<u8>(pattern), bytes);
        return;
    }
    // Each 8-byte store starts on an element boundary, and so does the shorter tail.
    u64 i = 0;
    for (; i + 8 <= bytes; i += 8)
        copy_memory(destination + i, &pattern, 8);
    copy_memory(destination + i, &pattern, bytes - i);
}

Bulk bulk_step(CpuContext& ctx, const string_op::Description& d, u64 source_base, u64 pointer_mask, bool down, u64& done_elements)
{
    CpuState& s = state(ctx);
    u64 count = s.gpr[RCX] & pointer_mask;
    u64 rsi = s.gpr[RSI] & pointer_mask, rdi = s.gpr[RDI] & pointer_mask;
    u64 size = d.size;
    // Whole elements from the pointer to the end of its page (up) or from its page's start
    // (down); an element that crosses a page, or a 32-bit pointer about to wrap, is left to
    // the slow path.
    auto room = [&](u64 address) {
        u64 offset = address & (guest_page_size - 1);
        u64 bytes = down ? offset + size : guest_page_size - offset;
        return bytes / size;
    };
    u64 n = count < room(rdi) ? count : room(rdi);
    bool movs = d.kind == Kind::Movs;
    if (movs && room(source_base + rsi) < n)
        n = room(source_base + rsi);
    if (d.address32 && movs) {
        // ESI wraps at 4 GiB before FS or GS's base is added: stop where it would.
        u64 before_wrap = down ? rsi / size + 1 : (0x100000000ull - rsi) / size;
        n = n < before_wrap ? n : before_wrap;
    }
    if (n == 0)
        return Bulk::Slow;
    u64 bytes = n * size;
    u32 mmu = mmu_index_for_cpl(current_cpl(ctx));
    bool faulted = false;
    u8* source = nullptr;
    if (movs) {
        u64 first = source_base + (down ? rsi - (n - 1) * size : rsi);
        source = ctx.services->host_span(ctx, first, bytes, Access::Read, mmu, 0, faulted);
        if (!source)
            return faulted ? Bulk::Fault : Bulk::Slow;
    }
    u8* destination = ctx.services->host_span(ctx, down ? rdi - (n - 1) * size : rdi, bytes, Access::Write, mmu, 0, faulted);
    if (!destination)
        return faulted ? Bulk::Fault : Bulk::Slow;
    if (!movs) {
        u64 value = s.gpr[RAX];
        fill_elements(destination, value, size, bytes);
    } else if (destination + bytes <= source || source + bytes <= destination) {
        copy_memory(destination, source, bytes); // no overlap: any order gives the same bytes
    } else {
        // Overlapping: element by element in the instruction's direction, each element read
        // whole before it is written, as the CPU does (a destination just above the source
        // repeats the first elements).
        for (u64 k = 0; k < n; ++k) {
            u64 at = (down ? n - 1 - k : k) * size;
            u8 element[8];
            for (u64 b = 0; b < size; ++b)
                element[b] = source[at + b];
            for (u64 b = 0; b < size; ++b)
                destination[at + b] = element[b];
        }
    }
    i64 delta = down ? -static_cast<i64>(bytes) : static_cast<i64>(bytes);
    auto update = [&](Gpr g, u64 v) { s.gpr[g] = d.address32 ? (v & 0xFFFFFFFF) : v; };
    if (movs)
        update(RSI, rsi + delta);
    update(RDI, rdi + delta);
    update(RCX, count - n);
    done_elements = n;
    return Bulk::Done;
}

ir::HelperResult do_rep_string(CpuContext* ctx, u64 encoded, u64 length, u64)
{
    CpuState& s = state(*ctx);
    string_op::Description d = string_op::decode(encoded);
    u64 pointer_mask = d.address32 ? 0xFFFFFFFFull : ~0ull;
    bool down = s.rflags & rflags::DF;
    i64 step = down ? -static_cast<i64>(d.size) : d.size;
    u64 source_base = (d.source_segment == FS || d.source_segment == GS) ? s.segment[d.source_segment].base : 0;
    bool bulk = d.kind == Kind::Movs || d.kind == Kind::Stos;
    ctx->hot.smc_hit = 0;
    for (u64 done = 0, next_check = iterations_per_slice;;) {
        u64 count = s.gpr[RCX] & pointer_mask;
        if (count == 0)
            return finish(ctx, length);
        if (done >= next_check) {
            next_check = done + iterations_per_slice;
            if (ctx->hot.exit_request)
                return ir::helper_exit(); // pc still at this instruction: it resumes later
        }
        if (bulk) {
            u64 elements = 0;
            Bulk b = bulk_step(*ctx, d, source_base, pointer_mask, down, elements);
            if (b == Bulk::Fault)
                return ir::helper_exit();
            if (b == Bulk::Done) {
                done += elements;
                continue;
            }
        }
        ++done;
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
