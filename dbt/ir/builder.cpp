#include "dbt/ir/builder.h"

namespace keel::ir {

Value Builder::emit(Opcode op, Type type, Value a, Value b, Value c, Value d)
{
    VERIFY(!has_terminal());
    u32 index = static_cast<u32>(m_block.insts.size());
    m_block.insts.append(Inst { op, type, m_insn, { a, b, c, d }, 0, 0 });
    return type == Type::Void ? Value() : Value::of_inst(type, index);
}

void Builder::jump(u64 target)
{
    m_block.terminal = Terminal { TerminalKind::Jump, ExitReason::Dispatch, ControlHint::None, true, {}, target, 0, 0 };
}

void Builder::branch(Value cond, u64 target_true, u64 target_false)
{
    m_block.terminal = Terminal { TerminalKind::Branch, ExitReason::Dispatch, ControlHint::None, true, cond, target_true, target_false, 0 };
}

void Builder::jump_indirect(Value target)
{
    m_block.terminal = Terminal { TerminalKind::JumpIndirect, ExitReason::Dispatch, ControlHint::None, false, target, 0, 0, 0 };
}

void Builder::exit(ExitReason reason)
{
    m_block.terminal = Terminal { TerminalKind::Exit, reason, ControlHint::None, false, {}, 0, 0, 0 };
}

void Builder::exit_to(ExitReason reason, u64 next_pc)
{
    m_block.terminal = Terminal { TerminalKind::Exit, reason, ControlHint::None, true, {}, next_pc, 0, 0 };
}

} // namespace keel::ir
