// The monitor's `info mem` and `info tlb` for x86-64, in QEMU's formats. info mem: every
// present mapping of the 4-level page tables, merged into ranges with the same permissions:
//   0000000000000000-0000000000200000 0000000000200000 -rw
// (u: user, r: always, w: writable; as QEMU, NX is not shown). info tlb: one line per leaf
// entry (a 4 KiB PTE, or a 2 MiB / 1 GiB page), its physical address and its own flags:
//   0000000000200000: 0000000000200000 --PDA---W
// (X: NX, G: global, P: large page, D: dirty, A: accessed, C: PCD, T: PWT, U: user,
// W: writable). Intel SDM vol. 3 §4.5, Table 4-15 to 4-20.
#include "plugins/arch/x86/cpu_state.h"
#include "plugins/arch/x86/x86_arch.h"

namespace keel::x86 {
namespace {

constexpr u64 present = 1, writable = 2, user = 4, pwt = 8, pcd = 0x10, accessed = 0x20, dirty = 0x40, large = 0x80,
              global = 0x100, no_execute = 1ull << 63;
constexpr u64 address_mask = 0x000F'FFFF'FFFF'F000ull;

struct RangePrinter {
    StringBuilder& out;
    u64 start = 0, end = 0, perms = 0;
    bool open = false;

    void add(u64 va, u64 size, u64 p)
    {
        if (open && va == end && p == perms) {
            end += size;
            return;
        }
        flush();
        start = va, end = va + size, perms = p, open = true;
    }
    void flush()
    {
        if (!open)
            return;
        out.append("%016llx-%016llx %016llx %c%c%c\n", (unsigned long long)start, (unsigned long long)end,
            (unsigned long long)(end - start), (perms & user) ? 'u' : '-', 'r', (perms & writable) ? 'w' : '-');
        open = false;
    }
};

u64 canonical(u64 va) { return (va & (1ull << 47)) ? (va | 0xFFFF'0000'0000'0000ull) : va; }

void print_entry(StringBuilder& out, u64 va, u64 entry, u64 size)
{
    u64 frame = entry & address_mask & ~(size - 1);
    out.append("%016llx: %016llx %c%c%c%c%c%c%c%c%c\n", (unsigned long long)va, (unsigned long long)frame,
        (entry & no_execute) ? 'X' : '-', (entry & global) ? 'G' : '-', size > 4096 ? 'P' : '-', (entry & dirty) ? 'D' : '-',
        (entry & accessed) ? 'A' : '-', (entry & pcd) ? 'C' : '-', (entry & pwt) ? 'T' : '-', (entry & user) ? 'U' : '-',
        (entry & writable) ? 'W' : '-');
}

// Visits every present leaf: `visit(va, entry, size, perms)`, perms being W and U as the
// whole walk grants them.
template<typename Visit>
void walk(ArchServices& memory, u64 table, int level, u64 va_base, u64 inherited, Visit& visit)
{
    for (u64 i = 0; i < 512; ++i) {
        u64 entry = memory.read_physical((table & address_mask) + i * 8, 8);
        if (!(entry & present))
            continue;
        u64 va = va_base | (i << (12 + 9 * level));
        u64 perms = inherited & (entry | ~(writable | user)); // W and U are ANDed down the walk
        if (level == 0 || (level <= 2 && (entry & large))) {
            visit(canonical(va), entry, 1ull << (12 + 9 * level), perms & (writable | user));
            continue;
        }
        walk(memory, entry, level - 1, va, perms, visit);
    }
}

} // namespace

void X86Arch::describe_mappings(const CpuContext& ctx, MappingView view, StringBuilder& out) const
{
    const CpuState& s = state(ctx);
    if (!(s.cr0 & (1ull << 31))) {
        out.append("PG disabled\n");
        return;
    }
    if (view == MappingView::Entries) {
        auto visit = [&](u64 va, u64 entry, u64 size, u64) { print_entry(out, va, entry, size); };
        walk(*ctx.services, s.cr3, 3, 0, writable | user, visit);
        return;
    }
    RangePrinter printer { out };
    auto visit = [&](u64 va, u64, u64 size, u64 perms) { printer.add(va, size, perms); };
    walk(*ctx.services, s.cr3, 3, 0, writable | user, visit);
    printer.flush();
}

} // namespace keel::x86
