#include "dbt/backend/x64/shared_page_check.h"
#include "dbt/plugin/page_translator.h"

namespace keel::x64 {

namespace {
constexpr u32 max_roots = 16;

// Loads, stores, and the HostPointers of host instructions' memory operands (SSE).
bool is_access(const ir::Inst& inst)
{
    return inst.op == ir::Opcode::Load || inst.op == ir::Opcode::Store || inst.op == ir::Opcode::HostPointer;
}
bool is_write(const ir::Inst& inst)
{
    return inst.op == ir::Opcode::Store || (inst.op == ir::Opcode::HostPointer && ir::host_pointer_writes(inst.args[2].imm_value()));
}
bool near(u64 displacement) { return displacement < guest_page_size || -displacement <= guest_page_size; }

// The largest value `v` can have, from its constant, its zero extension or a constant
// shift of one: what bounds a table index. ~0 when unknown.
u64 max_value(const ir::Block& block, ir::Value v, int depth = 0)
{
    if (v.is_imm())
        return v.imm_value();
    if (!v.is_inst() || depth > 4)
        return ~0ull;
    const ir::Inst& def = block.insts[v.index()];
    switch (def.op) {
    case ir::Opcode::ZeroExtend: {
        u64 source = max_value(block, def.args[0], depth + 1);
        u64 mask = ir::type_mask(def.args[0].type());
        return source < mask ? source : mask;
    }
    case ir::Opcode::And: {
        u64 a = max_value(block, def.args[0], depth + 1), b = max_value(block, def.args[1], depth + 1);
        return a < b ? a : b;
    }
    case ir::Opcode::Shl: {
        u64 source = max_value(block, def.args[0], depth + 1);
        if (!def.args[1].is_imm() || !def.args[2].is_none() || def.args[1].imm_value() > 12 || source >= (1ull << 20))
            return ~0ull;
        return source << def.args[1].imm_value();
    }
    default: return ~0ull;
    }
}

// The register a root derives from through a far constant (a global array indexed by a
// register), or the root itself.
u32 register_behind(const ir::Block& block, u32 root, const Vector<u32>& roots)
{
    const ir::Inst& base = block.insts[root];
    if ((base.op == ir::Opcode::Add || base.op == ir::Opcode::Sub) && base.args[0].is_inst() && base.args[1].is_imm())
        return roots[base.args[0].index()];
    return root;
}

// How the page of the accesses through a base behaves from one iteration of a loop to the
// next. It stays for a guest register the block reads and never writes (a structure's or
// a table's address) and mostly stays for one the block moves by less than a page (a
// stream); anything else (a pointer chase) changes it.
enum class Across : u8 { Changes, Streams, Stays };

// `step`: the most the register moves per iteration (0 when it stays).
Across page_across_iterations(const ir::Block& block, u32 root, u64& step)
{
    step = 0;
    const ir::Inst& def = block.insts[root];
    if (def.op != ir::Opcode::LoadState || def.type != ir::Type::U64)
        return Across::Changes;
    u64 slot = def.args[0].imm_value();
    Across across = Across::Stays;
    for (const ir::Inst& inst : block.insts) {
        if (inst.is_removed() || inst.op != ir::Opcode::StoreState || (inst.args[0].imm_value() & ~7ull) != (slot & ~7ull))
            continue;
        // Only slot = slot + small constant (the LoadState's own value).
        ir::Value stored = block.resolve(inst.args[1]);
        if (!stored.is_inst() || inst.args[0].imm_value() != slot)
            return Across::Changes;
        const ir::Inst& update = block.insts[stored.index()];
        u64 by = 0;
        if ((update.op == ir::Opcode::Add || update.op == ir::Opcode::Sub) && update.args[1].is_imm())
            by = update.args[1].imm_value();
        else if (update.op == ir::Opcode::Inc || update.op == ir::Opcode::Dec) // x86 INC/DEC keep CF: opcodes of their own
            by = 1;
        if (by == 0 || by >= guest_page_size || block.resolve(update.args[0]) != ir::Value::of_inst(def.type, root))
            return Across::Changes;
        step = by > step ? by : step;
        across = Across::Streams;
    }
    return across;
}

Across combine(Across a, Across b)
{
    if (a == Across::Changes || b == Across::Changes)
        return Across::Changes;
    return a == Across::Streams || b == Across::Streams ? Across::Streams : Across::Stays;
}

// The same for an address computed from guest registers, with `stride` the most it moves
// per iteration: an array's base plus an index (scaled by up to 8) that the loop steps
// (`a[i]`, i += 1) streams; plus an index it never writes, stays.
Across across_of_value(const ir::Block& block, ir::Value v, u64& stride, int depth = 0)
{
    stride = 0;
    v = block.resolve(v);
    if (v.is_imm())
        return Across::Stays;
    if (!v.is_inst() || depth > 3)
        return Across::Changes;
    const ir::Inst& def = block.insts[v.index()];
    switch (def.op) {
    case ir::Opcode::LoadState: return page_across_iterations(block, v.index(), stride);
    case ir::Opcode::Add: {
        if (def.type != ir::Type::U64)
            return Across::Changes;
        u64 a = 0, b = 0;
        Across across = combine(across_of_value(block, def.args[0], a, depth + 1), across_of_value(block, def.args[1], b, depth + 1));
        stride = a + b;
        return across;
    }
    case ir::Opcode::Shl: {
        if (def.type != ir::Type::U64 || !def.args[1].is_imm() || !def.args[2].is_none() || def.args[1].imm_value() > 3)
            return Across::Changes;
        Across across = across_of_value(block, def.args[0], stride, depth + 1);
        stride <<= def.args[1].imm_value();
        return across;
    }
    default: return Across::Changes;
    }
}

// How the page of the accesses through `root` behaves across iterations: a stream moving a
// page or more per iteration changes it every time.
Across across_of_root(const ir::Block& block, u32 root)
{
    u64 stride = 0;
    Across across = across_of_value(block, ir::Value::of_inst(ir::Type::U64, root), stride);
    return across == Across::Streams && stride >= guest_page_size ? Across::Changes : across;
}

// Gives the accesses through `root` their roles on shared_pairs[pair]; `loop`: its page
// carries across the back edge (the first leader is a loop leader). Returns whether the
// pair is used at all: by a loop leader, or by a follower (else the roles go back to Own).
template<typename RootOf>
bool assign_roles(const ir::Block& block, u32 root, u32 pair, bool loop, Vector<u8>& roles, RootOf& root_of)
{
    u32 n = static_cast<u32>(block.insts.size());
    // A loop that writes through the base: its loop leader checks for writing even when it
    // reads, and every other access follows (from the second iteration on, the write
    // permission is already in V).
    bool loop_writes = false;
    for (u32 i = 0; i < n && loop; ++i) {
        const ir::Inst& inst = block.insts[i];
        loop_writes |= !inst.is_removed() && is_write(inst) && root_of(inst) == root;
    }
    enum { None, Read, Write } covered = None;
    bool any_follower = false, first_leader = true;
    for (u32 i = 0; i < n; ++i) {
        const ir::Inst& inst = block.insts[i];
        if (inst.is_removed())
            continue;
        if (inst.has(ir::attr::Call)) {
            covered = None;
            continue;
        }
        if (!is_access(inst) || root_of(inst) != root)
            continue;
        bool write = is_write(inst);
        if (covered == Write || (covered == Read && !write)) {
            roles[i] = page_role_entry(PageRole::Follower, pair);
            any_follower = true;
        } else {
            bool loop_leader = loop && first_leader;
            // A read leader asks for the write permission when a write through the base
            // follows before the next call: that write then follows instead of leading.
            bool write_follows = false;
            for (u32 j = i + 1; j < n && !write && !loop_leader && !write_follows; ++j) {
                const ir::Inst& later = block.insts[j];
                if (later.is_removed())
                    continue;
                if (later.has(ir::attr::Call))
                    break;
                write_follows = is_access(later) && is_write(later) && root_of(later) == root;
            }
            PageRole role = loop_leader ? (loop_writes ? PageRole::LoopWriteLeader : PageRole::LoopLeader)
                : write_follows         ? PageRole::WriteLeader
                                        : PageRole::Leader;
            roles[i] = page_role_entry(role, pair);
            covered = write || write_follows || (loop_leader && loop_writes) ? Write : Read;
            first_leader = false;
        }
    }
    if (loop || any_follower)
        return true; // a loop's first leader carries V and T across the back edge
    for (u32 i = 0; i < n; ++i) {
        if (page_role(roles[i]) != PageRole::Own && page_pair_index(roles[i]) == pair)
            roles[i] = page_role_entry(PageRole::Own, 0);
    }
    return false;
}
} // namespace

SharedPagePlan plan_shared_page_checks(const ir::Block& block, bool loop, Vector<u8>& roles, Vector<u32>& roots)
{
    u32 n = static_cast<u32>(block.insts.size());
    for (u32 i = 0; i < n && loop; ++i) {
        if (!block.insts[i].is_removed() && block.insts[i].has(ir::attr::Call))
            loop = false; // a call may change translations: V cannot cross the back edge
    }
    roles.clear();
    roles.resize(n);
    roots.clear();
    roots.resize(n);
    // The value each address derives from by adding or subtracting constants (and, in a
    // loop, a bounded index: a byte-indexed table).
    struct Count {
        u32 root;
        u32 accesses;
        Across across;
    } counts[max_roots];
    u32 root_count = 0;
    // Constant addresses (x86 RIP-relative globals, SSE constants) group by their page,
    // known now: root n + k for the k-th page seen.
    u64 constant_pages[max_roots];
    u32 constant_count = 0;
    constexpr u32 no_root = ~0u;
    auto root_of = [&](const ir::Inst& inst) -> u32 {
        ir::Value a = inst.args[0];
        if (a.is_inst())
            return roots[a.index()];
        if (!a.is_imm())
            return no_root;
        u64 page = a.imm_value() & guest_page_mask;
        for (u32 k = 0; k < constant_count; ++k) {
            if (constant_pages[k] == page)
                return n + k;
        }
        if (constant_count == max_roots)
            return no_root;
        constant_pages[constant_count] = page;
        return n + constant_count++;
    };
    for (u32 i = 0; i < n; ++i) {
        const ir::Inst& inst = block.insts[i];
        roots[i] = i;
        if (inst.is_removed())
            continue;
        // A displacement of a page or more (two arrays indexed by one register) starts a
        // root of its own: its accesses land in other pages than the base's.
        if ((inst.op == ir::Opcode::Add || inst.op == ir::Opcode::Sub) && inst.type == ir::Type::U64 && inst.args[0].is_inst()
            && inst.args[1].is_imm() && near(inst.args[1].imm_value()))
            roots[i] = roots[inst.args[0].index()];
        if (loop && inst.op == ir::Opcode::Add && inst.type == ir::Type::U64 && inst.args[0].is_inst() && inst.args[1].is_inst()
            && max_value(block, inst.args[1]) < guest_page_size)
            roots[i] = roots[inst.args[0].index()];
        if (!is_access(inst))
            continue;
        u32 root = root_of(inst);
        if (root == no_root)
            continue;
        u32 k = 0;
        while (k < root_count && counts[k].root != root)
            ++k;
        if (k == root_count) {
            if (root_count == max_roots)
                continue;
            counts[root_count++] = Count { root, 0, Across::Changes };
        }
        ++counts[k].accesses;
    }
    // The bases whose sharing saves the most full checks per run of the block get the
    // pairs, best first: a base whose page carries across a loop's iterations saves all of
    // its accesses' checks, another all but its leader's. Between equals, a loop-invariant one.
    SharedPagePlan plan;
    bool taken[max_roots] = {};
    if (loop) {
        for (u32 k = 0; k < root_count; ++k)
            counts[k].across = counts[k].root >= n ? Across::Stays // a constant page
                                                   : across_of_root(block, register_behind(block, counts[k].root, roots));
    }
    for (u32 pair = 0; pair < shared_pair_count; ++pair) {
        u32 best = 0, best_saved = 0;
        bool best_carries = false;
        for (u32 k = 0; k < root_count; ++k) {
            if (taken[k])
                continue;
            bool carries = counts[k].across != Across::Changes;
            u32 saved = carries ? counts[k].accesses : counts[k].accesses - 1;
            bool better = saved > best_saved
                || (saved == best_saved && saved > 0 && carries
                    && (!best_carries || (counts[best].across != Across::Stays && counts[k].across == Across::Stays)));
            if (better) {
                best = k;
                best_saved = saved;
                best_carries = carries;
            }
        }
        if (best_saved == 0 || (pair > 0 && !loop && best_saved < 2))
            break; // a second pair's two registers: not for a single follower outside a loop
        taken[best] = true;
        if (assign_roles(block, counts[best].root, pair, best_carries, roles, root_of)) {
            plan.pairs |= static_cast<u8>(1u << pair);
            if (best_carries)
                plan.loop_pairs |= static_cast<u8>(1u << pair);
        }
    }
    return plan;
}

} // namespace keel::x64
