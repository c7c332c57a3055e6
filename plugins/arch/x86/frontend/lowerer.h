#pragma once
// The state of lowering one guest instruction to IR, and the operations every lowering
// function shares: operand reads and writes with x86's sub-register rules, effective
// addresses, flags, the stack, raising exceptions and ending the block.
//
// Register and flag writes are deferred to the end of the instruction, after its memory
// stores: an instruction that faults must leave no trace (Intel SDM vol. 3 §6.5 "faults").
#include <Zydis/Zydis.h>
#include "dbt/ir/builder.h"
#include "dbt/plugin/arch.h"
#include "plugins/arch/x86/cpu_state.h"

namespace keel::x86 {

struct DecodedInsn {
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    u8 operands_decoded; // ops[0..operands_decoded): the visible ones, or all (Translator::decode)
    u64 pc;
    u64 pc_mask = ~0ull; // outside 64-bit code EIP or IP wraps (Translator::translate)
    u64 next_pc() const { return (pc + insn.length) & pc_mask; }
};

// What lowering one instruction did.
enum class Lowered {
    Continue,      // the block may go on with the next instruction
    EndBlock,      // the instruction set the block's terminal
    EndAfterNext,  // the next instruction ends the block, through the lookup thunk (STI: its exit_request check)
    Unimplemented, // keel does not implement it: the translator raises #UD
};

class Lowerer {
public:
    Lowerer(ir::Builder& builder, u32 mode) : ir(builder), m_mode(mode) {}

    ir::Builder& ir;

    // Which guest XMM register each of the host's XMM0..XMM13 (ir::host_xmm_kept) holds at
    // run time after the guest instruction numbered `after` (-1: none), as lower_sse left
    // them: the next SSE instruction of the block, if it comes right after, loads only what
    // they do not hold (docs/sse.md#host-registers-kept-between-instructions).
    // `dirty`: guest registers whose state slot is stale, their value only in a host
    // register holding them (an SSE instruction that cannot fault leaves its stores to the
    // next one, which drops those it overwrites; flush_deferred_xmm() writes them).
    struct XmmCache {
        i8 holds[ir::host_xmm_kept] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
        u32 after = ~0u;
        u16 dirty = 0;
    };
    XmmCache xmm_cache;
    // Counts the guest instructions begun in this block.
    u32 insn_number() const { return m_insn_number; }

    void begin(const DecodedInsn& d);
    // Commits deferred register and flag writes (after the instruction's stores).
    void commit();

    const DecodedInsn& d() const { return *m_d; }
    const ZydisDecodedInstruction& insn() const { return m_d->insn; }
    const ZydisDecodedOperand& op(unsigned i) const { return m_d->ops[i]; }
    u32 cpl() const { return mode::cpl(m_mode); }
    u32 mode() const { return m_mode; }
    bool has_prefix(u64 attribute) const { return (m_d->insn.attributes & attribute) != 0; }

    static ir::Type type_of_bits(unsigned bits);
    ir::Type operand_type() const { return type_of_bits(m_d->insn.operand_width); }
    ir::Type op_type(unsigned i) const { return type_of_bits(op(i).size); }

    // Operands.
    ir::Value read(unsigned i) { return read_as(i, op_type(i)); }
    ir::Value read_as(unsigned i, ir::Type type);
    void write(unsigned i, ir::Value v);
    ir::Value address(unsigned i);       // effective address (U64) of memory operand i
    // Memory operand i addresses the stack segment (RSP/RBP base or an SS override):
    // a non-canonical address then raises #SS instead of #GP (Intel SDM vol. 3 §6.14.x).
    bool is_stack_operand(unsigned i) const { return op(i).mem.segment == ZYDIS_REGISTER_SS; }
    // Effective address; LEA passes with_segment = false (it ignores segment bases).
    ir::Value address_of(const ZydisDecodedOperandMem& mem, bool with_segment = true);
    // The sum of base, scaled index and displacement at width `t` (no segment base), from
    // the registers' low `t` bits: at the address size, the address itself; narrower, its
    // low bits (the low bits of a sum depend only on the operands' low bits: LEA r32 of a
    // 64-bit address).
    ir::Value effective_address(const ZydisDecodedOperandMem& mem, ir::Type t);

    // Registers.
    ir::Value read_reg(ZydisRegister reg);
    void write_reg(ZydisRegister reg, ir::Value v);   // deferred
    ir::Value read_gpr(Gpr g, ir::Type type = ir::Type::U64);
    void write_gpr(Gpr g, ir::Value v);               // deferred; U32 zero-extends, U8/U16 merge
    ir::Value read_rflags_sys() { return ir.load_state(ir::Type::U64, offset::rflags); }

    // Flags: set_flags captures the producer's flags now and stores them with the commit.
    void set_flags(ir::Value producer, u16 mask);
    void set_flags_value(ir::Value flags, u16 mask);
    ir::Value flags() { return ir.load_flags(); }
    ir::Value condition(u8 cc) { return ir.test_cond(static_cast<ir::Cond>(cc), flags()); }

