// Redundant guest-state load/store elimination.
//
// Forward: a LoadState of a slot whose value is known (an earlier load or store of the
// same offset and type, with no overlapping store or helper call in between) becomes that
// value; likewise LoadFlags after a full StoreFlags.
// Backward: a StoreState whose bytes are all overwritten later, before anything can read
// them, is removed. Anything that may fault or call out reads the whole state (a guest
// exception must see the exact state at the faulting instruction), so it ends both
// windows.
#include "dbt/ir/flags.h"
#include "dbt/ir/passes/passes.h"

namespace keel::ir {
namespace {

constexpr u32 tracked_bytes = 4096; // state offsets beyond this are never optimized

bool is_barrier(const Inst& inst)
{
    return inst.has(attr::MayFault) || inst.has(attr::Call);
}

struct KnownSlot {
    u32 offset;
    u32 size;
    Value value;
};

class KnownState {
public:
    void clear()
    {
        m_count = 0;
        m_flags = Value();
    }
    // The value known at exactly this offset (of any width), or none.
    Value find(u32 offset) const
    {
        for (u32 i = 0; i < m_count; ++i) {
            if (m_slots[i].offset == offset)
                return m_slots[i].value;
        }
        return {};
    }
    void forget_overlapping(u32 offset, u32 size)
    {
        for (u32 i = 0; i < m_count;) {
            const KnownSlot& s = m_slots[i];
            if (s.offset < offset + size && offset < s.offset + s.size)
                m_slots[i] = m_slots[--m_count];
            else
                ++i;
        }
    }
    void remember(u32 offset, Value value)
    {
        u32 size = byte_width(value.type());
        forget_overlapping(offset, size);
        if (m_count == capacity)
            m_slots[0] = m_slots[--m_count]; // drop the oldest-ish entry; correctness is unaffected
        m_slots[m_count++] = { offset, size, value };
    }
    Value flags() const { return m_flags; }
    void set_flags(Value v) { m_flags = v; }

private:
    static constexpr u32 capacity = 32;
    KnownSlot m_slots[capacity];
    u32 m_count = 0;
    Value m_flags;
};

void forward_loads(Block& block)
{
    KnownState known;
    for (u32 i = 0; i < block.insts.size(); ++i) {
        Inst& inst = block.insts[i];
        switch (inst.op) {
        case Opcode::LoadState: {
            u32 offset = static_cast<u32>(inst.args[0].imm_value());
            Value v = known.find(offset);
            if (!v.is_none() && v.type() == inst.type) {
                block.replace_with(i, v);
            } else if (!v.is_none() && bit_width(v.type()) > bit_width(inst.type)) {
                // A narrower read of a known wider value (x86: EAX after a write of RAX):
                // little-endian, so it is the value's low part. Through an extension of
                // a value of the wanted type, that value itself.
                Value narrow = v;
                if (v.is_inst()) {
                    const Inst& def = block.at(v);
                    Value source = block.resolve(def.args[0]);
                    if ((def.op == Opcode::ZeroExtend || def.op == Opcode::SignExtend) && source.type() == inst.type)
                        narrow = source;
                }
                if (narrow.type() == inst.type) {
                    block.replace_with(i, narrow);
                } else {
                    inst.op = Opcode::Truncate; // in place: no instruction is inserted
                    inst.args[0] = v;
                    inst.args[1] = Value();
                }
            } else {
                known.remember(offset, Value::of_inst(inst.type, i));
            }
            break;
        }
        case Opcode::StoreState:
            known.remember(static_cast<u32>(inst.args[0].imm_value()), block.resolve(inst.args[1]));
            break;
        case Opcode::LoadFlags:
            if (!known.flags().is_none())
                block.replace_with(i, known.flags());
            else
                known.set_flags(Value::of_inst(Type::Flags, i));
            break;
        case Opcode::StoreFlags:
            known.set_flags(inst.args[1].imm_value() == flag::All ? block.resolve(inst.args[0]) : Value());
            break;
        default:
            if (inst.has(attr::Call))
                known.clear(); // helpers may write any state
            break;
        }
    }
}

class ByteSet {
public:
    void clear()
    {
        for (u64& w : m_words)
            w = 0;
    }
    bool covers(u32 offset, u32 size) const
    {
        for (u32 b = offset; b < offset + size; ++b) {
            if (!(m_words[b / 64] & (1ull << (b % 64))))
                return false;
        }
        return true;
    }
    void set(u32 offset, u32 size, bool value)
    {
        for (u32 b = offset; b < offset + size; ++b) {
            if (value)
                m_words[b / 64] |= 1ull << (b % 64);
            else
                m_words[b / 64] &= ~(1ull << (b % 64));
        }
    }

private:
    u64 m_words[tracked_bytes / 64] = {};
};

void remove_dead_stores(Block& block)
{
    ByteSet overwritten; // bytes stored later in the block before anything observes them
    for (u32 n = block.insts.size(); n-- > 0;) {
        Inst& inst = block.insts[n];
        if (inst.op == Opcode::StoreState) {
            u32 offset = static_cast<u32>(inst.args[0].imm_value());
            u32 size = byte_width(block.resolve(inst.args[1]).type());
            if (offset + size > tracked_bytes)
                continue;
            if (overwritten.covers(offset, size))
                block.kill(n);
            else
                overwritten.set(offset, size, true);
        } else if (inst.op == Opcode::LoadState) {
            u32 offset = static_cast<u32>(inst.args[0].imm_value());
            u32 size = byte_width(inst.type);
            if (offset + size <= tracked_bytes)
                overwritten.set(offset, size, false);
        } else if (is_barrier(inst)) {
            overwritten.clear();
        }
    }
}

} // namespace

void eliminate_redundant_state_access(Block& block)
{
    forward_loads(block);
    remove_dead_stores(block);
}

} // namespace keel::ir
