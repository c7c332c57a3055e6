#include "dbt/backend/x64/shared_page_check.h"

namespace keel::x64 {

namespace {
constexpr u32 max_roots = 16;

bool is_access(const ir::Inst& inst) { return inst.op == ir::Opcode::Load || inst.op == ir::Opcode::Store; }
} // namespace

bool plan_shared_page_checks(const ir::Block& block, Vector<u8>& roles, Vector<u32>& roots)
{
    u32 n = static_cast<u32>(block.insts.size());
    roles.clear();
    roles.resize(n);
    roots.clear();
    roots.resize(n);
    // The value each address derives from by adding or subtracting constants.
    struct Count {
        u32 root;
        u32 accesses;
    } counts[max_roots];
    u32 root_count = 0;
    for (u32 i = 0; i < n; ++i) {
        const ir::Inst& inst = block.insts[i];
        roots[i] = i;
        if (inst.is_removed())
            continue;
        if ((inst.op == ir::Opcode::Add || inst.op == ir::Opcode::Sub) && inst.type == ir::Type::U64 && inst.args[0].is_inst()
            && inst.args[1].is_imm())
            roots[i] = roots[inst.args[0].index()];
        if (!is_access(inst) || !inst.args[0].is_inst())
            continue;
        u32 root = roots[inst.args[0].index()];
        u32 k = 0;
        while (k < root_count && counts[k].root != root)
            ++k;
        if (k == root_count) {
            if (root_count == max_roots)
                continue;
            counts[root_count++] = Count { root, 0 };
        }
        ++counts[k].accesses;
    }
    // The base with the most accesses gets the registers.
    u32 best = 0;
    for (u32 k = 1; k < root_count; ++k) {
        if (counts[k].accesses > counts[best].accesses)
            best = k;
    }
    if (root_count == 0 || counts[best].accesses < 2)
        return false;
    u32 root = counts[best].root;
    enum { None, Read, Write } covered = None;
    bool any_follower = false;
    for (u32 i = 0; i < n; ++i) {
        const ir::Inst& inst = block.insts[i];
        if (inst.is_removed())
            continue;
        if (inst.has(ir::attr::Call)) {
            covered = None;
            continue;
        }
        if (!is_access(inst) || !inst.args[0].is_inst() || roots[inst.args[0].index()] != root)
            continue;
        bool write = inst.op == ir::Opcode::Store;
        if (covered == Write || (covered == Read && !write)) {
            roles[i] = static_cast<u8>(PageRole::Follower);
            any_follower = true;
        } else {
            roles[i] = static_cast<u8>(PageRole::Leader);
            covered = write ? Write : Read;
        }
    }
    if (!any_follower) {
        for (u32 i = 0; i < n; ++i)
            roles[i] = static_cast<u8>(PageRole::Own);
    }
    return any_follower;
}

} // namespace keel::x64
