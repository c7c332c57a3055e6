#pragma once
// State shared by the per-opcode emitters while one block is emitted.
#include "dbt/backend/x64/loop_registers.h"
#include "dbt/backend/x64/reg_alloc.h"
#include "dbt/backend/x64/shared_page_check.h"
#include "dbt/runtime/translated_block.h"
#include "dbt/runtime/run_context.h"
#include "dbt/ir/flags.h"

namespace keel::x64 {

struct Thunks {
    const u8* entry;            // u32 entry(CpuContext*, const void* code)
    const u8* exit;             // EAX = RunExit; restores the host state and returns
    const u8* lookup;           // pc is set: jump through the lookup cache or exit LookupMiss
    const u8* cold;             // `call` with a ColdDescriptor after the call (cold_path.h)
    const u8* cold_keeping_xmm; // the same, also keeping XMM0..XMM13 (blocks with host instructions)
    const u8* chain;            // `call` with an ExitSlot* after the call: exit RunExit::Unchained
    const u8* helper_exit;      // exit RunExit::HelperExit
    const u8* interrupted;      // pc is set: exit RunExit::Interrupted
};

// Where a value was when the hot path jumped to a cold path.
struct ColdOperand {
    enum class From : u8 { Register, Spill, Immediate } from;
    u8 reg;
    i32 spill_offset;
    u64 imm;
};

// A state write the cold path performs before calling out (ir::FaultStore). Usually the
// value is stored as it is; flags that only a fault needs are instead recomputed there
// (`recompute` is their operation, e.g. Sub for a CMP, on `value` and `operand`), so the
// hot path need not capture them (docs/backend.md#flags-only-a-fault-needs).
struct ColdWrite {
    i32 offset;      // from RBP
    u8 width;        // bytes
    ColdOperand value;
    ir::Opcode recompute = ir::Opcode::Deleted; // Deleted: store `value` itself
    ir::Type recompute_type = ir::Type::U64;
    ColdOperand operand;
};

// An out-of-line path, emitted after the block's terminal.
struct ColdPath {
    ColdWrite writes[ir::max_fault_stores_per_inst];
    u8 write_count;
    enum class Kind : u8 { Load, Store, Divide, Raise, Exit, Pointer }; // Exit: a side exit to guest pc value_imm
    Kind kind;
    u8 size;              // access size in bytes (Load/Store), operand size (Divide)
    bool is_signed;       // Divide
    bool for_write;       // Pointer: the host instruction writes the bytes
    u8 addr_reg;          // Load/Store: register holding the virtual address
    i8 value_reg;         // Store: register holding the value (-1: immediate)
    u8 result_reg;        // Load: destination; Divide: quotient
    u64 value_imm;        // Store: immediate value; Raise: the exception; Exit: the guest pc; Pointer: state offset of the bytes
    u8 hi_reg, lo_reg, divisor_reg; // Divide operands (all registers)
    u16 access_flags;     // Load/Store: mmu access flags
    u64 guest_pc;
    bool drop_shared_page; // a leader's miss: V = shared_page_none (shared_page_check.h)
    bool refill_shared_page; // a loop leader: first the full TLB check into V and T, back to `access` on a hit
    bool refill_for_write;   // that check asks for the write permission
    u8 shared_pair;          // which of shared_pairs those two use
    const u8* access;     // Load/Store: the hot path's access instruction (after its check)
    u8* entry_site;       // rel32 of the hot path's jump into this path
    const u8* resume;     // hot-path address to continue at
};

// How a FlagsOf keeps the flags its producer left in host EFLAGS (EmitContext::flags_direct,
// decided by BlockEmitter::analyze).
enum FlagsCapture : u8 {
    CaptureToRegister = 0, // LAHF/SETO, then MOVZX into a register its users read
    CaptureToContext = 1,  // LAHF/SETO stored straight from AX: its StoreFlags emits nothing
    NoCapture = 2,         // read only by conditions evaluated while host EFLAGS still hold it
};

struct EmitContext {
    CodeBuffer& code;
    RegAlloc& ra;
    const ir::Block& block;
    TranslatedBlock& tb;
    const Thunks& thunks;
    Vector<ColdPath>& cold;
    Vector<u8*>& helper_exit_sites; // rel32 sites jumping to the block's helper-exit stub
    Vector<u8>& lazy_cond;          // per instruction: 1 if a TestCond is fused into its user
    Vector<u8>& value_used;         // per instruction: result used by other than its pseudo-ops
    Vector<u8>& upper_garbage;      // per instruction: a U32 result whose register bits 63..32 are not zero
    Vector<u8>& flags_direct;       // per instruction: a FlagsCapture (FlagsOf) / 1 for a StoreFlags its FlagsOf performs
    Vector<u8>& emitted_elsewhere; // per instruction: not emitted in place: recomputed by cold paths
                                    // (see ColdWrite) or by its only user (a compare in TrapIf)
    const LoopRegisters& loop;      // state slots in host registers (a block that loops on itself)
    const Vector<u8>& page_roles;   // per instruction: PageRole of a Load/Store (shared_page_check.h)
    u32 mmu_index;                  // softMMU index for the block's data accesses
    u32 index = 0;                  // instruction being emitted
    i32 host_flags = -1;            // Flags value currently in host EFLAGS, or -1
    i32 flags_after = -1;           // what host EFLAGS hold after this instruction
    u32 pointer_in_rax_for = ~0u;   // the HostInsn whose HostPointer was computed straight into RAX

