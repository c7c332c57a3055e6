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


// The lowest state offset a host instruction touches, or the slot a HostPointer's cold
// path copies guest bytes into (0 for any other instruction, or when it may touch any).
u32 state_floor(const Inst& inst)
{
    if (inst.op == Opcode::HostInsn)
        return host_insn_state_floor(inst.args[0].imm_value());
    if (inst.op == Opcode::HostPointer)
        return host_pointer_temp(inst.args[2].imm_value());
    return 0;
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
    // Everything at `floor` and above (a host instruction's state, ir::host_insn_state_floor).
    void forget_from(u32 floor)
    {
        for (u32 i = 0; i < m_count;) {
            if (m_slots[i].offset + m_slots[i].size > floor)
                m_slots[i] = m_slots[--m_count];
            else
                ++i;
        }
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
            if (u32 floor = state_floor(inst))
                known.forget_from(floor); // a host instruction that leaves the state below alone
            else if (observes_all_state(inst))
                known.clear(); // helpers and host instructions may write any state
            break;
        }
    }
}

// Dead and fault-only stores, walking backwards. For each state byte, the store that
// next overwrites it with nothing reading it in between (or none). A store all of whose
// bytes are overwritten by the same later store is dead if no may-fault instruction lies
// in between; if some do, its value matters only when one of them faults, so it becomes a
// FaultStore of each of them (performed in their cold paths) and leaves the hot path.
constexpr u32 deferrable_bytes = 256; // GPRs, RFLAGS, segment bases: where stores are frequent
constexpr u16 no_store = 0xFFFF;

// A deferred store is copied into every fault point's cold path up to its overwrite:
// beyond a few copies, keeping it on the hot path is the better trade.
constexpr u32 max_fault_points_per_store = 3;

bool fault_stores_fit(const Block& block, const Vector<u32>& faults, u32 from, u32 to)
{
    u32 count = 0;
    for (u32 f : faults) {
        if (f > from && f < to) {
            if (block.fault_store_count(f) >= max_fault_stores_per_inst || ++count > max_fault_points_per_store)
                return false;
        }
    }
    return true;
}

void remove_dead_stores(Block& block)
{
    u16 overwriter[deferrable_bytes];
    for (u16& o : overwriter)
        o = no_store;
    Vector<u32> faults; // may-fault instructions seen so far (after the current one)
    for (u32 n = block.insts.size(); n-- > 0;) {
        Inst& inst = block.insts[n];
        if (inst.op == Opcode::StoreState) {
            u32 offset = static_cast<u32>(inst.args[0].imm_value());
            Value value = block.resolve(inst.args[1]);
            u32 size = byte_width(value.type());
            if (offset + size > deferrable_bytes) {
                continue; // not tracked: always kept
            }
            u16 w = overwriter[offset];
            bool same = w != no_store;
            for (u32 b = offset; b < offset + size && same; ++b)
                same = overwriter[b] == w;
            if (same && fault_stores_fit(block, faults, n, w)) {
                for (u32 f : faults) {
                    if (f > n && f < w)
                        block.fault_stores.append({ f, offset, value, false });
                }
                block.kill(n);
            }
            for (u32 b = offset; b < offset + size; ++b)
                overwriter[b] = static_cast<u16>(n);
        } else if (inst.op == Opcode::LoadState) {
            u32 offset = static_cast<u32>(inst.args[0].imm_value());
            for (u32 b = offset; b < offset + byte_width(inst.type) && b < deferrable_bytes; ++b)
                overwriter[b] = no_store;
        } else if (u32 floor = state_floor(inst)) {
            for (u32 b = floor; b < deferrable_bytes; ++b)
                overwriter[b] = no_store; // it may read the state from its floor on
            if (inst.has(attr::MayFault))
                faults.append(n); // a HostPointer faults like a Load
        } else if (observes_all_state(inst)) {
            for (u16& o : overwriter)
                o = no_store; // helpers and host instructions read any state
        } else if (inst.has(attr::MayFault)) {
            faults.append(n);
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
