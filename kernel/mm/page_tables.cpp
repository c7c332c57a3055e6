#include "kernel/mm/page_tables.h"
#include "kernel/arch/cpu.h"
#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/layout.h"

namespace keel::kernel::paging {
namespace {

u64 g_pml4 = 0;
u64 g_identity_end = 0;
u64 g_table_bytes = 0;
bool g_1gib = false;

u64* table(u64 physical) { return reinterpret_cast<u64*>(physical); } // identity-mapped

u64 new_table()
{
    u64 frame = frames::allocate_zeroed();
    if (frame)
        g_table_bytes += layout::page_size;
    return frame;
}

u32 index(u64 address, u32 level) { return (address >> (12 + 9 * level)) & 511; }

// The entry for `address` at `level` (0 = page table), creating intermediate tables when
// `create`. Null when absent (or blocked by a large page) and not created.
u64* walk(u64 address, u32 level, bool create)
{
    u64 current = g_pml4;
    for (u32 l = 3; l > level; --l) {
        u64& entry = table(current)[index(address, l)];
        if (!(entry & present)) {
            if (!create)
                return nullptr;
            u64 fresh = new_table();
            if (!fresh)
                return nullptr;
            // Intermediate entries allow everything; the leaf decides (SDM §4.6).
            entry = fresh | present | writable;
        } else if (entry & large_page) {
            return nullptr;
        }
        current = entry & address_mask;
    }
    return &table(current)[index(address, level)];
}

} // namespace

bool initialize(u64 identity_end)
{
    u32 a, b, c, d;
    cpu::cpuid(0x80000000, 0, a, b, c, d);
    if (a >= 0x80000001) {
        cpu::cpuid(0x80000001, 0, a, b, c, d);
        g_1gib = d & (1u << 26); // Page1GB
    }
    g_pml4 = new_table();
    if (!g_pml4)
        return false;
    u64 step = g_1gib ? GiB : 2 * MiB;
    identity_end = (identity_end + step - 1) & ~(step - 1);
    for (u64 address = 0; address < identity_end; address += step) {
        u64* entry = walk(address, g_1gib ? 2 : 1, true);
        if (!entry)
            return false;
        *entry = address | present | writable | large_page;
    }
    g_identity_end = identity_end;
    cpu::write_msr(cpu::msr_efer, cpu::read_msr(cpu::msr_efer) | cpu::efer_nxe);
    cpu::write_cr3(g_pml4);
    return true;
}

bool map_page(u64 virtual_address, u64 physical_address, u64 flags)
{
    u64* entry = walk(virtual_address, 0, true);
    if (!entry)
        return false;
    *entry = (physical_address & address_mask) | flags | present;
    return true;
}

u64 unmap_page(u64 virtual_address)
{
    u64* entry = walk(virtual_address, 0, false);
    if (!entry || !(*entry & present))
        return 0;
    u64 frame = *entry & address_mask;
    *entry = 0;
    cpu::invlpg(virtual_address);
    return frame;
}

bool protect_page(u64 virtual_address, u64 flags)
{
    u64* entry = walk(virtual_address, 0, false);
    if (!entry || !(*entry & present))
        return false;
    *entry = (*entry & address_mask) | flags | present;
    cpu::invlpg(virtual_address);
    return true;
}

u64 lookup_page(u64 virtual_address)
{
    u64* entry = walk(virtual_address, 0, false);
    if (!entry || !(*entry & present))
        return 0;
    return *entry & address_mask;
}

u64 identity_end() { return g_identity_end; }
u64 table_bytes() { return g_table_bytes; }
bool has_1gib_pages() { return g_1gib; }

} // namespace keel::kernel::paging
