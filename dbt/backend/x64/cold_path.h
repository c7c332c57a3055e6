#pragma once
// Out-of-line paths, compactly. A memory access whose TLB check misses (or a division the
// inline code cannot do) jumps to a few bytes at the block's end:
//     call <cold thunk>          ; shared by every block
//     <ColdDescriptor>           ; what to do, which registers
// The shared thunk saves all registers in a frame, and cold_access() (C++) does the work
// through the softMMU, reading and writing registers in that frame, then the thunk
// returns to the hot path's resume point (docs/backend.md#cold-paths).
#include "dbt/runtime/run_context.h"

namespace keel::x64 {

// The block's TranslatedBlock* is written once, at the start of its cold code (the block
// slot), and each descriptor finds it by offset: 18 bytes a descriptor instead of 24.
struct __attribute__((packed)) ColdDescriptor {
    enum Kind : u8 { Load, Store, Divide, Raise, Pointer };
    u16 pc_offset;        // guest pc of the instruction - block pc (a block spans at most two pages)
    i32 resume_delta;     // hot-path resume address - address of this descriptor
    i32 block_slot_delta; // address of the block slot (TranslatedBlock*: pc base, MMU index, SMC checks) - address of this descriptor
    Kind kind;
    u8 a;             // Load/Store: address register; Divide: dividend high half
    u8 b;             // Load, Pointer: result register; Store: value register, or no_register; Divide: low half
    u8 c;             // Divide: divisor; Pointer: 1 for writing
    u8 d;             // Divide: quotient (the remainder goes to RDX)
    u8 size;          // access or operand size in bytes; Divide: | 0x80 when signed
    u16 flags;        // Load/Store: mmu access flags
    u64 imm;          // Store with an immediate value, Raise: vector | error << 8 | has_error << 40, Pointer: state offset (only then present)
};
constexpr u8 no_register = 0xFF;
constexpr usize cold_descriptor_size = sizeof(ColdDescriptor) - sizeof(u64);
constexpr usize cold_descriptor_size_with_imm = sizeof(ColdDescriptor);

// Called by the cold thunk: `frame` holds the 16 GPRs by register number. Returns
// non-zero when the block must be left (guest exception, self-modifying-code restart).
u64 cold_access(CpuContext* ctx, u64* frame, const u8* descriptor);

} // namespace keel::x64
