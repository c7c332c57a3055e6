#pragma once
// The per-block emitter behind compile_block() (docs/backend.md#block-layout), private to
// the backend. Its work is split by category: emit_block.cpp analyzes the block and emits
// its instructions, emit_block_cold.cpp the cold paths, emit_block_exits.cpp the terminal
// and its exits.
#include "dbt/backend/x64/backend.h"
#include "dbt/backend/x64/emit_scratch.h"

namespace keel::x64 {

static_assert(max_block_exits >= max_terminal_exits + ir::max_side_exits, "a chainable exit per side exit");

class BlockEmitter {
public:
    BlockEmitter(CodeBuffer& code, RegAlloc& ra, const Thunks& thunks, const ir::Block& block, TranslatedBlock& tb, const CompileOptions& options,
        EmitScratch& scratch)
        : m_code(code), m_ra(ra), m_thunks(thunks), m_block(block), m_tb(tb), m_options(options), m_cold(scratch.cold),
          m_helper_exit_sites(scratch.helper_exit_sites), m_lazy_cond(scratch.lazy_cond), m_value_used(scratch.value_used),
          m_upper_garbage(scratch.upper_garbage), m_flags_direct(scratch.flags_direct), m_unfusable(scratch.unfusable),
          m_other_user(scratch.other_user), m_last_consumer(scratch.last_consumer), m_store_user(scratch.store_user),
          m_flags_last(scratch.flags_last), m_elsewhere(scratch.emitted_elsewhere),
          m_page_roles(scratch.page_roles), m_address_roots(scratch.address_roots)
    {
        m_cold.clear();
        m_helper_exit_sites.clear();
    }

    void emit(u32 mmu_index);

private:
    void analyze();
    void emit_terminal(EmitContext& ctx);
    // The terminal of a block that keeps loop slots in registers: the back edge to just
    // past the slots' loads, every other way out through the slots' write-back.
    void emit_loop_terminal(EmitContext& ctx);
    // A Branch terminal's condition as an x86 condition code (host flags set for it).
    u8 branch_condition(EmitContext& ctx);
    void direct_exit(u8* site, u64 target, u8* check_site = nullptr);
    void emit_exit_stubs();
    // ctx.pc = pc (clobbers RAX when pc needs 64 bits).
    void store_pc(u64 pc);
    void emit_cold_path(const ColdPath& cold);
    void recompute_flags(const ColdWrite& w);
    // The fault stores of instruction `index`, with their values' current locations.
    void attach_fault_stores(u32 index, ColdPath& cold);
    ColdOperand locate(ir::Value value) const;
    // Flags `value` that only a fault needs and the cold path can recompute.
    bool recomputable_flags(ir::Value value) const;

    struct PendingExit {
        u8* site;       // the patchable jump
        u64 target;
        u8* check_site; // jump taken when exit_request is set (backward exits), or null
    };
    // A direct exit to `target`: for a backward target, first the exit_request check.
    void exit_jump(u64 target);
    void emit_predicted_call(EmitContext& ctx, const ir::Terminal& t);
    void emit_predicted_return(const ir::Terminal& t);
    bool is_backward(u64 target) const { return target <= m_block.pc; }

    CodeBuffer& m_code;
    RegAlloc& m_ra;
    const Thunks& m_thunks;
    const ir::Block& m_block;
    TranslatedBlock& m_tb;
    const CompileOptions& m_options;
    // Per-block working state, kept by the backend so blocks do not allocate.
    Vector<ColdPath>& m_cold;
    Vector<u8*>& m_helper_exit_sites;
    Vector<u8>& m_lazy_cond;
    Vector<u8>& m_value_used;
    Vector<u8>& m_upper_garbage;
    Vector<u8>& m_flags_direct; // FlagsOf stored straight from AX, and the StoreFlags it replaces
    Vector<u8>& m_unfusable;
    Vector<u8>& m_other_user;
    Vector<u32>& m_last_consumer;
    Vector<u32>& m_store_user;
    Vector<u32>& m_flags_last;
    Vector<u8>& m_elsewhere; // not emitted in place: by a cold path (flags only a fault needs) or by its only user
    Vector<u8>& m_page_roles; // shared page checks (shared_page_check.h)
    const u8* m_block_slot = nullptr; // the TranslatedBlock* the cold descriptors point at (cold_path.h)
    bool m_keeps_xmm = false;         // host instructions may keep guest values in XMM0..XMM13 across cold paths
    Vector<u32>& m_address_roots;
    LoopRegisters m_loop;     // state slots kept in host registers (loop_registers.h)
    const u8* m_loop_head = nullptr; // where the back edge continues: past the slots' loads
    PendingExit m_exits[max_block_exits];
    u32 m_exit_count = 0;
    // exit_request checks of in-place exits: they leave through the interrupted thunk.
    struct CheckStub {
        u8* site;
        u64 target;
        bool write_back = false; // the loop slots first
    };
    CheckStub m_check_stubs[max_block_exits]; // one per backward exit, and a loop's back edge
    u32 m_check_stub_count = 0;
    struct DeferredBind {
        u8* site;
        u8* alias; // bind `site` wherever `alias` is bound
    };
    DeferredBind m_deferred_binds[2];
    u32 m_deferred_bind_count = 0;
};

} // namespace keel::x64
