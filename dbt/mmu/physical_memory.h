#pragma once
// The guest-physical address space: RAM and ROM backed by host memory, MMIO dispatched to
// device callbacks. Addresses no region claims are unassigned: reads return all ones and
// writes are dropped (as on a PC bus, and as QEMU does).
#include "dbt/base/result.h"
#include "dbt/base/vector.h"
#include "dbt/plugin/io_handlers.h"
#include "dbt/runtime/code_pages.h"

namespace keel {

enum class RegionKind : u8 { Ram, Rom, Mmio };

struct MemoryRegion {
    u64 base;
    u64 size;
    RegionKind kind;
    u8* host;             // RAM/ROM backing
    MmioHandler* mmio;    // MMIO handler
    const char* name;
    u64 end() const { return base + size; }
    bool contains(u64 address) const { return address >= base && address - base < size; }
};

class PhysicalMemory {
public:
    Result<void> add_ram(u64 base, u64 size, u8* host, const char* name);
    Result<void> add_rom(u64 base, u64 size, u8* host, const char* name);
    Result<void> add_mmio(u64 base, u64 size, MmioHandler* handler, const char* name);
    // Moves the MMIO window of `handler` at `old_base` to `new_base` (page-aligned, whole
    // pages). A moved window lies over whatever is at its new place (RAM, ROM, another
    // device's window) and hides it, as the local APIC's window does when software relocates
    // it through IA32_APIC_BASE (SDM vol. 3A §10.4.5); what it hid shows again when it moves
    // on. Code translated from the pages it now hides is invalidated; the caller flushes the
    // TLBs that may map them.
    Result<void> move_mmio(MmioHandler* handler, u64 old_base, u64 new_base);
    // Changes what backs the RAM or ROM region that starts at `base`: its kind (RAM or ROM)
    // and its host memory, as a chipset's shadow-RAM control (the i440FX's PAM registers)
    // switches a BIOS segment between the flash and DRAM. Code translated from the region
    // is invalidated; the caller flushes the TLBs.
    Result<void> rebind(u64 base, RegionKind kind, u8* host);

    const MemoryRegion* find(u64 address) const;
    const Vector<MemoryRegion>& regions() const { return m_regions; }
    // The windows move_mmio moved, which lie over regions().
    const Vector<MemoryRegion>& moved_windows() const { return m_overlays; }

    // Host pointer for `length` bytes of RAM (or ROM when !for_write) at `address`, or null
    // when the range is not entirely inside one such region.
    u8* host_pointer(u64 address, u64 length, bool for_write) const;

    // Generic accesses, for slow paths and devices (1, 2, 4 or 8 bytes, little-endian).
    u64 read(u64 address, unsigned size) const;
    void write(u64 address, u64 value, unsigned size) const;
    // Byte-range copies into and out of guest-physical memory (loaders, DMA-like users).
    Result<void> write_bytes(u64 address, const void* data, u64 length) const;
    Result<void> read_bytes(u64 address, void* data, u64 length) const;

    // Every write above that lands in RAM or ROM is reported to `tracker`, so translated
    // code it overwrites is invalidated whoever wrote (a page walk's accessed/dirty bits,
    // a loader, a device). The MMU's direct stores have their own check (tlb::not_dirty).
    void set_code_pages(CodePageTracker* tracker) { m_code_pages = tracker; }
    // Runs before every MMIO handler call: the engine brings the virtual clock up to the
    // host's time there, so a device reads the same time as the guest's TSC.
    void set_before_device_access(void (*hook)(void* context), void* context)
    {
        m_before_device_access = hook;
        m_before_device_context = context;
    }

private:
    Result<void> add(const MemoryRegion& region);
    void written(u64 address, u64 length) const;
    // Where `r` (found for `address`) stops being what `address` reaches: its end, or the
    // start of a moved window lying over it.
    u64 visible_end(const MemoryRegion* r, u64 address) const;
    Vector<MemoryRegion> m_regions;  // sorted by base, never overlapping
    Vector<MemoryRegion> m_overlays; // moved MMIO windows, over m_regions (move_mmio)
    mutable const MemoryRegion* m_last = nullptr;
    CodePageTracker* m_code_pages = nullptr;
    void (*m_before_device_access)(void*) = nullptr;
    void* m_before_device_context = nullptr;
    void before_device_access() const
    {
        if (m_before_device_access)
            m_before_device_access(m_before_device_context);
    }
};

} // namespace keel
