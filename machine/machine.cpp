#include "machine/machine.h"
#include "machine/acpi/acpi_tables.h"
#include "machine/linux/linux_loader.h"
#include "machine/multiboot/multiboot_loader.h"
#include "dbt/plugin/device_options.h"
#include "dbt/base/log.h"
#include "dbt/base/string.h"
#include "dbt/engine/monitor.h"
#include "dbt/loader/elf_loader.h"
#include "machine/builtin_machines.h"

namespace keel::machine {
Result<Machine*> Machine::create(HostServices& host, const MachineConfig& config)
{
    if (!config.types)
        return Error::formatted("no device types to build the machine from");
    if (!config.arch)
        return Error::formatted("no guest architecture (the x86_64 plugin was not loaded)");
    const char* text = config.description;
    usize length = config.description_length;
    const char* name = config.description_name;
    if (!text) {
        const BuiltinMachine* pc = find_builtin_machine("pc");
        text = pc->text, length = string_length(pc->text), name = "pc.cfg";
    }
    MachineDescription description = TRY(parse_machine_description(text, length, name));
    if (!string_equal(description.arch, config.arch->name()))
        return Error::formatted("%s: the machine is for the %s architecture, the CPU keel has is %s", name,
            description.arch[0] ? description.arch : "(no arch line)", config.arch->name());

    auto* machine = new Machine(host, config);
    machine->m_description = static_cast<MachineDescription&&>(description);
    EngineConfig engine_config;
    engine_config.ram_size = config.ram_size;
    engine_config.icount_shift = config.icount_shift;
    engine_config.side_exits = config.side_exits;
    // The PC's legacy window: VGA memory and the BIOS area are not RAM.
    engine_config.ram_hole_start = 0xA0000;
    engine_config.ram_hole_end = 0x100000;
    // The PCI hole, as QEMU's pc machine lays it out: RAM below 4 GiB ends at 3.5 GiB, or
    // at 3 GiB (a whole gigabyte, for large pages) once there is 3.5 GiB or more; the rest
    // is mapped from 4 GiB. The IOAPIC, the LAPIC and PCI memory live in the hole.
    engine_config.ram_low_limit = config.ram_size >= pci_hole_start ? pci_hole_start_large : pci_hole_start;
    engine_config.ram_high_base = 4 * GiB;
    auto engine = Engine::create(host, *machine->m_arch, engine_config);
    if (engine.is_error()) {
        delete machine;
        return engine.release_error();
    }
    machine->m_engine = engine.release_value();
    for (const DeviceSpec& spec : machine->m_description.devices) {
        auto added = machine->add_device(spec);
        if (added.is_error()) {
            Error error = Error::formatted("%s:%u: %s", name, spec.line, added.error().message());
            delete machine;
            return error;
        }
    }
    if (config.firmware) {
        if (auto firmware = machine->install_firmware(); firmware.is_error()) {
            delete machine;
            return firmware.release_error();
        }
    } else if (auto acpi = machine->install_acpi_tables(); acpi.is_error()) {
        Error error = Error::formatted("%s: ACPI tables: %s", name, acpi.error().message());
        delete machine;
        return error;
    }
    return machine;
}

const DeviceSpec* Machine::find_spec_of_type(const char* type) const
{
    for (const DeviceSpec& spec : m_description.devices)
        if (string_equal(spec.type, type))
            return &spec;
    return nullptr;
}

Result<void> Machine::install_acpi_tables()
{
    // A machine gets ACPI when it has the hardware the FADT must describe (acpi_pm).
    const DeviceSpec* pm = find_spec_of_type("acpi_pm");
    if (!pm)
        return {};
    acpi::Platform platform;
    if (const DeviceSpec* lapic = find_spec_of_type("lapic"); lapic && !lapic->mmio.is_empty())
        platform.lapic_address = lapic->mmio[0].base;
    if (const DeviceSpec* ioapic = find_spec_of_type("ioapic"); ioapic && !ioapic->mmio.is_empty()) {
        platform.has_ioapic = true;
        platform.ioapic_address = static_cast<u32>(ioapic->mmio[0].base);
        platform.ioapic_id = static_cast<u8>(TRY(device_option_number(ioapic->name, ioapic->options, "id", 0, 0x0F)));
    }
    platform.has_8259 = find_spec_of_type("pic8259") != nullptr;
    if (const DeviceSpec* kbd = find_spec_of_type("i8042")) {
        platform.has_i8042 = true;
        // port=DATA+1 port=COMMAND+1, as the i8042 device takes them (i8042_type.cpp).
        if (kbd->ports.size() >= 2) {
            platform.i8042_data_port = kbd->ports[0].first;
            platform.i8042_command_port = kbd->ports[1].first;
        }
        for (const IrqSpec& wire : kbd->irqs) {
            const DeviceSpec* controller = m_description.find(wire.controller);
            if (controller && string_equal(controller->type, "pic8259") && wire.line < 16)
                platform.i8042_irq = static_cast<u8>(wire.line);
        }
    }
    platform.pm_base = pm->ports.is_empty() ? 0 : pm->ports[0].first;
    if (!pm->ports.is_empty() && pm->ports[0].count > acpi::pm_transition_offset)
        platform.transition_port = static_cast<u16>(platform.pm_base + acpi::pm_transition_offset);
    for (const DeviceSpec& spec : m_description.devices)
        for (const PortSpec& ports : spec.ports)
            if (string_equal(spec.type, "pci") && ports.first <= 0xCF9 && 0xCF9 < ports.first + ports.count)
                platform.reset_register = true;

    // The ISA interrupts as the description wires them: a device on 8259 line N and IOAPIC
    // pin M != N gets an override; the SCI is level-triggered, active high, whatever pin.
    for (const DeviceSpec& spec : m_description.devices) {
        i32 isa = -1, gsi = -1;
        for (const IrqSpec& wire : spec.irqs) {
            const DeviceSpec* controller = m_description.find(wire.controller);
            if (controller && string_equal(controller->type, "pic8259"))
                isa = static_cast<i32>(wire.line);
            else if (controller && string_equal(controller->type, "ioapic"))
                gsi = static_cast<i32>(wire.line);
        }
        bool sci = &spec == pm;
        if (sci && isa >= 0)
            platform.sci_irq = static_cast<u8>(isa);
        if (isa < 0 || gsi < 0 || (isa == gsi && !sci))
            continue;
        bool known = false;
        for (const acpi::InterruptOverride& o : platform.overrides)
            known |= o.isa_irq == isa;
        if (!known)
            platform.overrides.append({ static_cast<u8>(isa), static_cast<u32>(gsi), sci ? acpi::level_active_high : u16 { 0 } });
    }

    // The BIOS area, 0xE0000-0xFFFFF, as a ROM holding the tables (an OS scans it for the
    // RSDP on 16-byte boundaries; ACPI 6.5 §5.2.5.1).
    constexpr u64 bios_area = 0xE0000, bios_area_size = 0x20000;
    acpi::Image image = acpi::build(platform, bios_area);
    m_bios_area.resize(bios_area_size);
    fill_memory(m_bios_area.data(), 0, bios_area_size);
    copy_memory(m_bios_area.data(), image.bytes.data(), image.bytes.size());
    TRY(m_engine->memory().add_rom(bios_area, bios_area_size, m_bios_area.data(), "bios"));
    m_acpi_rsdp = image.rsdp_address;
    return {};
}

Result<void> Machine::install_firmware()
{
    // As the PC maps its BIOS flash (and QEMU -bios, which takes the same images): the whole
    // image ends at 4 GiB, where the reset vector 0xFFFFFFF0 lies in its last 16 bytes, and
    // its last 128 KiB (or all of a smaller image) are also seen below 1 MiB, ending at
    // 0xFFFFF, where real-mode code at F000:xxxx runs (Intel SDM vol. 3 §9.1.4).
    constexpr u64 granule = 64 * KiB, max_size = 16 * MiB, isa_window = 128 * KiB;
    u64 size = m_config.firmware_size;
    const char* name = m_config.firmware_name;
    if (size == 0 || size % granule != 0 || size > max_size)
        return Error::formatted("%s: a firmware image must be a whole number of 64 KiB blocks, at most 16 MiB (this one has %llu bytes)",
            name, static_cast<unsigned long long>(size));
    m_bios_area.resize(static_cast<usize>(size));
    copy_memory(m_bios_area.data(), m_config.firmware, static_cast<usize>(size));
    auto mapped = m_engine->memory().add_rom(4 * GiB - size, size, m_bios_area.data(), "bios");
    if (mapped.is_error())
        return Error::formatted("%s: cannot map it below 4 GiB: %s", name, mapped.error().message());
    // Below 1 MiB, 0xC0000-0xFFFFF is what the chipset's PAM registers make it, segment by
    // segment (82441FX §3.2.15; set_memory_shadow): at reset each reads the bus, where the
    // image's last 128 KiB answer from 0xE0000 (0xFF below, as nothing else is there), and
    // firmware copies itself into the DRAM behind ("shadows" it) and runs from there.
    u64 low = size < isa_window ? size : isa_window;
    m_bus_view.resize(static_cast<usize>(shadow_end - shadow_start));
    fill_memory(m_bus_view.data(), 0xFF, m_bus_view.size());
    copy_memory(m_bus_view.data() + (m_bus_view.size() - low), m_bios_area.data() + (size - low), static_cast<usize>(low));
    m_shadow_dram.resize(static_cast<usize>(shadow_end - shadow_start));
    fill_memory(m_shadow_dram.data(), 0, m_shadow_dram.size());
    for (u64 base = shadow_start; base < shadow_end; base += shadow_segment_size(base))
        TRY(m_engine->memory().add_rom(base, shadow_segment_size(base), m_bus_view.data() + (base - shadow_start), shadow_segment_name(base)));
    return {};
}

u64 Machine::shadow_segment_size(u64 base) { return base >= 0xF0000 ? 64 * KiB : 16 * KiB; }

const char* Machine::shadow_segment_name(u64 base)
{
    // PAM1-PAM6 cover 0xC0000-0xEFFFF in 16 KiB segments, PAM0's upper half 0xF0000-0xFFFFF.
    static const char* const names[] = { "bios-c0000", "bios-c4000", "bios-c8000", "bios-cc000", "bios-d0000", "bios-d4000",
        "bios-d8000", "bios-dc000", "bios-e0000", "bios-e4000", "bios-e8000", "bios-ec000", "bios-f0000" };
    return names[(base - shadow_start) / (16 * KiB) < 12 ? (base - shadow_start) / (16 * KiB) : 12];
}

void Machine::set_memory_shadow(u64 base, u64 size, bool read_dram, bool write_dram)
{
    // Only firmware's memory map has the segments; keel's own ACPI ROM stays as it is.
    if (!has_firmware() || base < shadow_start || base >= shadow_end || size != shadow_segment_size(base))
        return;
    // Reads decide the backing: DRAM (writable or not), or the bus. A write-only DRAM
    // segment (WE without RE, used by firmware to copy itself while running from the bus)
    // would need the two split; keel drops such writes instead, and says so.
    u8* dram = m_shadow_dram.data() + (base - shadow_start);
    u8* bus = m_bus_view.data() + (base - shadow_start);
    if (write_dram && !read_dram)
        ::keel::log::printf("keel: PAM: segment 0x%llx write-only to DRAM is not modelled; its writes are dropped\n",
            static_cast<unsigned long long>(base));
    auto rebound = m_engine->rebind_memory(base, read_dram && write_dram ? RegionKind::Ram : RegionKind::Rom, read_dram ? dram : bus);
    if (rebound.is_error())
        ::keel::log::printf("keel: PAM: %s\n", rebound.error().message());
}

Result<void> Machine::add_device(const DeviceSpec& spec)
{
    const DeviceType* type = m_config.types->find_device_type(spec.type);
    if (!type)
        return Error::formatted("no device type '%s' (its plugin, %s.so, is not loaded)", spec.type, spec.type);
    TRY(check_device_options(spec.name, spec.type, spec.options, type->options));

    // The interrupt output: unconnected, or wired (through its counter) to its inputs.
    Instance instance { &spec, nullptr, nullptr };
    InterruptLine irq;
    for (const IrqSpec& wire : spec.irqs) {
        InterruptLine input;
        if (string_equal(wire.controller, "cpu")) {
            if (wire.line != 0)
                return Error::formatted("%s: the CPU has one interrupt input (cpu:0)", spec.name);
            input = { &m_engine->cpu_interrupt_pin(), 0 };
        } else {
            Device* controller = find_device(wire.controller);
            InterruptSink* sink = controller ? controller->interrupt_sink() : nullptr;
            if (!sink)
                return Error::formatted("%s: '%s' %s", spec.name, wire.controller,
                    controller ? "takes no interrupt inputs" : "is not declared before it");
            input = { sink, wire.line };
        }
        if (!instance.irq)
            instance.irq = new IrqOutput;
        instance.irq->targets.append(input);
        irq = { instance.irq, 0 };
    }

    DeviceCreateArgs args {};
    args.instance_name = spec.name;
    args.machine = this;
    args.irq = &irq;
    args.first_port = spec.ports.is_empty() ? 0 : spec.ports[0].first;
    args.first_mmio = spec.mmio.is_empty() ? 0 : spec.mmio[0].base;
    args.options = spec.options;
    Error error = Error::formatted("%s: the %s factory gave no device", spec.name, spec.type);
    instance.device = type->create(args, &error);
    if (!instance.device) {
        delete instance.irq;
        return error;
    }
    m_devices.append(instance);
    for (const PortSpec& ports : spec.ports) {
        if (ports.count == 0 || ports.first + ports.count > 0x10000)
            return Error::formatted("%s: ports 0x%x+%u leave the 64 KiB I/O space", spec.name, ports.first, ports.count);
        TRY(m_engine->io().add(ports.first, static_cast<u16>(ports.count), instance.device, spec.name));
    }
    for (const MmioSpec& range : spec.mmio)
        TRY(m_engine->memory().add_mmio(range.base, range.size, instance.device, spec.name));
    return {};
}

Machine::~Machine()
{
    // Devices first, newest first (later ones may hold earlier ones: the IOAPIC its local
    // APIC), then the engine, whose clock and interrupt pin they use.
    for (usize i = m_devices.size(); i-- > 0;) {
        delete m_devices[i].device;
        delete m_devices[i].irq;
    }
    delete m_engine;
}

void Machine::attach(Monitor& monitor)
{
    for (const Instance& instance : m_devices)
        monitor.add_device(instance.device, instance.spec->name);
    monitor.add_info("irq", "device interrupt outputs (wiring, level, assertions) and the vectors the CPU took",
        [](void* machine, StringBuilder& out) { static_cast<const Machine*>(machine)->describe_interrupts(out); }, this);
}

void Machine::describe_interrupts(StringBuilder& out) const
{
    out.append("device       wired to                   level  asserted\n");
    for (const Instance& instance : m_devices) {
        if (!instance.irq)
            continue;
        StringBuilder wiring;
        for (const IrqSpec& wire : instance.spec->irqs)
            wiring.append("%s:%u ", wire.controller, wire.line);
        out.append("%-12s %-26s %-6s %llu\n", instance.spec->name, wiring.c_str(), instance.irq->level ? "high" : "low",
            static_cast<unsigned long long>(instance.irq->assertions));
    }
    out.append("vectors the CPU took from its interrupt controllers (vector: count):\n");
    const u64* counts = m_engine->stats().interrupts_by_vector;
    unsigned shown = 0;
    for (unsigned vector = 0; vector < 256; ++vector) {
        if (!counts[vector])
            continue;
        out.append("  0x%02x: %-10llu%s", vector, static_cast<unsigned long long>(counts[vector]), ++shown % 4 ? "" : "\n");
    }
    out.append(shown == 0 ? "  none yet\n" : shown % 4 ? "\n" : "");
}

Device* Machine::find_device(const char* name)
{
    for (Instance& instance : m_devices)
        if (string_equal(instance.spec->name, name))
            return instance.device;
    return nullptr;
}

void Machine::run_ended()
{
    for (Instance& instance : m_devices)
        instance.device->run_ended();
}

void Machine::console_write(const char* bytes, usize length)
{
    if (m_config.console)
        m_config.console(m_config.console_context, bytes, length);
}

void Machine::log(const char* text, usize length) { ::keel::log::write(text, length); }

bool Machine::move_mmio_window(Device* device, u64 old_base, u64 new_base)
{
    auto moved = m_engine->move_mmio_window(device, old_base, new_base);
    if (moved.is_error()) {
        ::keel::log::printf("keel: %s\n", moved.error().message());
        return false;
    }
    return true;
}

void Machine::set_a20_input(unsigned input, bool enabled)
{
    if (input >= 32)
        return;
    u32 inputs = enabled ? m_a20_inputs | (1u << input) : m_a20_inputs & ~(1u << input);
    if (inputs == m_a20_inputs)
        return;
    bool was_enabled = m_a20_inputs != 0;
    m_a20_inputs = inputs;
    if ((inputs != 0) != was_enabled)
        m_arch->set_a20(m_engine->context(), inputs != 0);
}

void Machine::request_reset()
{
    // As QEMU with -no-reboot: a reset ends the run, and says so, with keel's own status.
    if (m_orderly_shutdown_announced) {
        ::keel::log::printf("keel: the guest reset the machine; keel does not reboot (as QEMU -no-reboot)\n");
        m_engine->request_shutdown(reset_status);
    } else {
        ::keel::log::printf("keel: the guest reset the machine without an orderly shutdown (a kernel panic with "
                            "panic=-1, or an OS without ACPI); keel does not reboot\n");
        m_engine->request_shutdown(emergency_reset_status);
    }
}

Result<void> Machine::load_kernel(const KernelFiles& files)
{
    // The firmware loads what it boots itself (keel has no fw_cfg to hand it a kernel).
    if (has_firmware())
        return Error::formatted("%s: -kernel and -bios together: the firmware %s starts the machine and loads its OS itself",
            files.kernel_name, m_config.firmware_name);
    if (!linux_boot::looks_like_bzimage(files.kernel, files.kernel_size) && multiboot::has_header(files.kernel, files.kernel_size)) {
        multiboot::MultibootModule initrd { files.initrd, files.initrd_size, files.initrd_name };
        multiboot::MultibootFiles mb { files.kernel, files.kernel_size, files.kernel_name, &initrd, files.initrd ? 1u : 0u,
            files.command_line ? files.command_line : "" };
        if (files.module_count)
            mb.modules = files.modules, mb.module_count = files.module_count;
        multiboot::MultibootLayout layout = TRY(multiboot::load_multiboot(m_engine->memory(), m_engine->ram_below_4g(), mb));
        return m_arch->enter_multiboot(m_engine->context(), layout.entry, multiboot::gdt_address, multiboot::bootloader_magic,
            static_cast<u32>(multiboot::info_address));
    }
    if (!linux_boot::looks_like_bzimage(files.kernel, files.kernel_size)) {
        if (files.initrd)
            return Error::formatted("-initrd %s: only a Linux or Multiboot kernel takes an initramfs or a module, and %s is neither", files.initrd_name,
                files.kernel_name);
        if (files.command_line)
            return Error::formatted("-append: only a Linux or Multiboot kernel takes a command line, and %s is neither", files.kernel_name);
        return load_elf(files.kernel, files.kernel_size, files.kernel_name);
    }
    linux_boot::LinuxFiles linux_files { files.kernel, files.kernel_size, files.kernel_name, files.initrd, files.initrd_size,
        files.initrd_name, files.command_line ? files.command_line : "" };
    linux_files.acpi_rsdp = m_acpi_rsdp;
    linux_files.entry32 = files.linux_entry32;
    linux_boot::LinuxLayout layout = TRY(linux_boot::load_linux(m_engine->memory(), m_engine->ram_below_4g(), linux_files));
    if (layout.entry32)
        return m_arch->enter_linux_boot32(m_engine->context(), layout.entry, linux_boot::boot_params_address);
    return m_arch->enter_linux_boot(m_engine->context(), layout.entry, linux_boot::boot_params_address);
}

Result<void> Machine::load_elf(const u8* data, u64 size, const char* name)
{
    u64 limit = m_arch->test_image_limit(m_engine->ram_below_4g());
    LoadedImage image = TRY(load_elf_executable(data, size, name, m_engine->memory(), limit));
    return m_arch->enter_test_state(m_engine->context(), image.entry);
}

} // namespace keel::machine
