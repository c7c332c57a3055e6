#include "dbt/mmu/physical_memory.h"
#include "dbt/base/string.h"
#include "dbt/runtime/tlb_entry.h"

namespace keel {

Result<void> PhysicalMemory::add(const MemoryRegion& region)
{
    if (region.size == 0 || region.base + region.size < region.base)
        return Error::formatted("memory region %s: bad range 0x%llx+0x%llx", region.name,
            (unsigned long long)region.base, (unsigned long long)region.size);
    usize at = 0;
    while (at < m_regions.size() && m_regions[at].base < region.base)
        ++at;
    if ((at > 0 && m_regions[at - 1].end() > region.base) || (at < m_regions.size() && region.end() > m_regions[at].base))
        return Error::formatted("memory region %s at 0x%llx overlaps %s", region.name,
            (unsigned long long)region.base, at > 0 && m_regions[at - 1].end() > region.base ? m_regions[at - 1].name : m_regions[at].name);
    m_regions.append(region);
    for (usize i = m_regions.size() - 1; i > at; --i) {
        MemoryRegion tmp = m_regions[i];
        m_regions[i] = m_regions[i - 1];
        m_regions[i - 1] = tmp;
    }
    m_last = nullptr;
    return {};
}

Result<void> PhysicalMemory::add_ram(u64 base, u64 size, u8* host, const char* name)
{
    return add({ base, size, RegionKind::Ram, host, nullptr, name });
}

Result<void> PhysicalMemory::add_rom(u64 base, u64 size, u8* host, const char* name)
{
    return add({ base, size, RegionKind::Rom, host, nullptr, name });
}

Result<void> PhysicalMemory::add_mmio(u64 base, u64 size, MmioHandler* handler, const char* name)
{
    return add({ base, size, RegionKind::Mmio, nullptr, handler, name });
}

Result<void> PhysicalMemory::move_mmio(MmioHandler* handler, u64 old_base, u64 new_base)
{
    auto named = [&](Vector<MemoryRegion>& list) -> MemoryRegion* {
        for (MemoryRegion& r : list) {
            if (r.kind == RegionKind::Mmio && r.mmio == handler && r.base == old_base)
                return &r;
        }
        return nullptr;
    };
    MemoryRegion* overlay = named(m_overlays);
    MemoryRegion* fixed = overlay ? nullptr : named(m_regions);
    if (!overlay && !fixed)
        return Error::formatted("no MMIO window at 0x%llx to move", (unsigned long long)old_base);
    MemoryRegion moved = overlay ? *overlay : *fixed;
    // Whole pages, so a TLB entry maps either the window or what lies under it, never both.
    if ((new_base | moved.size) & ~guest_page_mask || new_base + moved.size < new_base)
        return Error::formatted("memory region %s: cannot move to 0x%llx (page-aligned whole pages only)", moved.name,
            (unsigned long long)new_base);
    if (overlay) {
        overlay->base = new_base;
    } else {
        usize at = static_cast<usize>(fixed - m_regions.begin());
        for (usize i = at; i + 1 < m_regions.size(); ++i)
            m_regions[i] = m_regions[i + 1];
        m_regions.take_last();
        moved.base = new_base;
        m_overlays.append(moved);
    }
    m_last = nullptr;
    written(new_base, moved.size); // translated code the window now hides
    return {};
}

Result<void> PhysicalMemory::rebind(u64 base, RegionKind kind, u8* host)
{
    if (kind == RegionKind::Mmio || !host)
        return Error::formatted("memory at 0x%llx: only RAM or ROM with host memory can back a region", (unsigned long long)base);
    for (MemoryRegion& r : m_regions) {
        if (r.base != base)
            continue;
        if (r.kind == RegionKind::Mmio)
            return Error::formatted("memory region %s: an MMIO window cannot be rebound", r.name);
        if (r.kind == kind && r.host == host)
            return {};
        r.kind = kind;
        r.host = host;
        m_last = nullptr;
        written(base, r.size); // the bytes translated code came from may have changed
        return {};
    }
    return Error::formatted("no memory region starts at 0x%llx", (unsigned long long)base);
}

u64 PhysicalMemory::visible_end(const MemoryRegion* r, u64 address) const
{
    u64 end = r->end();
    for (const MemoryRegion& o : m_overlays) {
        if (&o != r && o.base > address && o.base < end)
            end = o.base;
    }
    return end;
}

const MemoryRegion* PhysicalMemory::find(u64 address) const
{
    for (const MemoryRegion& o : m_overlays) {
        if (o.contains(address))
            return &o;
    }
    if (m_last && m_last->contains(address))
        return m_last;
    usize lo = 0, hi = m_regions.size();
    while (lo < hi) {
        usize mid = (lo + hi) / 2;
        if (m_regions[mid].end() <= address)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < m_regions.size() && m_regions[lo].contains(address)) {
        m_last = &m_regions[lo];
        return m_last;
    }
    return nullptr;
}

u8* PhysicalMemory::host_pointer(u64 address, u64 length, bool for_write) const
{
    const MemoryRegion* r = find(address);
    if (!r || r->kind == RegionKind::Mmio || (for_write && r->kind == RegionKind::Rom))
        return nullptr;
    if (length > visible_end(r, address) - address)
        return nullptr;
    return r->host + (address - r->base);
}

void PhysicalMemory::written(u64 address, u64 length) const
{
    if (!m_code_pages || !length)
        return;
    u64 last = address + (length - 1);
    for (u64 page = address & guest_page_mask;; page += guest_page_size) {
        if (m_code_pages->page_has_code(page)) {
            u64 start = page > address ? page : address;
            u64 end = (last & guest_page_mask) == page ? last : page + (guest_page_size - 1);
            m_code_pages->code_written(start, end - start + 1);
        }
        if (page == (last & guest_page_mask))
            break;
    }
}

u64 PhysicalMemory::read(u64 address, unsigned size) const
{
    const MemoryRegion* r = find(address);
    if (r && size <= visible_end(r, address) - address) {
        if (r->kind == RegionKind::Mmio) {
            before_device_access();
            // `size` bytes, zero-extended, whatever the device left above them (generated
            // code relies on narrow loads arriving zero-extended).
            u64 value = r->mmio->mmio_read(address - r->base, size);
            return size >= 8 ? value : value & ((1ull << (8 * size)) - 1);
        }
        u64 v = 0;
        copy_memory(&v, r->host + (address - r->base), size);
        return v;
    }
    // Unassigned or straddling a region end: byte by byte, unassigned bytes read 0xFF.
    u64 v = 0;
    for (unsigned i = 0; i < size; ++i) {
        const MemoryRegion* b = find(address + i);
        u64 byte = 0xFF;
        if (b && b->kind == RegionKind::Mmio) {
            before_device_access();
            byte = b->mmio->mmio_read(address + i - b->base, 1) & 0xFF;
        } else if (b) {
            byte = b->host[address + i - b->base];
        }
        v |= byte << (8 * i);
    }
    return v;
}

void PhysicalMemory::write(u64 address, u64 value, unsigned size) const
{
    const MemoryRegion* r = find(address);
    if (r && size <= visible_end(r, address) - address) {
        if (r->kind == RegionKind::Mmio) {
            before_device_access();
            r->mmio->mmio_write(address - r->base, value, size);
        } else if (r->kind == RegionKind::Ram) {
            copy_memory(r->host + (address - r->base), &value, size);
            written(address, size);
        }
        return; // ROM: writes are ignored
    }
    for (unsigned i = 0; i < size; ++i) {
        const MemoryRegion* b = find(address + i);
        u8 byte = static_cast<u8>(value >> (8 * i));
        if (!b)
            continue;
        if (b->kind == RegionKind::Mmio) {
            before_device_access();
            b->mmio->mmio_write(address + i - b->base, byte, 1);
        } else if (b->kind == RegionKind::Ram) {
            b->host[address + i - b->base] = byte;
            written(address + i, 1);
        }
    }
}

Result<void> PhysicalMemory::write_bytes(u64 address, const void* data, u64 length) const
{
    const u8* src = static_cast<const u8*>(data);
    while (length) {
        const MemoryRegion* r = find(address);
        if (!r || r->kind == RegionKind::Mmio)
            return Error::formatted("guest-physical 0x%llx is not RAM or ROM", (unsigned long long)address);
        u64 chunk = visible_end(r, address) - address;
        if (chunk > length)
            chunk = length;
        copy_memory(r->host + (address - r->base), src, chunk);
        written(address, chunk);
        src += chunk;
        address += chunk;
        length -= chunk;
    }
    return {};
}

Result<void> PhysicalMemory::read_bytes(u64 address, void* data, u64 length) const
{
    u8* dst = static_cast<u8*>(data);
    while (length) {
        const MemoryRegion* r = find(address);
        if (!r || r->kind == RegionKind::Mmio)
            return Error::formatted("guest-physical 0x%llx is not RAM or ROM", (unsigned long long)address);
        u64 chunk = visible_end(r, address) - address;
        if (chunk > length)
            chunk = length;
        copy_memory(dst, r->host + (address - r->base), chunk);
        dst += chunk;
        address += chunk;
        length -= chunk;
    }
    return {};
}

} // namespace keel
