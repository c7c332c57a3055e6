// Constant folding and simple algebraic identities. An operation whose flags are used
// (it is followed by FlagsOf or SecondOf) is left alone: the flags come from the host
// instruction. A branch on a constant condition becomes a jump.
#include "dbt/ir/evaluate.h"
#include "dbt/ir/flags.h"
#include "dbt/ir/passes/passes.h"

namespace keel::ir {
namespace {

u64 low_mask(Type type) { return bit_width(type) >= 64 ? ~0ull : (1ull << bit_width(type)) - 1; }

bool is_all_ones(Value v) { return v.is_imm() && v.imm_value() == type_mask(v.type()); }
bool is_zero(Value v) { return v.is_imm() && v.imm_value() == 0; }

// The low `type` bits of `merge` = or(and(y, m), x) where m keeps none of them: x's (an
// immediate, or a zero extension of a `type` value). None when it is not that shape.
Value low_part_of_merge(const Block& block, const Inst& merge, Type type)
{
    u64 low_bits = low_mask(type);
    for (int side = 0; side < 2; ++side) {
        Value cleared = block.resolve(merge.args[side]), inserted = block.resolve(merge.args[1 - side]);
        if (!cleared.is_inst() || block.at(cleared).op != Opcode::And)
            continue;
        Value m = block.resolve(block.at(cleared).args[1]);
        if (!m.is_imm() || (m.imm_value() & low_bits) != 0)
            continue;
        if (inserted.is_imm() && (inserted.imm_value() & ~low_bits) == 0)
            return Value::imm(type, inserted.imm_value());
        if (inserted.is_inst() && block.at(inserted).op == Opcode::ZeroExtend) {
            Value x = block.resolve(block.at(inserted).args[0]);
            if (x.type() == type)
                return x;
        }
    }
    return {};
}

// The bits of `v` that may be 1: a zero extension's are its (innermost) source's width.
u64 maybe_set_bits(const Block& block, Value v)
{
    if (v.is_imm())
        return v.imm_value();
    u64 bits = low_mask(v.type());
    while (v.is_inst() && block.at(v).op == Opcode::ZeroExtend) {
        v = block.resolve(block.at(v).args[0]);
        bits &= low_mask(v.type());
    }
    return bits;
}

// Identities that hold whatever the other operand is. Returns the replacement or none.
Value simplify(const Block& block, const Inst& inst, const Value* a)
{
    switch (inst.op) {
    case Opcode::Add:
    case Opcode::Or:
    case Opcode::Xor:
        if (is_zero(a[1]))
            return a[0];
        if (is_zero(a[0]))
            return a[1];
        break;
    case Opcode::Sub:
    case Opcode::Shl:
    case Opcode::Shr:
    case Opcode::Sar:
        if (is_zero(a[1]) && (inst.op == Opcode::Sub || a[2].is_none()))
            return a[0];
        break;
    case Opcode::And:
        if (is_all_ones(a[1]))
            return a[0];
        if (is_zero(a[1]))
            return Value::imm(inst.type, 0);
        // Known zero bits: and(zext(x), m) is 0 when m keeps none of x's bits, and the
        // value itself when it keeps all of them. A 16-bit write of a register that holds
        // a zero-extended 16-bit load merges into bits the load left zero (xz's
        // probability updates: movzx eax, word [rdi]; mov edx, eax; shr dx, 5).
        if (a[1].is_imm() && a[0].is_inst()) {
            u64 maybe = maybe_set_bits(block, a[0]);
            if ((maybe & a[1].imm_value()) == 0)
                return Value::imm(inst.type, 0);
            if ((maybe & a[1].imm_value()) == maybe)
                return a[0];
        }
        break;
    case Opcode::Select:
        if (a[1] == a[2])
            return a[1];
        break;
    case Opcode::Truncate:
        // trunc(ext(x)) where x already has the target type.
        if (a[0].is_inst()) {
            const Inst& def = block.at(a[0]);
            // Through a chain of extensions of values at least as wide as the result:
            // trunc16(zext64(zext32(x16))) is x.
            for (Value v = a[0]; v.is_inst();) {
                const Inst& ext = block.at(v);
                if (ext.op != Opcode::ZeroExtend && ext.op != Opcode::SignExtend)
                    break;
                v = block.resolve(ext.args[0]);
                if (bit_width(v.type()) < bit_width(inst.type))
                    break;
                if (v.type() == inst.type)
                    return v;
            }
            // trunc(or(and(y, m), zext(x))) where m clears the truncated bits: x. A
            // register's low byte or word read back after a write of it was merged into
            // its whole value (the x86 frontend's narrow register writes).
            if (def.op == Opcode::Or)
                return low_part_of_merge(block, def, inst.type);
        }
        break;
    default:
        break;
    }
    return {};
}

// `v` as a value of the narrower `type` without a new instruction: an immediate's low bits,
// or the source of a zero or sign extension from `type`. None otherwise.
Value narrow_view(const Block& block, Value v, Type type)
{
    if (v.is_imm())
        return Value::imm(type, v.imm_value());
    if (v.is_inst()) {
        const Inst& def = block.at(v);
        if (def.op == Opcode::ZeroExtend || def.op == Opcode::SignExtend) {
            Value source = block.resolve(def.args[0]);
            if (source.type() == type)
                return source;
        }
    }
    return {};
}

// trunc(op(a, b)) for a wrap-around operation (ADD, SUB, AND, OR, XOR) whose operands are
// extensions of narrower values or constants is op on those values (the low bits of a sum
// depend on the low bits of its operands only). Rewritten in place, the truncation becomes
// that narrower operation: x86's `lea edi, [rbx - 1]` (an address-size ADD, then the 32-bit
// destination) becomes a 32-bit ADD, which the backend emits as one LEA.
bool narrow_truncated_operation(Block& block, u32 index)
{
    Inst& inst = block.insts[index];
    if (inst.op != Opcode::Truncate || !is_integer(inst.type) || inst.type == Type::U1)
        return false;
    Value wide = block.resolve(inst.args[0]);
    if (!wide.is_inst())
        return false;
    const Inst& op = block.at(wide);
    switch (op.op) {
    case Opcode::Add:
    case Opcode::Sub:
    case Opcode::And:
    case Opcode::Or:
    case Opcode::Xor:
        break;
    default:
        return false;
    }
    if (has_pseudo_user(block, wide.index()))
        return false; // its flags are the wide operation's
    Value a = narrow_view(block, block.resolve(op.args[0]), inst.type);
    Value b = narrow_view(block, block.resolve(op.args[1]), inst.type);
    if (a.is_none() || b.is_none() || (a.is_imm() && b.is_imm()))
        return false;
    Opcode narrow = op.op;
    inst.op = narrow;
    inst.args[0] = a;
    inst.args[1] = b;
    return true;
}

} // namespace

// x86's zeroing idioms: XOR x,x and SUB x,x give 0 with fixed flags (ZF and PF set, CF OF
// SF AF clear; Intel SDM vol. 1 §3.4.3.1). Their FlagsOf becomes a constant.
// The same value, also when it was read twice: `xor r12d, r12d` reads its operands as two
// Truncates of one 64-bit register value.
bool same_value(const Block& block, Value a, Value b)
{
    a = block.resolve(a);
    b = block.resolve(b);
    if (a == b)
        return true;
    if (!a.is_inst() || !b.is_inst())
        return false;
    const Inst& x = block.at(a);
    const Inst& y = block.at(b);
    return x.op == Opcode::Truncate && y.op == Opcode::Truncate && x.type == y.type
        && block.resolve(x.args[0]) == block.resolve(y.args[0]);
}

bool fold_zeroing_idiom(Block& block, u32 index)
{
    Inst& inst = block.insts[index];
    if ((inst.op != Opcode::Xor && inst.op != Opcode::Sub) || !same_value(block, inst.args[0], inst.args[1]))
        return false;
    for (u32 j = index + 1; j < block.insts.size(); ++j) {
        Inst& next = block.insts[j];
        if (next.is_removed())
            continue;
        if (next.op == Opcode::FlagsOf && block.resolve(next.args[0]) == Value::of_inst(inst.type, index))
            block.replace_with(j, Value::imm(Type::Flags, flag::ZF | flag::PF | flag::Fixed1));
        break;
    }
    block.replace_with(index, Value::imm(inst.type, 0));
    return true;
}

void fold_constants(Block& block)
{
    for (u32 i = 0; i < block.insts.size(); ++i) {
        Inst& inst = block.insts[i];
        if (inst.is_removed() || inst.has(attr::SideEffect) || inst.has(attr::Pseudo))
            continue;
        if (fold_zeroing_idiom(block, i))
            continue;
        if (inst.has(attr::SetsFlags) || inst.has(attr::HasSecond)) {
            if (has_pseudo_user(block, i))
                continue;
        }
        Value a[4];
        u64 bits[4] = {};
        Type types[4] = {};
        bool all_imm = true;
        for (unsigned k = 0; k < 4; ++k) {
            a[k] = block.resolve(inst.args[k]);
            types[k] = a[k].type();
            if (a[k].is_imm())
                bits[k] = a[k].imm_value();
            else if (!a[k].is_none())
                all_imm = false;
        }
        if (all_imm && inst.arg_count() > 0) {
            u64 r;
            if (evaluate(inst.op, inst.type, bits, types, r)) {
                block.replace_with(i, Value::imm(inst.type, r));
                continue;
            }
        }
        Value s = simplify(block, inst, a);
        if (!s.is_none() && s.type() == inst.type)
            block.replace_with(i, s);
        else
            narrow_truncated_operation(block, i);
    }

    Terminal& t = block.terminal;
    Value cond = block.resolve(t.value);
    if (t.kind == TerminalKind::Branch && cond.is_imm()) {
        t.target = cond.imm_value() ? t.target : t.target_false;
        t.kind = TerminalKind::Jump;
        t.value = Value();
    }
}

} // namespace keel::ir
