#include "kernel/main/kernel_main.h"
#include "dbt/base/log.h"
#include "kernel/arch/cpu.h"
#include "kernel/console/serial.h"
#include "kernel/debug/symbols.h"
#include "kernel/main/exit_codes.h"
#include "kernel/main/guest_runner.h"
#include "kernel/host/kernel_host_services.h"
#include "kernel/mm/demand_paging.h"
#include "kernel/plugins/kernel_plugins.h"
#include "kernel/mm/frame_allocator.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/page_tables.h"
#include "kernel/time/clock.h"

namespace keel::kernel {
namespace {

constexpr u32 tick_hz = 1000;

TypeRegistry g_types;
KernelHostServices g_plugin_services;
constexpr u8 tick_vector = 0x20;

unsigned long long ull(u64 v) { return v; }

// Memory the firmware used for boot services is free once keel runs on its own stack and
// page tables (UEFI spec §7.2: boot-services memory is available after ExitBootServices).
u64 reclaim_boot_services_memory(const BootInfo& info)
{
    u64 before = frames::total_bytes();
    for (u32 i = 0; i < info.region_count; ++i) {
        if (info.regions[i].kind == MemoryRegion::Kind::BootServices)
            frames::add_range(info.regions[i].base, info.regions[i].size);
    }
    return frames::total_bytes() - before;
}

void print_layout(const BootInfo& info, u64 reclaimed)
{
    u64 ram = 0;
    for (u32 i = 0; i < info.region_count; ++i) {
        if (info.regions[i].kind != MemoryRegion::Kind::Mmio && info.regions[i].kind != MemoryRegion::Kind::Reserved)
            ram += info.regions[i].size;
    }
    serial::print("keel: firmware memory map: %u regions, %llu MiB of RAM, %llu MiB free for keel (%llu MiB reclaimed "
                  "from boot services)\n",
        info.region_count, ull(ram / MiB), ull(frames::total_bytes() / MiB), ull(reclaimed / MiB));
    serial::print("keel: kernel image      0x%llx-0x%llx (%llu KiB, identity-mapped)\n", ull(info.image_base),
        ull(info.image_base + info.image_size), ull(info.image_size / KiB));
    serial::print("keel: identity map      0x0-0x%llx (%s pages)\n", ull(paging::identity_end()),
        paging::has_1gib_pages() ? "1 GiB" : "2 MiB");
    serial::print("keel: stacks            0x%llx-0x%llx (guard-separated)\n", ull(layout::stacks_base),
        ull(layout::stack_slot_top(layout::StackSlot::ExternalInterrupt)));
    serial::print("keel: heap              0x%llx-0x%llx (%llu GiB, backed on demand)\n", ull(layout::heap_base),
        ull(layout::heap_base + layout::heap_size), ull(layout::heap_size / GiB));
    serial::print("keel: translation cache 0x%llx-0x%llx (%llu GiB, backed on demand)\n", ull(layout::translation_cache_base),
        ull(layout::translation_cache_base + layout::translation_cache_size), ull(layout::translation_cache_size / GiB));
    serial::print("keel: VM space          0x%llx-0x%llx (%llu TiB, guest RAM backed on demand)\n", ull(layout::vm_space_base),
        ull(layout::vm_space_base + layout::vm_space_size - 1), ull(layout::vm_space_size / TiB));
    serial::print("keel: TSC %llu MHz, LAPIC timer %llu kHz, host tick %u Hz\n", ull(clock::tsc_hz() / 1000000),
        ull(clock::lapic_timer_hz() / 1000), tick_hz);
}

// keel.cfg's crash_test: the faults the boot tests use to check the panic output.
[[gnu::noinline]] void crash_on_purpose(BootConfig::CrashTest test)
{
    serial::print("keel: crash_test: failing on purpose\n");
    if (test == BootConfig::CrashTest::PageFault) {
        // 64 TiB: above the identity map, below the stacks: nothing is mapped there.
        volatile u64* unmapped = reinterpret_cast<volatile u64*>(0x4000'0000'0000ull);
        *unmapped = 0x6b65656c;
    }
    VERIFY(test == BootConfig::CrashTest::None);
}

} // namespace

void kernel_main(BootInfo* boot_info)
{
    BootInfo& info = *boot_info;
    u64 reclaimed = reclaim_boot_services_memory(info);
    if (info.symbols.data)
        symbols::load(reinterpret_cast<const char*>(info.symbols.data), info.symbols.size);

    clock::calibrate();
    clock::start_tick(tick_hz, tick_vector);
    cpu::sti();
    print_layout(info, reclaimed);
    log::set_mask(info.config.log_mask);
    if (info.config.crash_test != BootConfig::CrashTest::None)
        crash_on_purpose(info.config.crash_test);

    // Plugins first: if one is refused, no VM starts (issue 4).
    if (!load_plugins(info, g_types, g_plugin_services)) {
        serial::print("keel: a plugin was refused: the VM does not start\n");
        exit_qemu(static_cast<u8>(ExitCode::PluginRefused));
    }

    // The guest CPU is a plugin too (plugins/arch/x86 builds x86_64.so).
    const ArchType* arch_type = g_types.find_arch("x86_64");
    if (!arch_type) {
        serial::print("keel: no plugin provides the x86_64 architecture (x86_64.so in the ESP's %s/ folder): the VM "
                      "does not start\n", info.config.plugin_dir);
        exit_qemu(static_cast<u8>(ExitCode::PluginRefused));
    }
    Arch* arch = arch_type->create();

    u64 boot_ms = (cpu::rdtsc() - info.boot_started_tsc) * 1000 / clock::tsc_hz();
    serial::print("keel: ready %llu ms after efi_main; running %u guest%s\n", ull(boot_ms), info.config.guest_count,
        info.config.guest_count == 1 ? "" : "s");

    u8 exit_value = 0;
    for (u32 i = 0; i < info.config.guest_count; ++i) {
        const char* name = info.config.guests[i];
        serial::print("keel: === guest %u/%u: %s (memory %llu MiB) ===\n", i + 1, info.config.guest_count, name,
            ull(info.config.memory / MiB));
        GuestOutcome outcome = run_guest(name, info.guests[i], info.config.guest_is_bios[i], info.config, info.machine, info.initrd, *arch, g_types);
        serial::print("keel: === guest %s ended: exit value 0x%x after %llu ms (%llu blocks, %llu guest instructions "
                      "translated) ===\n",
            name, outcome.exit_value, ull(outcome.host_ns / 1000000), ull(outcome.translations),
            ull(outcome.guest_instructions_translated));
        if (outcome.time_split[0]) // the guest ran
            serial::print("keel: guest %s run time %s\n", name, outcome.time_split);
        exit_value = outcome.exit_value;
    }

    cpu::cli();
    clock::stop_tick();
    Heap::Stats heap = heap::kernel_heap().stats();
    serial::print("keel: host ticks %llu, %llu of them in the translation cache; heap peak %llu KiB; %llu pages backed "
                  "on demand\n",
        ull(clock::ticks()), ull(clock::ticks_in_translation_cache()), ull(heap.peak_bytes_in_use / KiB),
        ull(demand_paging::pages_backed()));
    serial::print("keel: exiting with 0x%x\n", exit_value);
    exit_qemu(exit_value);
}

} // namespace keel::kernel