    // Stack: the pointer is RSP in 64-bit code, else ESP or SP as SS.B says (mode::stack32),
    // and outside flat segments addresses add SS's base (Intel SDM vol. 3 §3.4.5).
    void push(ir::Value v);
    ir::Value pop(ir::Type type);
    bool code64() const { return m_mode & mode::code64; }
    ir::Type stack_type() const { return code64() ? ir::Type::U64 : (m_mode & mode::stack32) ? ir::Type::U32 : ir::Type::U16; }
    ir::Value stack_pointer() { return read_gpr(RSP, stack_type()); }
    // sp + delta at the stack pointer's width: ESP and SP wrap as the CPU's do.
    ir::Value stack_offset(ir::Value sp, i64 delta);
    // The linear address of `bytes` at the stack pointer value `sp`, checked against SS's
    // limit outside flat segments (#SS(0): check_segment_limit).
    ir::Value stack_address(ir::Value sp, unsigned bytes);
    void set_stack_pointer(ir::Value sp);
    // The linear address of an offset in a segment: 64-bit code adds only FS's and GS's
    // bases; other code adds the segment's base unless segments are flat, and its linear
    // addresses are 32 bits (Intel SDM vol. 3 §3.4.4: compatibility mode forms 32-bit ones).
    ir::Value linear(ir::Value offset, SegmentIndex segment);
    // Outside flat segments (and 64-bit code): #GP(0), or #SS(0) for SS, when `bytes` at
    // `offset` leave the segment's limit (expand-down data segments: when they lie at or
    // below it, or above 64 KiB / 4 GiB by the B flag), or the segment is unusable.
    void check_segment_limit(ir::Value offset, unsigned bytes, SegmentIndex segment);
    // Access to guest memory at an explicit address.
    ir::Value load(ir::Type type, ir::Value address, bool stack = false) { return ir.load(type, address, stack ? access_flag::stack : 0); }
    void store(ir::Value address, ir::Value v, bool stack = false) { ir.store(address, v, stack ? access_flag::stack : 0); }

    // Ending the instruction or the block.
    Lowered raise(u8 vector);
    Lowered raise(u8 vector, u32 error_code);
    Lowered jump(u64 target);
    Lowered jump_indirect(ir::Value target);
    // A conditional branch: ends the block with a Branch terminal, or, when the translator
    // allowed it for this instruction, leaves through a side exit (IR ExitIf) to `taken`
    // and lets the block go on at `not_taken` (which must be the next instruction).
    Lowered branch(ir::Value cond, u64 taken, u64 not_taken);
    // Only forward branches leave through side exits: a backward one is mostly a loop's
    // back edge, whose block should end there (the backend keeps a loop's registers in host
    // registers, docs/backend.md#loops) rather than go on into the loop's exit path.
    // Host instructions may store straight to guest RAM (TranslationRequest::direct_stores).
    bool direct_stores = true;
    void allow_side_exit(bool allowed)
    {
        m_side_exit_allowed = allowed;
        m_side_exit_taken = false;
    }
    // Whether the instruction just lowered left through a side exit, and to where.
    bool took_side_exit(u64& target) const
    {
        target = m_side_exit_target;
        return m_side_exit_taken;
    }
    // Ends the block after this instruction so the dispatcher sees changed state.
    Lowered end_block_after();
    // Ends the block after this instruction and continues at the next one through the
    // lookup cache, without the dispatcher: for a helper that changed which translations
    // hold (and forgot the lookup-cache entries that depended on them itself) but not the
    // mode, the interrupt flag or anything else the dispatcher looks at (INVLPG, MOV CR3).
    Lowered end_block_through_lookup();
    // A near branch to a non-canonical address raises #GP(0) on the branch itself, before
    // anything it changes (Intel SDM vol. 2, JMP, CALL, RET: "If the target address is
    // in non-canonical form, #GP(0)"); outside 64-bit code, so does one beyond CS's limit
    // ("If the target operand is outside of the code segment limits, #GP(0)"), which only
    // a segment that is not flat has: call before the branch's stores and commit.
    void check_branch_target(ir::Value target);
    // Whether a near branch to `target` faults (U1; a constant when the target is one and
    // 64-bit code decides it now), or none when it cannot (flat segments outside 64-bit code).
    ir::Value branch_target_faults(ir::Value target);
    // For a target known now: false if it faults for certain (then raise #GP(0)); a runtime
    // check is added where only CS's limit can tell.
    bool check_branch_target(u64 target);
    // A near branch's target at the instruction's operand size: 16 bits keep IP, and
    // outside 64-bit code EIP wraps at 4 GiB.
    u64 wrap_branch_target(u64 target) const;

    ir::Value imm(ir::Type t, u64 v) { return ir::Builder::imm(t, v); }

private:
    struct PendingWrite {
        Gpr gpr;
        bool high_byte;
        ir::Value value;
    };
    const DecodedInsn* m_d = nullptr;
    u32 m_mode;
    u32 m_insn_number = 0;
    ir::Value merge_write(ir::Value whole, const PendingWrite& w);

    PendingWrite m_writes[8]; // POPA writes seven registers and the stack pointer
    unsigned m_write_count = 0;
    u16 m_gprs_seen = 0; // registers this block has read or written so far (bit per Gpr)
    ir::Value m_flags;
    u16 m_flags_mask = 0;
    ir::Value m_addresses[ZYDIS_MAX_OPERAND_COUNT];
    bool m_side_exit_allowed = false;
    bool m_side_exit_taken = false;
    u64 m_side_exit_target = 0;
};

// The segment register a Zydis register names (DS for anything else, the default data
// segment of a memory operand).
SegmentIndex segment_index(ZydisRegister reg);

// Maps a Zydis general-purpose register to (GPR, width, high byte). False if not a GPR.
bool gpr_of(ZydisRegister reg, Gpr& gpr, ir::Type& type, bool& high_byte);

} // namespace keel::x86
