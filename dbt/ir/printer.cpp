#include "dbt/ir/printer.h"
#include "dbt/ir/flags.h"
#include "dbt/ir/helper.h"

namespace keel::ir {
namespace {

void print_flag_mask(StringBuilder& out, u64 mask)
{
    static const struct { u16 bit; char name; } names[] = {
        { flag::CF, 'C' }, { flag::PF, 'P' }, { flag::AF, 'A' }, { flag::ZF, 'Z' }, { flag::SF, 'S' }, { flag::OF, 'O' },
    };
    out.append_char('{');
    for (auto n : names) {
        if (mask & n.bit)
            out.append_char(n.name);
    }
    out.append_char('}');
}

} // namespace

void print_value(StringBuilder& out, const Block& block, Value v)
{
    v = block.resolve(v);
    if (v.is_none())
        out.append("_");
    else if (v.is_imm())
        out.append("0x%llx", (unsigned long long)v.imm_value());
    else
        out.append("%%%u", v.index());
}

void print_inst(StringBuilder& out, const Block& block, u32 index, StateNamer namer)
{
    const Inst& inst = block.insts[index];
    out.append("  ");
    if (inst.type != Type::Void)
        out.append("%%%-4u = ", index);
    else
        out.append("        ");
    out.append("%s", name(inst.op));
    if (inst.type != Type::Void && inst.type != Type::Flags && inst.type != Type::U1)
        out.append(".%s", type_name(inst.type));
    const Value* args = inst.args;
    unsigned first = 0;
    switch (inst.op) {
    case Opcode::LoadState:
    case Opcode::StoreState: {
        u32 offset = static_cast<u32>(args[0].imm_value());
        Type t = inst.op == Opcode::LoadState ? inst.type : block.resolve(args[1]).type();
        const char* n = namer ? namer(offset, t) : nullptr;
        if (inst.op == Opcode::StoreState)
            out.append(".%s", type_name(t));
        if (n)
            out.append(" %s", n);
        else
            out.append(" [state+0x%x]", offset);
        first = 1;
        break;
    }
    case Opcode::TestCond:
        out.append(" %s", cond_name(static_cast<Cond>(args[0].imm_value())));
        first = 1;
        break;
    case Opcode::CallHelper: {
        auto* helper = reinterpret_cast<const Helper*>(static_cast<uptr>(args[0].imm_value()));
        out.append(" %s", helper->name);
        first = 1;
        break;
    }
    default:
        break;
    }
    if (inst.op == Opcode::Identity) {
        // Its own argument, not where that leads (print_value resolves).
        Value a = inst.args[0];
        if (a.is_inst()) {
            out.append(" %%%u", a.index());
        } else {
            out.append(" ");
            print_value(out, block, a);
        }
        out.append("\n");
        return;
    }
    unsigned count = inst.arg_count();
    for (unsigned i = first; i < count; ++i) {
        if (inst.op == Opcode::StoreFlags && i == 1) {
            out.append(", ");
            print_flag_mask(out, args[1].imm_value());
            continue;
        }
        if (block.resolve(args[i]).is_none())
            continue;
        out.append(i == first ? " " : ", ");
        print_value(out, block, args[i]);
    }
    out.append("\n");
}

void print_block(StringBuilder& out, const Block& block, StateNamer namer)
{
    out.append("block 0x%llx mode 0x%x, %zu guest insns\n", (unsigned long long)block.pc, block.mode, block.guest_insns.size());
    u16 last_insn = 0xFFFF;
    for (u32 i = 0; i < block.insts.size(); ++i) {
        const Inst& inst = block.insts[i];
        if (inst.is_removed())
            continue; // users print the forwarded value; deleted code is gone
        if (inst.guest_insn != last_insn && inst.guest_insn < block.guest_insns.size()) {
            last_insn = inst.guest_insn;
            out.append(" ; 0x%llx\n", (unsigned long long)block.guest_insns[inst.guest_insn].pc);
        }
        print_inst(out, block, i, namer);
        for (const FaultStore& f : block.fault_stores) {
            if (f.fault_inst != i)
                continue;
            const char* n = (!f.flags && namer) ? namer(f.offset, block.resolve(f.value).type()) : nullptr;
            out.append("          (on fault: ");
            if (f.flags)
                out.append("flags");
            else if (n)
                out.append("%s", n);
            else
                out.append("[state+0x%x]", f.offset);
            out.append(" = ");
            print_value(out, block, f.value);
            out.append(")\n");
        }
    }
    const Terminal& t = block.terminal;
    switch (t.kind) {
    case TerminalKind::None: out.append("  <no terminal>\n"); break;
    case TerminalKind::Jump:
        out.append("  jump 0x%llx", (unsigned long long)t.target);
        break;
    case TerminalKind::Branch:
        out.append("  branch ");
        print_value(out, block, t.value);
        out.append(" ? 0x%llx : 0x%llx\n", (unsigned long long)t.target, (unsigned long long)t.target_false);
        break;
    case TerminalKind::JumpIndirect:
        out.append("  jump_indirect ");
        print_value(out, block, t.value);
        break;
    case TerminalKind::Exit:
        out.append("  exit %s", t.reason == ExitReason::Halt ? "halt" : "dispatch");
        if (t.has_target)
            out.append(" pc=0x%llx", (unsigned long long)t.target);
        out.append("\n");
        break;
    }
    if (t.kind == TerminalKind::Jump || t.kind == TerminalKind::JumpIndirect) {
        if (t.hint == ControlHint::Call)
            out.append(" (call, returns to 0x%llx)", (unsigned long long)t.return_pc);
        else if (t.hint == ControlHint::Return)
            out.append(" (return)");
        out.append("\n");
    }
}

} // namespace keel::ir
