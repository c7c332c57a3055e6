#pragma once
// What the engine does for the architecture plugin (part of the plugin ABI, abi.h), as
// MachineServices is for devices: guest memory by virtual and by physical address, TLB
// maintenance, port I/O, time and mode changes. The plugin reaches it through
// CpuContext::services and never sees the engine's own types.
#include "dbt/base/result.h"
#include "dbt/plugin/cpu_context.h"
#include "dbt/plugin/io_handlers.h"
#include "dbt/plugin/page_translator.h" // Access

namespace keel {

class ArchServices {
public:
    // Guest-virtual accesses through the softMMU (the TLB, filled by the architecture's
    // own page walk) with `mmu_index` and access_flag bits (page_translator.h). size: 1, 2,
    // 4 or 8. On a guest fault they return false with the exception recorded by the
    // architecture. A write that invalidates the running block sets ctx.hot.smc_hit.
    virtual bool read_virtual(CpuContext& ctx, u64 vaddr, unsigned size, u32 mmu_index, u64& value, u32 flags) = 0;
    virtual bool write_virtual(CpuContext& ctx, u64 vaddr, u64 value, unsigned size, u32 mmu_index, u32 flags) = 0;
    // Translates a code address (execute access); false on a fault (recorded).
    virtual bool translate_code(CpuContext& ctx, u64 vaddr, u32 mmu_index, u64& physical) = 0;
    // For bulk accesses (x86 REP MOVS/STOS): the host address of the `length` bytes at
    // `vaddr` when they lie in one page of RAM that `access` may use directly, translated
    // as an access of that kind would be (accessed and dirty bits included). Null when it
    // is not so simple (MMIO, ROM or translated code for writes, a page crossing): access
    // it piece by piece with read/write_virtual instead. Null with `faulted` set when the
    // translation raised a guest fault (recorded).
    virtual u8* host_span(CpuContext& ctx, u64 vaddr, u64 length, Access access, u32 mmu_index, u32 flags, bool& faulted) = 0;

    // Guest-physical accesses (page tables, boot structures): RAM, ROM and MMIO as the bus
    // routes them; unassigned addresses read all ones and drop writes. Writes are seen by
    // the code-page tracking, so translated code they overwrite is invalidated.
    virtual u64 read_physical(u64 address, unsigned size) = 0;
    virtual void write_physical(u64 address, u64 value, unsigned size) = 0;
    // Fails when the range is not entirely RAM.
    virtual Result<void> write_physical_bytes(u64 address, const void* data, u64 length) = 0;
    // RAM in bytes, all of it; and how much of it is mapped from address 0 (with the
    // machine's legacy holes), the rest lying at 4 GiB (a PC's PCI hole, docs/machine.md).
    virtual u64 ram_size() const = 0;
    virtual u64 ram_below_4g() const = 0;

    // The TLB and the cached translations that depend on the mode and the mappings.
    virtual void flush_tlb() = 0;
    // The same, except translations the page walk called global (x86: MOV CR3 with
    // CR4.PGE, Intel SDM vol. 3 §4.10.4.1). Flushing them too would be allowed, only slower.
    virtual void flush_tlb_non_global() = 0;
    // Drops every cached translation of the page containing `vaddr`, whatever its size
    // (a 2 MiB or 1 GiB page containing the address goes too).
    virtual void flush_tlb_page(u64 vaddr) = 0;
    // ctx.hot.code_base changed: the engine's lookup cache, keyed by linear pc and mode,
    // must forget its blocks (they compute guest pcs from the old base). A change of
    // ctx.hot.mode alone needs no call: the lookup cache compares the mode.
    virtual void mode_changed() = 0;

    // Port I/O (x86 IN/OUT); unclaimed ports read all ones.
    virtual u32 port_read(u16 port, unsigned size) = 0;
    virtual void port_write(u16 port, u32 value, unsigned size) = 0;

    // The virtual clock devices run on, in ns; and whether it counts guest instructions
    // (-icount) rather than following the host's clock.
    virtual u64 clock_ns() = 0;
    virtual bool deterministic_time() const = 0;
    // Whether an external interrupt may be waiting for the CPU to accept it (a controller
    // has one, or a timer is due that may raise one): x86 STI returns to the dispatcher
    // only then. Always true with -icount, whose runs stay as they were.
    virtual bool interrupt_may_be_pending() = 0;

    // Model-specific registers that belong to a device rather than the CPU core (x86: the
    // local APIC's base and TSC-deadline registers). NotMine when no device claims `index`.
    virtual MsrAccess device_msr_read(u32 index, u64& value) = 0;
    virtual MsrAccess device_msr_write(u32 index, u64 value) = 0;

protected:
    ~ArchServices() = default;
};

} // namespace keel
