// The IR verifier: type rules come from the opcode table (opcodes.inc); the few rules a
// table column cannot express (pseudo-op adjacency, widening/narrowing) are spelled out.
#include "dbt/base/log.h"
#include "dbt/ir/flags.h"
#include "dbt/ir/passes/passes.h"
#include "dbt/ir/printer.h"

namespace keel::ir {
namespace {

Type spec_type(Spec s)
{
    switch (s) {
    case Spec::U1: return Type::U1;
    case Spec::U8: return Type::U8;
    case Spec::U16: return Type::U16;
    case Spec::U32: return Type::U32;
    case Spec::U64: return Type::U64;
    case Spec::Flags: return Type::Flags;
    default: return Type::Void;
    }
}

Error at(u32 index, const Inst& inst, const char* what)
{
    return Error::formatted("IR %%%u (%s): %s", index, name(inst.op), what);
}

// The previous live instruction, skipping deleted ones and forwarders.
i64 previous_live(const Block& block, u32 index)
{
    for (i64 i = static_cast<i64>(index) - 1; i >= 0; --i) {
        if (!block.insts[i].is_removed())
            return i;
    }
    return -1;
}

// Identity's rule, which the table's Any cannot say: one argument, an immediate or an
// earlier instruction with a value, of the instruction's own type (an integer or Flags).
// Run in order over the block before anything resolves values, so every chain of
// forwarders ends (at a lower index each step).
Result<void> check_identity(const Block& block, u32 index, const Inst& inst)
{
    Value a = inst.args[0];
    if (a.is_none() || !inst.args[1].is_none() || !inst.args[2].is_none() || !inst.args[3].is_none())
        return at(index, inst, "must forward exactly one value");
    if (a.is_inst() && a.index() >= index)
        return at(index, inst, "argument is not defined before its use");
    if (a.type() != inst.type)
        return at(index, inst, "forwarded value has another type");
    Value r = block.resolve(a);
    if (r.is_inst() && (block.at(r).type == Type::Void || block.at(r).type != r.type()))
        return at(index, inst, "forwards an instruction without a value of that type");
    return {};
}

Result<void> check_pseudo(const Block& block, u32 index, const Inst& inst, Value producer)
{
    if (!producer.is_inst())
        return at(index, inst, "pseudo-op argument must be an instruction");
    u16 needed = inst.op == Opcode::FlagsOf ? attr::SetsFlags : attr::HasSecond;
    if (!block.at(producer).has(needed))
        return at(index, inst, "producer cannot have this pseudo-op");
    // Directly after the producer, or after the producer's other pseudo-ops.
    i64 prev = previous_live(block, index);
    while (prev >= 0 && block.insts[prev].has(attr::Pseudo) && block.resolve(block.insts[prev].args[0]) == producer)
        prev = previous_live(block, static_cast<u32>(prev));
    if (prev != static_cast<i64>(producer.index()))
        return at(index, inst, "pseudo-op does not directly follow its producer");
    return {};
}

} // namespace

Result<void> check(const Block& block)
{
    u32 side_exits = 0;
    for (u32 index = 0; index < block.insts.size(); ++index) {
        const Inst& inst = block.insts[index];
        if (inst.op == Opcode::Identity)
            TRY(check_identity(block, index, inst));
        side_exits += inst.op == Opcode::ExitIf;
    }
    if (side_exits > max_side_exits)
        return Error::formatted("IR block: %u side exits, at most %u", side_exits, max_side_exits);
    // Deleted instructions go through the table like any other: void, no arguments.
    for (u32 index = 0; index < block.insts.size(); ++index) {
        const Inst& inst = block.insts[index];
        if (inst.op == Opcode::Identity)
            continue;
        const OpcodeInfo& oi = info(inst.op);

        // Result type.
        switch (oi.result) {
        case Spec::T:
        case Spec::Any:
            if (!is_integer(inst.type))
                return at(index, inst, "result must be an integer type");
            break;
        case Spec::Void:
            if (inst.type != Type::Void)
                return at(index, inst, "result must be void");
            break;
        default:
            if (inst.type != spec_type(oi.result))
                return at(index, inst, "wrong result type");
        }
        if (inst.guest_insn >= block.guest_insns.size() && !block.guest_insns.is_empty())
            return at(index, inst, "guest instruction index out of range");

        // Arguments.
        Type any_type = Type::Void;
        for (unsigned i = 0; i < 4; ++i) {
            Value v = block.resolve(inst.args[i]);
            Spec s = oi.args[i];
            if (s == Spec::None) {
                if (!v.is_none())
                    return at(index, inst, "too many arguments");
                continue;
            }
            bool optional = s == Spec::OptFlags || (inst.op == Opcode::CallHelper && i > 0) || (inst.op == Opcode::HostInsn && i == 1);
            if (v.is_none()) {
                if (optional)
                    continue;
                return at(index, inst, "missing argument");
            }
            if (v.is_inst()) {
                if (v.index() >= index)
                    return at(index, inst, "argument is not defined before its use");
                const Inst& def = block.insts[v.index()];
                if (def.is_deleted() || def.type == Type::Void)
                    return at(index, inst, "argument refers to an instruction without a value");
                if (def.type != v.type())
                    return at(index, inst, "argument type disagrees with its definition");
            }
            switch (s) {
            case Spec::T:
                if (v.type() != inst.type)
                    return at(index, inst, "argument type differs from the instruction type");
                break;
            case Spec::Any:
                if (!is_integer(v.type()))
                    return at(index, inst, "argument must be an integer");
                if (any_type == Type::Void)
                    any_type = v.type();
                break;
            case Spec::Imm:
                if (!v.is_imm())
                    return at(index, inst, "argument must be an immediate");
                break;
            case Spec::OptFlags:
            case Spec::Flags:
                if (v.type() != Type::Flags)
                    return at(index, inst, "argument must be flags");
                break;
            default:
                if (v.type() != spec_type(s))
                    return at(index, inst, "argument has the wrong type");
            }
        }

        // Booleans come only from comparisons and boolean logic: arithmetic on u1 would
        // leave values other than 0 and 1 in the backend's 8-bit registers.
        if (inst.type == Type::U1) {
            switch (inst.op) {
            case Opcode::LoadState: // a boolean kept in the state
            case Opcode::TestCond:
            case Opcode::Equal:
            case Opcode::Bt:
            case Opcode::Truncate:
            case Opcode::And:
            case Opcode::Or:
            case Opcode::Xor:
            case Opcode::Select:
                break;
            default:
                return at(index, inst, "u1 is only produced by comparisons, boolean logic, selection, truncation and state loads");
            }
        }
        // Operations that exist on x86 only for 16, 32 and 64 bits (32 and 64 for BMI1).
        switch (inst.op) {
        case Opcode::Mul:
        case Opcode::Bts:
        case Opcode::Btr:
        case Opcode::Btc:
        case Opcode::Bsf:
        case Opcode::Bsr:
        case Opcode::Tzcnt:
        case Opcode::Lzcnt:
        case Opcode::Popcnt:
        case Opcode::Shld:
        case Opcode::Shrd:
            if (inst.type == Type::U8 || inst.type == Type::U1)
                return at(index, inst, "has no 8-bit form");
            break;
        case Opcode::Andn:
        case Opcode::Bextr:
        case Opcode::Blsi:
        case Opcode::Blsmsk:
        case Opcode::Blsr:
            if (inst.type != Type::U32 && inst.type != Type::U64)
                return at(index, inst, "exists for 32 and 64 bits only");
            break;
        default:
            break;
        }

        // Rules beyond the table.
        Value a0 = block.resolve(inst.args[0]);
        Value a1 = block.resolve(inst.args[1]);
        switch (inst.op) {
        case Opcode::FlagsOf:
        case Opcode::SecondOf:
            if (auto r = check_pseudo(block, index, inst, a0); r.is_error())
                return r;
            if (inst.op == Opcode::FlagsOf && a0.type() == Type::U1 && block.at(a0).op != Opcode::Bt)
                return at(index, inst, "u1 arithmetic has no x86 flags");
            if (inst.op == Opcode::SecondOf && a0.type() != inst.type)
                return at(index, inst, "second result must have the producer's type");
            break;
        case Opcode::ZeroExtend:
        case Opcode::SignExtend:
            if (bit_width(a0.type()) >= bit_width(inst.type))
                return at(index, inst, "extension must widen");
            break;
        case Opcode::Truncate:
            if (bit_width(a0.type()) <= bit_width(inst.type))
                return at(index, inst, "truncation must narrow");
            break;
        case Opcode::Equal:
            if (a0.type() != a1.type())
                return at(index, inst, "operands must have the same type");
            break;
        case Opcode::Bt:
            if (a0.type() != a1.type())
                return at(index, inst, "operands must have the same type");
            if (a0.type() == Type::U8 || a0.type() == Type::U1)
                return at(index, inst, "has no 8-bit form");
            break;
        case Opcode::StoreFlags:
            if ((a1.imm_value() & ~u64(flag::All)) != 0)
                return at(index, inst, "flag mask has bits that are not status flags");
            break;
        case Opcode::TestCond:
            if (a0.imm_value() > 15)
                return at(index, inst, "condition code out of range");
            break;
        case Opcode::Bswap:
            if (inst.type != Type::U32 && inst.type != Type::U64)
                return at(index, inst, "bswap is defined for 32 and 64 bits");
            break;
        default:
            break;
        }
    }

    for (const FaultStore& f : block.fault_stores) {
        if (f.fault_inst >= block.insts.size() || !block.insts[f.fault_inst].has(attr::MayFault) || block.insts[f.fault_inst].has(attr::Call))
            return Error::formatted("IR fault store: %%%u is not a may-fault instruction", f.fault_inst);
        Value v = block.resolve(f.value);
        if (v.is_none() || (v.is_inst() && v.index() >= f.fault_inst))
            return Error::formatted("IR fault store at %%%u: value not defined before it", f.fault_inst);
        if (f.flags != (v.type() == Type::Flags))
            return Error::formatted("IR fault store at %%%u: flags and value type disagree", f.fault_inst);
    }

    const Terminal& t = block.terminal;
    if (t.value.is_inst() && t.value.index() >= block.insts.size())
        return Error::formatted("IR terminal: value out of range");
    Value tv = block.resolve(t.value);
    if (tv.is_inst()) {
        const Inst& def = block.insts[tv.index()];
        if (def.is_deleted() || def.type == Type::Void)
            return Error::formatted("IR terminal: value refers to an instruction without a value");
        if (def.type != tv.type())
            return Error::formatted("IR terminal: value type disagrees with its definition");
    }
    switch (t.kind) {
    case TerminalKind::None:
        return Error::formatted("IR block has no terminal");
    case TerminalKind::Branch:
        if (tv.type() != Type::U1)
            return Error::formatted("IR terminal: branch condition must be u1");
        break;
    case TerminalKind::JumpIndirect:
        if (tv.type() != Type::U64)
            return Error::formatted("IR terminal: indirect target must be u64");
        break;
    default:
        if (!tv.is_none())
            return Error::formatted("IR terminal: unexpected value");
    }
    return {};
}

void verify(Block& block)
{
    auto result = check(block);
    if (!result.is_error())
        return;
    StringBuilder dump;
    print_block(dump, block);
    log::printf("%s", dump.c_str());
    PANIC("%s", result.error().message());
}

} // namespace keel::ir
