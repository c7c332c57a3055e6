// keel's UEFI entry point. While the firmware still owns the machine, keel reads what it
// needs from the ESP (keel.cfg, the guests, keel.sym), takes the memory map and leaves
// boot services; from then on the kernel owns the machine (kernel/main/enter_kernel.cpp).
#include "dbt/base/format.h"
#include "dbt/base/log.h"
#include "kernel/arch/cpu.h"
#include "kernel/boot/boot_info.h"
#include "machine/builtin_machines.h"
#include "kernel/boot/esp_files.h"
#include "kernel/console/serial.h"
#include "kernel/debug/panic.h"
#include "kernel/main/exit_codes.h"
#include "kernel/time/wall_clock.h"

namespace keel::kernel {
namespace {

// Static, not on the firmware's stack: it is large, and the kernel keeps using it after
// switching stacks. constinit: it is filled before the global constructors run (after
// ExitBootServices, once the heap exists), so it must not have one that would clear it.
constinit BootInfo g_boot_info;

constexpr const char* config_path = "keel.cfg";
constexpr const char* symbols_path = "keel.sym";

void log_to_serial(const char* text, usize length) { serial::write(text, length); }

[[noreturn]] void fail_boot(ExitCode code, const char* message)
{
    serial::print("keel: %s\n", message);
    exit_qemu(static_cast<u8>(code));
}

MemoryRegion::Kind classify(UINT32 type)
{
    switch (type) {
    case EfiConventionalMemory: return MemoryRegion::Kind::Usable;
    case EfiBootServicesCode:
    case EfiBootServicesData: return MemoryRegion::Kind::BootServices;
    case EfiLoaderCode:
    case EfiLoaderData: return MemoryRegion::Kind::Loader;
    case EfiRuntimeServicesCode:
    case EfiRuntimeServicesData: return MemoryRegion::Kind::Runtime;
    case EfiACPIReclaimMemory:
    case EfiACPIMemoryNVS: return MemoryRegion::Kind::Acpi;
    case EfiMemoryMappedIO:
    case EfiMemoryMappedIOPortSpace: return MemoryRegion::Kind::Mmio;
    default: return MemoryRegion::Kind::Reserved;
    }
}

// UEFI spec §7.4, ExitBootServices: the map key must be current, so fetch the map, and on
// EFI_INVALID_PARAMETER fetch it again (into the same buffer: no allocations in between)
// and retry.
void exit_boot_services(EFI_HANDLE image, EFI_BOOT_SERVICES* bs, BootInfo& info)
{
    UINTN map_size = 0, key = 0, descriptor_size = 0;
    UINT32 descriptor_version = 0;
    bs->GetMemoryMap(&map_size, nullptr, &key, &descriptor_size, &descriptor_version);
    UINTN capacity = map_size + 16 * descriptor_size; // room for the pool allocation's own entries
    void* buffer = nullptr;
    if (EFI_ERROR(bs->AllocatePool(EfiLoaderData, capacity, &buffer)))
        fail_boot(ExitCode::KernelPanic, "cannot allocate memory for the firmware's memory map");

    for (u32 attempt = 0;; ++attempt) {
        map_size = capacity;
        EFI_STATUS status = bs->GetMemoryMap(&map_size, static_cast<EFI_MEMORY_DESCRIPTOR*>(buffer), &key, &descriptor_size,
            &descriptor_version);
        if (EFI_ERROR(status))
            fail_boot(ExitCode::KernelPanic, "GetMemoryMap failed");
        status = bs->ExitBootServices(image, key);
        if (!EFI_ERROR(status))
            break;
        if (attempt == 3)
            fail_boot(ExitCode::KernelPanic, "ExitBootServices keeps failing");
    }

    // Boot services are gone: no more firmware calls, no serial output through them.
    info.region_count = 0;
    for (UINTN offset = 0; offset + descriptor_size <= map_size; offset += descriptor_size) {
        auto* d = reinterpret_cast<EFI_MEMORY_DESCRIPTOR*>(static_cast<u8*>(buffer) + offset);
        if (info.region_count == BootInfo::max_regions)
            break;
        info.regions[info.region_count++] = { d->PhysicalStart, d->NumberOfPages * 4096, classify(d->Type) };
    }
}

constinit char g_vendor[64] {};

} // namespace
} // namespace keel::kernel

using namespace keel;
using namespace keel::kernel;

