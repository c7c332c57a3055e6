#include "dbt/engine/memory_tree.h"

namespace keel {
namespace {
const char* kind_name(RegionKind kind)
{
    switch (kind) {
    case RegionKind::Ram: return "ram";
    case RegionKind::Rom: return "rom";
    case RegionKind::Mmio: return "i/o";
    }
    return "?";
}
unsigned long long ull(u64 v) { return v; }
} // namespace

void describe_memory_tree(const PhysicalMemory& memory, const IoBus& io, StringBuilder& out)
{
    out.append("address-space: memory\n");
    out.append("  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n");
    for (const MemoryRegion& r : memory.regions())
        out.append("    %016llx-%016llx (prio 0, %s): %s\n", ull(r.base), ull(r.end() - 1), kind_name(r.kind), r.name);
    // Moved windows (IA32_APIC_BASE) hide what lies under them: a higher priority, as QEMU
    // prints its overlapping regions.
    for (const MemoryRegion& r : memory.moved_windows())
        out.append("    %016llx-%016llx (prio 1, %s): %s\n", ull(r.base), ull(r.end() - 1), kind_name(r.kind), r.name);
    out.append("\naddress-space: I/O\n");
    out.append("  0000000000000000-000000000000ffff (prio 0, i/o): io\n");
    // In address order, whatever order the devices were added in.
    Vector<const PortRange*> ports;
    for (const PortRange& r : io.ranges())
        ports.append(&r);
    for (usize i = 1; i < ports.size(); ++i) {
        for (usize j = i; j > 0 && ports[j - 1]->first > ports[j]->first; --j) {
            const PortRange* t = ports[j];
            ports[j] = ports[j - 1];
            ports[j - 1] = t;
        }
    }
    for (const PortRange* p : ports) {
        const PortRange& r = *p;
        out.append("    %016llx-%016llx (prio 0, i/o): %s\n", ull(r.first), ull(u64(r.first) + r.count - 1), r.name);
    }
}

} // namespace keel
