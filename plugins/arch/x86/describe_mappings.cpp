// The monitor's `info mem` for x86-64: every present mapping of the 4-level page tables,
// merged into ranges with the same permissions, in QEMU's format:
//   0000000000000000-0000000000200000 0000000000200000 -rw
// (u: user, r: always, w: writable; as QEMU, NX is not shown). Intel SDM vol. 3 §4.5.
#include "dbt/engine/engine.h"
#include "plugins/arch/x86/cpu_state.h"
#include "plugins/arch/x86/x86_arch.h"

namespace keel::x86 {
namespace {

constexpr u64 present = 1, writable = 2, user = 4, large = 0x80;
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

void walk(const PhysicalMemory& memory, u64 table, int level, u64 va_base, u64 inherited, RangePrinter& printer)
{
    for (u64 i = 0; i < 512; ++i) {
        u64 entry = memory.read((table & address_mask) + i * 8, 8);
        if (!(entry & present))
            continue;
        u64 va = va_base | (i << (12 + 9 * level));
        u64 perms = inherited & (entry | ~(writable | user)); // W and U are ANDed down the walk
        if (level == 0 || (level <= 2 && (entry & large))) {
            printer.add(canonical(va), 1ull << (12 + 9 * level), perms & (writable | user));
            continue;
        }
        walk(memory, entry, level - 1, va, perms, printer);
    }
}

} // namespace

void X86Arch::describe_mappings(const CpuContext& ctx, StringBuilder& out) const
{
    const CpuState& s = state(ctx);
    if (!(s.cr0 & (1ull << 31))) {
        out.append("PG disabled\n");
        return;
    }
    RangePrinter printer { out };
    walk(ctx.engine->memory(), s.cr3, 3, 0, writable | user, printer);
    printer.flush();
}

} // namespace keel::x86