extern "C" EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE* system_table)
{
    BootInfo& info = g_boot_info;
    info.boot_started_tsc = cpu::rdtsc();
    serial::initialize();
    log::set_sink(log_to_serial);
    set_panic_handler(panic_handler);

    // The firmware vendor is UCS-2; keep the ASCII part for the boot log.
    usize n = 0;
    for (CHAR16* p = system_table->FirmwareVendor; p && *p && n + 1 < sizeof(g_vendor); ++p)
        g_vendor[n++] = *p < 0x80 ? static_cast<char>(*p) : '?';
    info.firmware_vendor = g_vendor;
    info.firmware_revision = system_table->FirmwareRevision;
    serial::print("keel: UEFI boot (firmware: %s, revision 0x%x)\n", info.firmware_vendor, info.firmware_revision);

    EFI_TIME now;
    if (!EFI_ERROR(system_table->RuntimeServices->GetTime(&now, nullptr)))
        wall_clock::set_boot_time(now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second, cpu::rdtsc());

    EFI_BOOT_SERVICES* bs = system_table->BootServices;
    bs->SetWatchdogTimer(0, 0, 0, nullptr); // the firmware would reset us after 5 minutes

    EFI_GUID loaded_image_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
    EFI_LOADED_IMAGE* loaded = nullptr;
    if (!EFI_ERROR(bs->HandleProtocol(image, &loaded_image_guid, reinterpret_cast<void**>(&loaded)))) {
        info.image_base = reinterpret_cast<u64>(loaded->ImageBase);
        info.image_size = loaded->ImageSize;
    }

    auto volume = EspVolume::open(image, bs);
    if (volume.is_error())
        fail_boot(ExitCode::GuestFileProblem, volume.error().message());

    LoadedFile config_file;
    volume.value().read(config_path, config_file);
    if (config_file.error[0]) {
        char message[256];
        format(message, sizeof(message), "%s: %s", config_path, config_file.error);
        fail_boot(ExitCode::GuestFileProblem, message);
    }
    auto parsed = parse_boot_config(reinterpret_cast<const char*>(config_file.data), config_file.size, config_path, info.config);
    if (parsed.is_error())
        fail_boot(ExitCode::GuestFileProblem, parsed.error().message());
    serial::print("keel: %s: %u guest%s, memory %llu MiB\n", config_path, info.config.guest_count,
        info.config.guest_count == 1 ? "" : "s", static_cast<unsigned long long>(info.config.memory / MiB));

    for (u32 i = 0; i < info.config.guest_count; ++i) {
        volume.value().read(info.config.guests[i], info.guests[i]);
        if (info.guests[i].error[0])
            serial::print("keel: loading %s: %s\n", info.config.guests[i], info.guests[i].error);
        else
            serial::print("keel: loaded %s (%llu bytes)\n", info.config.guests[i], static_cast<unsigned long long>(info.guests[i].size));
    }
    if (info.config.initrd[0]) {
        volume.value().read(info.config.initrd, info.initrd);
        if (info.initrd.error[0])
            serial::print("keel: loading %s: %s\n", info.config.initrd, info.initrd.error);
        else
            serial::print("keel: loaded %s (%llu bytes)\n", info.config.initrd, static_cast<unsigned long long>(info.initrd.size));
    }
    volume.value().read(symbols_path, info.symbols);
    if (!machine::find_builtin_machine(info.config.machine)) {
        volume.value().read(info.config.machine, info.machine);
        if (info.machine.error[0]) {
            char message[256];
            format(message, sizeof(message), "machine %s: %s", info.config.machine, info.machine.error);
            fail_boot(ExitCode::GuestFileProblem, message);
        }
        serial::print("keel: machine %s (%llu bytes)\n", info.config.machine, static_cast<unsigned long long>(info.machine.size));
    }

    // Plugins: every *.so in the configured folder, loaded later in name order.
    volume.value().list(info.config.plugin_dir, ".so", [](void* context, const char* path) {
        auto& boot = *static_cast<BootInfo*>(context);
        if (boot.plugin_count < BootInfo::max_plugins)
            format(boot.plugin_names[boot.plugin_count++], BootConfig::max_path, "%s", path);
    }, &info);
    for (u32 i = 0; i < info.plugin_count; ++i) {
        volume.value().read(info.plugin_names[i], info.plugins[i]);
        if (info.plugins[i].error[0])
            serial::print("keel: loading %s: %s\n", info.plugin_names[i], info.plugins[i].error);
    }

    exit_boot_services(image, bs, info);
    enter_kernel(info);
}
