#include "dbt/backend/x64/backend.h"
#include "dbt/backend/x64/emit_scratch.h"
#include "dbt/backend/x64/host_features.h"
#include "dbt/backend/x64/patch.h"
#include "dbt/backend/x64/reg_alloc.h"
#include <Zydis/Zydis.h>

namespace keel::x64 {

CompileStatus compile_block(CodeBuffer& code, RegAlloc& ra, const Thunks& thunks, const ir::Block& block, TranslatedBlock& tb,
    const CompileOptions& options, u32 mmu_index, EmitScratch& scratch);

Result<Backend*> Backend::create(CodeRegion region)
{
    TRY(check_host_features());
    if (!region.base || region.size < 2 * max_block_code_bytes)
        return Error::formatted("translation cache too small (%zu bytes)", region.size);
    // Generated code reaches the thunks and chained blocks with rel32 jumps: keep all of
    // it within one 2 GiB window.
    constexpr usize rel32_reach = 2 * GiB - 64 * KiB;
    if (region.size > rel32_reach)
        region.size = rel32_reach;
    auto* backend = new Backend();
    backend->m_region = region;
    backend->m_allocator = new TranslationCacheAllocator(region);
    Xbyak::ClearError();
    backend->m_code = new CodeBuffer(region, *backend->m_allocator);
    backend->m_regalloc = new RegAlloc(*backend->m_code);
    backend->m_scratch = new EmitScratch();
    auto result = backend->emit_thunks();
    if (result.is_error()) {
        delete backend;
        return result.release_error();
    }
    return backend;
}

Backend::~Backend()
{
    delete m_scratch;
    delete m_regalloc;
    delete m_code;
    delete m_allocator;
}

CompileStatus Backend::compile(const ir::Block& block, TranslatedBlock& tb, const CompileOptions& options)
{
    return compile_block(*m_code, *m_regalloc, m_thunks, block, tb, options, block.mmu_index, *m_scratch);
}

RunExit Backend::run(CpuContext& ctx, const u8* code)
{
    using Entry = u32 (*)(CpuContext*, const void*);
    return static_cast<RunExit>(reinterpret_cast<Entry>(const_cast<u8*>(m_thunks.entry))(&ctx, code));
}

void Backend::flush() { m_code->rewind_to(m_thunks_end); }

bool Backend::chain_exit(ExitSlot& exit, const u8* target)
{
    return exit.in_place ? patch_in_place_exit(exit.patch_site, target, true) : patch_jump(exit.patch_site, target);
}

void Backend::unchain_exit(ExitSlot& exit)
{
    if (exit.in_place)
        patch_in_place_exit(exit.patch_site, exit.stub, false);
    else
        patch_jump(exit.patch_site, exit.stub);
}

bool Backend::contains(const void* p) const
{
    auto* b = static_cast<const u8*>(p);
    return b >= m_region.base && b < m_region.base + m_region.size;
}

void Backend::disassemble(const u8* code, usize size, StringBuilder& out) const
{
    ZydisDecoder decoder;
    ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    ZydisFormatter formatter;
    ZydisFormatterInit(&formatter, ZYDIS_FORMATTER_STYLE_INTEL);
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    usize offset = 0;
    while (offset < size) {
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, code + offset, size - offset, &insn, ops))) {
            out.append("  %p: .byte 0x%02x\n", code + offset, code[offset]);
            ++offset;
            continue;
        }
        char text[128];
        ZydisFormatterFormatInstruction(&formatter, &insn, ops, insn.operand_count_visible, text, sizeof(text),
            reinterpret_cast<u64>(code + offset), nullptr);
        out.append("  %p: %s\n", code + offset, text);
        offset += insn.length;
    }
}

} // namespace keel::x64
