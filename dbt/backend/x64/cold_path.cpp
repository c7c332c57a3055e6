#include "dbt/backend/x64/cold_path.h"
#include "dbt/backend/x64/divide_helpers.h"
#include "dbt/backend/x64/host_reg.h"
#include "dbt/base/string.h"
#include "dbt/runtime/run_context.h"
#include "dbt/runtime/runtime_hooks.h"
#include "dbt/runtime/translated_block.h"

namespace keel::x64 {

u64 cold_access(CpuContext* ctx, u64* frame, const u8* data)
{
    ColdDescriptor d;
    copy_memory(&d, data, cold_descriptor_size);
    u64 block_address;
    copy_memory(&block_address, data + d.block_slot_delta, sizeof(block_address));
    auto* block = reinterpret_cast<TranslatedBlock*>(block_address);
    // The state generated code would have for a fault here: pc of this instruction.
    ctx->hot.pc = block->pc + d.pc_offset;
    ctx->hot.current_block = block_address;
    const RuntimeHooks& hooks = *run_context(ctx)->hooks;
    ir::HelperResult r;
    switch (d.kind) {
    case ColdDescriptor::Load:
        r = hooks.load(ctx, frame[d.a], mem_info::make(d.size, block->mmu_index, d.flags));
        if (!r.exit)
            frame[d.b] = r.value;
        return r.exit;
    case ColdDescriptor::Store: {
        u64 value;
        if (d.b == no_register)
            copy_memory(&value, data + cold_descriptor_size, 8);
        else
            value = frame[d.b];
        return hooks.store(ctx, frame[d.a], value, mem_info::make(d.size, block->mmu_index, d.flags)).exit;
    }
    case ColdDescriptor::Pointer: {
        if (d.c) {
            // For writing: the TLB filled for writing, and the bytes' address if they are
            // plain RAM; otherwise the instruction runs again alone, its store through the
            // softMMU (the engine translates that block without direct stores).
            r = hooks.store_pointer(ctx, frame[d.a], mem_info::make(d.size, block->mmu_index, d.flags));
            if (r.exit)
                return r.exit;
            if (!r.value) {
                run_context(ctx)->smc_single_step = 1;
                return 1;
            }
            frame[d.b] = r.value;
            return 0;
        }
        // The bytes through the softMMU into the state slot the descriptor names, in 8-byte
        // parts (as the frontend's own loads would read them), and the slot's address.
        u64 offset;
        copy_memory(&offset, data + cold_descriptor_size, 8);
        u8* slot = ctx->arch + offset;
        for (u32 at = 0; at < d.size; at += 8) {
            u32 part = d.size - at < 8 ? d.size - at : 8;
            r = hooks.load(ctx, frame[d.a] + at, mem_info::make(part, block->mmu_index, d.flags));
            if (r.exit)
                return r.exit;
            copy_memory(slot + at, &r.value, part);
        }
        frame[d.b] = reinterpret_cast<u64>(slot);
        return 0;
    }
    case ColdDescriptor::Raise: {
        u64 packed;
        copy_memory(&packed, data + cold_descriptor_size, 8);
        hooks.raise_exception(ctx, static_cast<u8>(packed), (packed >> 40) & 1, static_cast<u32>(packed >> 8));
        return 1;
    }
    case ColdDescriptor::Divide:
        r = divide_helper(d.size & 0x7F, d.size & 0x80)(ctx, frame[d.a], frame[d.b], frame[d.c]);
        if (!r.exit) {
            frame[d.d] = r.value;
            frame[RDX] = ctx->hot.divide_remainder;
        }
        return r.exit;
    }
    return 1;
}

} // namespace keel::x64
