#include "dbt/ir/block.h"

namespace keel::ir {

void Block::resolve_all_args()
{
    for (Inst& inst : insts) {
        for (Value& arg : inst.args) {
            if (arg.is_inst() && insts[arg.index()].op == Opcode::Identity)
                arg = resolve(arg); // most arguments are canonical already: no write
        }
    }
    terminal.value = resolve(terminal.value);
    for (FaultStore& f : fault_stores)
        f.value = resolve(f.value);
    for (u32 i = 0; i < insts.size(); ++i) {
        if (insts[i].op == Opcode::Identity)
            kill(i);
    }
}

void Block::replace_with(u32 index, Value v)
{
    Inst& inst = insts[index];
    VERIFY(!v.is_none() && (!v.is_inst() || v.index() < index));
    VERIFY(v.type() == inst.type);
    inst.op = Opcode::Identity;
    inst.args[0] = v;
    inst.args[1] = inst.args[2] = inst.args[3] = Value();
}

void Block::kill(u32 index)
{
    Inst& inst = insts[index];
    inst.op = Opcode::Deleted;
    inst.type = Type::Void;
    inst.args[0] = inst.args[1] = inst.args[2] = inst.args[3] = Value();
}

void Block::count_uses()
{
    for (Inst& inst : insts)
        inst.use_count = 0;
    for (Inst& inst : insts) {
        if (inst.is_removed())
            continue; // forwarders are not users; their users count against the target
        for (const Value& arg : inst.args) {
            Value r = resolve(arg);
            if (r.is_inst())
                ++insts[r.index()].use_count;
        }
    }
    Value t = resolve(terminal.value);
    if (t.is_inst())
        ++insts[t.index()].use_count;
    for (const FaultStore& f : fault_stores) {
        Value v = resolve(f.value);
        if (v.is_inst())
            ++insts[v.index()].use_count;
    }
}

} // namespace keel::ir
