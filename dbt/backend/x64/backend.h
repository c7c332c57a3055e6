#pragma once
// The x86-64 backend's interface to the engine: compile IR blocks into the translation
// cache, run translated code, patch chained exits, disassemble for -d out_asm.
#include "dbt/backend/x64/code_buffer.h"
#include "dbt/backend/x64/emit_context.h"
#include "dbt/base/result.h"
#include "dbt/base/string_builder.h"
#include "dbt/ir/block.h"
#include "dbt/runtime/exit_patcher.h"

namespace keel::x64 {

struct CompileOptions {
    bool chain = true;   // false: every exit returns to the dispatcher (-d nochain, exec)
    bool icount = false; // deterministic time: blocks count their instructions against a budget
};

enum class CompileStatus { Ok, CacheFull };

class RegAlloc;
struct EmitScratch;

class Backend final : public ExitPatcher {
public:
    // Fails when the host CPU lacks a feature generated code uses (host_features.h) or the
    // region cannot hold the thunks and a block.
    static Result<Backend*> create(CodeRegion region);
    ~Backend();

    // `block` must have its arguments resolved (no Identity left; ir::optimize ends so).
    CompileStatus compile(const ir::Block& block, TranslatedBlock& tb, const CompileOptions& options);
    RunExit run(CpuContext& ctx, const u8* code);
    // Forgets every block: the cache refills from just after the thunks.
    void flush();

    const Thunks& thunks() const { return m_thunks; }
    const u8* lookup_miss() const { return m_lookup_miss; }
    usize used_bytes() const { return m_code->used(); }
    usize capacity() const { return m_code->capacity(); }
    bool contains(const void* p) const;
    void disassemble(const u8* code, usize size, StringBuilder& out) const;

    // ExitPatcher: rewrites the rel32 jumps of direct exits (patch.h).
    bool chain_exit(ExitSlot& exit, const u8* target) override;
    void unchain_exit(ExitSlot& exit) override;

private:
    Backend() = default;
    Result<void> emit_thunks();

    TranslationCacheAllocator* m_allocator = nullptr;
    CodeBuffer* m_code = nullptr;
    RegAlloc* m_regalloc = nullptr;
    EmitScratch* m_scratch = nullptr;
    Thunks m_thunks {};
    const u8* m_lookup_miss = nullptr;
    usize m_thunks_end = 0;
    CodeRegion m_region {};
};

// Every block must leave at least this much room; a smaller remainder counts as full.
constexpr usize max_block_code_bytes = 64 * KiB;

} // namespace keel::x64
