#pragma once
// Appends instructions to a block. Frontends lower guest instructions through this; the
// typed methods infer result types and fold nothing (folding is a pass).
#include "dbt/ir/block.h"
#include "dbt/ir/flags.h"
#include "dbt/ir/helper.h"

namespace keel::ir {

class Builder {
public:
    explicit Builder(Block& block) : m_block(block) {}

    Block& block() { return m_block; }

    // Starts a guest instruction; following instructions are attributed to it.
    void begin_guest_insn(u64 pc, u8 length)
    {
        m_block.guest_insns.append({ pc, length });
        m_insn = static_cast<u16>(m_block.guest_insns.size() - 1);
    }

    Value emit(Opcode op, Type type, Value a = {}, Value b = {}, Value c = {}, Value d = {});

    static Value imm(Type t, u64 v) { return Value::imm(t, v); }
    static Value imm8(u64 v) { return Value::imm(Type::U8, v); }
    static Value imm16(u64 v) { return Value::imm(Type::U16, v); }
    static Value imm32(u64 v) { return Value::imm(Type::U32, v); }
    static Value imm64(u64 v) { return Value::imm(Type::U64, v); }
    static Value bool_imm(bool v) { return Value::imm(Type::U1, v); }

    // Guest state and memory.
    Value load_state(Type t, u32 offset) { return emit(Opcode::LoadState, t, imm32(offset)); }
    void store_state(u32 offset, Value v) { emit(Opcode::StoreState, Type::Void, imm32(offset), v); }
    Value load_flags() { return emit(Opcode::LoadFlags, Type::Flags); }
    void store_flags(Value f, u16 mask) { emit(Opcode::StoreFlags, Type::Void, f, imm16(mask)); }
    Value load(Type t, Value address, u32 access_flags = 0) { return emit(Opcode::Load, t, address, imm32(access_flags)); }
    void store(Value address, Value v, u32 access_flags = 0) { emit(Opcode::Store, Type::Void, address, v, imm32(access_flags)); }

    // Arithmetic: result type is the first operand's.
    Value add(Value a, Value b) { return emit(Opcode::Add, a.type(), a, b); }
    Value sub(Value a, Value b) { return emit(Opcode::Sub, a.type(), a, b); }
    Value adc(Value a, Value b, Value f) { return emit(Opcode::Adc, a.type(), a, b, f); }
    Value sbb(Value a, Value b, Value f) { return emit(Opcode::Sbb, a.type(), a, b, f); }
    Value and_(Value a, Value b) { return emit(Opcode::And, a.type(), a, b); }
    Value or_(Value a, Value b) { return emit(Opcode::Or, a.type(), a, b); }
    Value xor_(Value a, Value b) { return emit(Opcode::Xor, a.type(), a, b); }
    Value inc(Value a) { return emit(Opcode::Inc, a.type(), a); }
    Value dec(Value a) { return emit(Opcode::Dec, a.type(), a); }
    Value neg(Value a) { return emit(Opcode::Neg, a.type(), a); }
    Value not_(Value a) { return emit(Opcode::Not, a.type(), a); }
    Value shift(Opcode op, Value a, Value count, Value flags_in = {}) { return emit(op, a.type(), a, count, flags_in); }
    Value mul(Value a, Value b) { return emit(Opcode::Mul, a.type(), a, b); }

    // Pseudo-ops: must directly follow their producer.
    Value flags_of(Value producer) { return emit(Opcode::FlagsOf, Type::Flags, producer); }
    Value second_of(Value producer) { return emit(Opcode::SecondOf, producer.type(), producer); }

    Value zext(Type t, Value a) { return a.type() == t ? a : emit(Opcode::ZeroExtend, t, a); }
    Value sext(Type t, Value a) { return a.type() == t ? a : emit(Opcode::SignExtend, t, a); }
    Value trunc(Type t, Value a) { return a.type() == t ? a : emit(Opcode::Truncate, t, a); }
    Value test_cond(Cond cc, Value flags) { return emit(Opcode::TestCond, Type::U1, imm8(static_cast<u8>(cc)), flags); }
    Value select(Value cond, Value a, Value b) { return emit(Opcode::Select, a.type(), cond, a, b); }
    Value equal(Value a, Value b) { return emit(Opcode::Equal, Type::U1, a, b); }
    Value flags_to_int(Value f) { return emit(Opcode::FlagsToInt, Type::U16, f); }
    Value int_to_flags(Value v) { return emit(Opcode::IntToFlags, Type::Flags, v); }

    // A host instruction (see HostInsn in opcodes.inc). Returns it, for FlagsOf.
    // `pointer`: a host_pointer() the bytes read their memory operand through (in RAX).
    // `state_floor`: the lowest state offset the bytes touch (0: any; opcode.h).
    Value host_insn(const u8* bytes, u32 length, Value pointer = {}, u16 state_floor = 0)
    {
        u32 offset = static_cast<u32>(m_block.host_code.size());
        for (u32 i = 0; i < length; ++i)
            m_block.host_code.append(bytes[i]);
        return emit(Opcode::HostInsn, Type::U64, imm64((u64(state_floor) << host_insn_floor_shift) | (u64(offset) << 8) | length), pointer);
    }
    // See HostPointer in opcodes.inc.
    Value host_pointer(Value address, u32 size, u32 access_flags, u32 temp_offset, bool write = false)
    {
        return emit(Opcode::HostPointer, Type::U64, address, imm32(access_flags),
            imm64(host_pointer_layout(size, temp_offset, write)));
    }
    void trap_if(Value cond, u8 vector, bool has_error = false, u32 error = 0)
    {
        emit(Opcode::TrapIf, Type::Void, cond, imm64(vector | (u64(error) << 8) | (u64(has_error) << 40)));
    }

    // A side exit: continue at `target` when cond holds, else with the next instruction.
    void exit_if(Value cond, u64 target) { emit(Opcode::ExitIf, Type::Void, cond, imm64(target)); }

    Value call(const Helper& helper, Value a = {}, Value b = {}, Value c = {})
    {
        return emit(Opcode::CallHelper, Type::U64, imm64(reinterpret_cast<uptr>(&helper)), a, b, c);
    }

    // Terminals.
    void jump(u64 target);
    void branch(Value cond, u64 target_true, u64 target_false);
    void jump_indirect(Value target);
    void exit(ExitReason reason);                // pc already set (by a helper)
    void exit_to(ExitReason reason, u64 next_pc); // sets pc first
    bool has_terminal() const { return m_block.terminal.kind != TerminalKind::None; }
    // Marks the Jump/JumpIndirect just set as a guest call returning to `return_pc`, or
    // as a guest return.
    void mark_call(u64 return_pc)
    {
        m_block.terminal.hint = ControlHint::Call;
        m_block.terminal.return_pc = return_pc;
    }
    void mark_return() { m_block.terminal.hint = ControlHint::Return; }

private:
    Block& m_block;
    u16 m_insn = 0;
};

} // namespace keel::ir
