#include "plugins/arch/x86/boot/long_mode_entry.h"
#include "plugins/arch/x86/boot/boot_state.h"
#include "dbt/plugin/arch_services.h"
#include "plugins/arch/x86/cpu_state.h"
#include "plugins/arch/x86/mode.h"

namespace keel::x86 {
namespace {

// Flat descriptors (Intel SDM vol. 3 §3.4.5): base 0, limit 4 GiB, present, DPL 0.
constexpr u64 code64_descriptor = 0x00AF9B000000FFFFull; // execute/read, accessed, L=1
constexpr u64 data_descriptor = 0x00CF93000000FFFFull;   // read/write, accessed, D/B=1

// Page-table entry bits (§4.5): present, writable, page size.
constexpr u64 P = 1, RW = 2, PS = 0x80;

} // namespace

void set_long_mode_control_registers(CpuContext& ctx, u64 pml4)
{
    CpuState& s = state(ctx);
    s.cr0 = cr0::PE | cr0::MP | cr0::ET | cr0::NE | cr0::WP | cr0::PG;
    s.cr3 = pml4;
    s.cr4 = cr4::PAE | cr4::OSFXSR | cr4::OSXMMEXCPT;
    s.efer = efer::LME | efer::LMA | efer::NXE;
}

Result<void> enter_long_mode(CpuContext& ctx, const LongModeEntry& layout)
{
    ArchServices& services = *ctx.services;
    // Tables in guest RAM, as the guest will find them.
    u16 limit = TRY(write_boot_gdt(services, layout.gdt, layout.code_selector, code64_descriptor, layout.data_selector, data_descriptor));
    u64 pml4 = layout.page_tables, pdpt = pml4 + 0x1000, pd = pml4 + 0x2000;
    u64 entry_value = pdpt | P | RW;
    TRY(services.write_physical_bytes(pml4, &entry_value, 8));
    for (u64 i = 0; i < 4; ++i) {
        entry_value = (pd + i * 0x1000) | P | RW;
        TRY(services.write_physical_bytes(pdpt + i * 8, &entry_value, 8));
        u64 directory[512];
        for (u64 j = 0; j < 512; ++j)
            directory[j] = (i * GiB + j * 2 * MiB) | P | RW | PS;
        TRY(services.write_physical_bytes(pd + i * 0x1000, directory, sizeof(directory)));
    }

    CpuState& s = state(ctx);
    for (u64& r : s.gpr)
        r = 0;
    s.gpr[RSP] = layout.rsp;
    s.gpr[RSI] = layout.rsi;
    set_long_mode_control_registers(ctx, pml4);
    s.gdtr = { layout.gdt, limit };
    s.idtr = { 0, 0 };
    load_flat_segments(s, layout.code_selector, code64_descriptor, layout.data_selector, data_descriptor);
    start_at(ctx, layout.entry);
    return {};
}

} // namespace keel::x86
