#pragma once
// What the translation cache knows about one translated block.
#include "dbt/base/types.h"

namespace keel {

struct TranslatedBlock;

// A direct exit of a block to a constant guest pc. Its jump can be patched to enter the
// target block directly (chaining); `stub` is where it jumps while unchained.
struct ExitSlot {
    TranslatedBlock* owner;
    u64 target_pc;            // guest pc (not linear) the exit continues at
    u8* patch_site;           // the rel32 field of the exit's jmp/jcc/call
    u8* stub;                 // unchained destination
    TranslatedBlock* linked;  // block it is chained to, or null
    ExitSlot* next_incoming;  // next exit chained to the same block
    // The exit is itself `call <chain thunk>; .quad slot` while unchained, and becomes
    // `jmp <target>` when chained (the opcode byte before patch_site changes too).
    bool in_place;
};

// Chainable exits of one block: a terminal has at most three (a branch has two; a
// predicted call has its call site, its return's landing pad and the path taken when the
// return-prediction stack is full), and each of its up to ir::max_side_exits side exits
// one (docs/ir.md#side-exits).
constexpr u32 max_terminal_exits = 3;
constexpr u32 max_block_exits = max_terminal_exits + 3; // 3: ir::max_side_exits (asserted in block_emitter.h)

struct TranslatedBlock {
    u64 pc;                   // guest virtual pc of the first instruction
    u64 linear_pc;            // pc + code base when translated (lookup-cache key)
    u64 physical_pc;          // block key, with mode
    u32 mode;
    u32 mmu_index;            // softMMU index of the block's data accesses
    u32 guest_size;           // bytes of guest code
    u64 physical_pages[2];    // guest-physical pages the code came from
    u8 page_count;
    u8 exit_count;
    bool valid;
    bool findable;            // in the lookup hash; false for one-off blocks (SMC restart)
    u8 loop_slots;            // guest state slots kept in host registers while it loops on itself
    u32 guest_insn_count;
    u8* code;                 // host code entry
    u32 code_size;
    TranslatedBlock* hash_next; // near the key fields: a lookup reads one cache line per block
    ExitSlot* incoming;       // exits of other blocks chained to this one
    // Last: the cache hands out room for max_block_exits and keeps only exit_count of them
    // (BlockCache::trim); most blocks have one or two.
    ExitSlot exits[max_block_exits];
};

// Bytes a descriptor with `exit_count` exits occupies in the cache's storage.
constexpr usize translated_block_size(u32 exit_count)
{
    usize size = sizeof(TranslatedBlock) - (max_block_exits - exit_count) * sizeof(ExitSlot);
    return (size + alignof(TranslatedBlock) - 1) & ~(alignof(TranslatedBlock) - 1);
}

} // namespace keel