    const ir::Inst& inst() const { return block.insts[index]; }
    u64 guest_pc() const { return block.guest_insns.is_empty() ? block.pc : block.guest_insns[inst().guest_insn].pc; }

    // Index of the live pseudo-op `op` that follows instruction `producer`, or -1.
    i32 find_pseudo(u32 producer, ir::Opcode op) const;
    // Whether an instruction in [first, last] (clipped to the block) stores the state slot
    // at `offset`: what decides how long a loop slot's register keeps a value.
    bool slot_stored_in(i32 offset, u32 first, u32 last) const;
    // The loop-slot register the current instruction may compute its result in, or -1:
    // the next instruction that emits code stores the result to that loop slot (directly,
    // or a U32 result through a ZeroExtend to U64, which a 32-bit host write makes free),
    // and the slot is not stored again while the result is live. Nothing between the two
    // can leave the block, so no cold path sees the slot's register early. Saves the MOV
    // from a scratch register into the slot's register (docs/backend.md#loop-resident-state).
    i32 slot_destination() const;
    // A scratch for the current instruction's result that starts as `v`: the slot register
    // slot_destination() named when it holds `v` dying here, or when `v` is a dying copy of
    // that slot (the caller's operation must write the whole register: a U32 or U64
    // result), else use_scratch.
    u8 result_scratch(ir::Value v, i32 slot_reg);
    // True when the instruction after the current one is a used FlagsOf of it.
    // (Not when the cold paths recompute those flags.)
    bool flags_wanted() const
    {
        i32 flags = find_pseudo(index, ir::Opcode::FlagsOf);
        return flags >= 0 && !emitted_elsewhere[static_cast<u32>(flags)];
    }

    // Puts the Flags value `flags` into host EFLAGS (MOV + ADD AL,0x7F + SAHF; RAX clobbered).
    void restore_host_flags(ir::Value flags);
    // Puts the CF of `flags` into host CF (BT).
    void restore_carry(ir::Value flags);
    // For a fused TestCond: make host EFLAGS hold its flags; returns the x86 condition.
    u8 fused_condition(ir::Value test_cond);
    // Stores the current guest instruction's pc into the context (before helper calls).
    void store_guest_pc(u64 pc);
    // Jump to the block's helper-exit stub when `condition` holds (rel32, bound later).
    void jump_to_helper_exit(u8 condition);
};

// Operand of width `type` for register r.
inline Xbyak::Reg sized(u8 r, ir::Type type)
{
    switch (type) {
    case ir::Type::U1:
    case ir::Type::U8: return r8(r);
    case ir::Type::U16: return r16(r);
    case ir::Type::U32: return r32(r);
    default: return r64(r);
    }
}
// Operand width for 32-bit-or-wider arithmetic on narrow types (CMOV has no 8-bit form).
inline Xbyak::Reg at_least_32(u8 r, ir::Type type) { return type == ir::Type::U64 ? static_cast<Xbyak::Reg>(r64(r)) : static_cast<Xbyak::Reg>(r32(r)); }

// Fits an x86 sign-extended imm32 for an operation of `type`.
inline bool fits_imm32(ir::Value v)
{
    if (!v.is_imm())
        return false;
    if (v.type() != ir::Type::U64)
        return true;
    i64 s = static_cast<i64>(v.imm_value());
    return s == static_cast<i32>(s);
}

// An immediate as xbyak's imm32 parameter: sign-extended from its width (so 16-bit 0xFFFF
// encodes as imm8 -1), except booleans.
inline u32 imm32_of(ir::Value v) { return v.type() == ir::Type::U1 ? static_cast<u32>(v.imm_value()) : static_cast<u32>(v.imm_signed()); }
inline u64 imm64_of(ir::Value v) { return v.type() == ir::Type::U1 ? v.imm_value() : static_cast<u64>(v.imm_signed()); }

// x86 condition nibbles used by the emitters.
namespace cc {
constexpr u8 O = 0, NO = 1, B = 2, AE = 3, E = 4, NE = 5, BE = 6, A = 7, S = 8, NS = 9, P = 10, NP = 11, L = 12, GE = 13, LE = 14, G = 15;
}

} // namespace keel::x64
