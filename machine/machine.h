#pragma once
// A machine as its description says (machines/pc.cfg, docs/machines.md): guest RAM, the
// CPU from an architecture, and every device created through the type registry (device
// plugins in the keel command and the kernel, the same types linked in for the tests),
// placed at its ports and MMIO ranges with its interrupt output wired to the inputs its
// irq= words name. Both hosts build machines through this; they supply the HostServices,
// the registry, the architecture and where the console's output goes. The machine is
// the MachineServices its devices see.
#include "dbt/engine/engine.h"
#include "dbt/plugin/device.h"
#include "dbt/plugin/type_registry.h"
#include "machine/machine_description.h"
#include "machine/multiboot/multiboot_loader.h"

namespace keel {
class Monitor;
}

namespace keel::machine {

// Where a PC's RAM below 4 GiB ends (the PCI hole starts), as QEMU's pc machine lays it
// out (docs/machine.md#memory-map).
constexpr u64 pci_hole_start = 0xE0000000;       // less than 3.5 GiB of RAM: it all fits below
constexpr u64 pci_hole_start_large = 0xC0000000; // 3.5 GiB or more: low RAM ends at 3 GiB
// keel's exit statuses when the guest resets the machine (i8042 pulse, port 0x92, 0xCF9),
// even, as keel's own statuses are (0 is the ACPI power-off): after the OS announced an
// orderly restart (ACPI _TTS: `reboot`), and without that announcement (an emergency
// restart: Linux's panic with panic=-1, or an OS that does not use ACPI).
constexpr int reset_status = 10;
constexpr int emergency_reset_status = 12;

struct MachineConfig {
    const TypeRegistry* types = nullptr; // device types (not owned)
    Arch* arch = nullptr;                // the CPU, of the description's architecture (not owned)
    // The description's text and its name for messages; null text: the built-in "pc".
    const char* description = nullptr;
    usize description_length = 0;
    const char* description_name = "pc.cfg";
    u64 ram_size = 256 * MiB;
    int icount_shift = -1; // >= 0: deterministic time, 2^shift ns per instruction (EngineConfig)
    bool side_exits = false; // EngineConfig::side_exits
    // -bios FILE (docs/bios.md): a firmware image the CPU starts in at the reset vector,
    // in place of a kernel keel loads; null: keel's own ACPI tables fill the BIOS area.
    const u8* firmware = nullptr;
    u64 firmware_size = 0;
    const char* firmware_name = "";
    using Output = void (*)(void* context, const char* bytes, usize length);
    Output console = nullptr; // the host console (null: output is dropped)
    void* console_context = nullptr;
};

class Machine final : public MachineServices {
public:
    // Refuses, with a message naming the file, line and device: a description that does
    // not parse, an unknown device type (the plugins that were loaded are what exists), a
    // device whose factory refuses its options, ports or MMIO that overlap.
    static Result<Machine*> create(HostServices& host, const MachineConfig& config);
    ~Machine() override;

    Engine& engine() { return *m_engine; }
    Arch& arch() { return *m_arch; }
    const MachineDescription& description() const { return m_description; }

    // Loads an ELF64 executable from memory and sets up the test-guest entry state at
    // its entry point. `name` is used in error messages.
    Result<void> load_elf(const u8* data, u64 size, const char* name);

    // -kernel, told apart by content as QEMU does: a Linux bzImage boots through the Linux
    // boot protocol with `initrd` and `command_line` (docs/linux.md); anything else is an
    // ELF test guest, which takes neither.
    struct KernelFiles {
        const u8* kernel;
        u64 kernel_size;
        const char* kernel_name;
        const u8* initrd = nullptr; // no initramfs when null
        u64 initrd_size = 0;
        const char* initrd_name = "";
        const char* command_line = nullptr; // -append; null when not given
        bool linux_entry32 = false;         // -linux-entry 32: the 32-bit boot protocol entry
        // A Multiboot kernel's modules when there are several (-initrd a,b): used instead
        // of `initrd`, which is the one module otherwise.
        const multiboot::MultibootModule* modules = nullptr;
        usize module_count = 0;
    };
    Result<void> load_kernel(const KernelFiles& files);

    // The devices in description order, by instance name.
    usize device_count() const { return m_devices.size(); }
    Device& device(usize i) { return *m_devices[i].device; }
    const char* device_name(usize i) const { return m_devices[i].spec->name; }
    Device* find_device(const char* name) override;

    // The device the host terminal's bytes go to (console=stdio), or null.
    ConsoleInput* console_input() { return m_console_input; }
    // The run ended: devices show what they hold (the VGA screen).
    void run_ended();

    // MachineServices, for the devices.
    VirtualClock& clock() override { return m_engine->clock(); }
    u64 ram_size() const override { return m_engine->ram_size(); }
    u64 ram_below_4g() const override { return m_engine->ram_below_4g(); }
    u64 wall_clock_seconds() override { return m_host.wall_clock_seconds(); }
    void console_write(const char* bytes, usize length) override;
    void log(const char* text, usize length) override;
    void request_shutdown(int status) override { m_engine->request_shutdown(status); }
    void request_reset() override;
    void note_orderly_shutdown() override { m_orderly_shutdown_announced = true; }
    void add_interrupt_controller(InterruptController* controller) override { m_engine->add_interrupt_controller(controller); }
    void add_msr_handler(MsrHandler* handler) override { m_engine->add_msr_handler(handler); }
    void set_console_input(ConsoleInput* input) override { m_console_input = input; }
    bool move_mmio_window(Device* device, u64 old_base, u64 new_base) override;
    void set_a20_input(unsigned input, bool enabled) override;
    void set_memory_shadow(u64 base, u64 size, bool read_dram, bool write_dram) override;

    // Whether the machine starts in a -bios firmware image (which loads the OS itself).
    bool has_firmware() const { return m_config.firmware != nullptr; }
    // Where the RSDP is (0: the machine has no ACPI tables).
    u64 acpi_rsdp() const { return m_acpi_rsdp; }

    // Gives `monitor` the devices (info NAME) and the machine's own items (info irq).
    void attach(Monitor& monitor);
    // `info irq`: each device output's wiring, level and assertions, and the vectors the
    // CPU took.
    void describe_interrupts(StringBuilder& out) const;

private:
    Machine(HostServices& host, const MachineConfig& config) : m_host(host), m_config(config), m_arch(config.arch) {}
    Result<void> add_device(const DeviceSpec& spec);
    const DeviceSpec* find_spec_of_type(const char* type) const;
    // ACPI tables from the description (machine/acpi), in a ROM over the BIOS area.
    Result<void> install_acpi_tables();
    // The -bios image at the top of the 4 GiB space and its last 128 KiB below 1 MiB.
    Result<void> install_firmware();
    // The BIOS segments the PAM registers control (set_memory_shadow).
    static constexpr u64 shadow_start = 0xC0000, shadow_end = 0x100000;
    static u64 shadow_segment_size(u64 base);
    static const char* shadow_segment_name(u64 base);

    // A device's interrupt output, wired to every input its irq= words name (ISA lines
    // reach both the 8259 and the IOAPIC), counting its assertions for `info irq`.
    class IrqOutput final : public InterruptSink {
    public:
        Vector<InterruptLine> targets;
        bool level = false;
        u64 assertions = 0; // low-to-high changes
        void set_irq_level(u32, bool new_level) override
        {
            assertions += new_level && !level;
            level = new_level;
            for (const InterruptLine& line : targets)
                line.set(new_level);
        }
    };
    struct Instance {
        const DeviceSpec* spec;
        Device* device;
        IrqOutput* irq; // null when the device has no irq=
    };

    HostServices& m_host;
    MachineConfig m_config;
    Arch* m_arch;
    Engine* m_engine = nullptr;
    MachineDescription m_description;
    Vector<Instance> m_devices;
    ConsoleInput* m_console_input = nullptr;
    Vector<u8> m_bios_area; // the ROM's bytes: keel's ACPI tables, or the -bios image
    // With -bios: 0xC0000-0xFFFFF as the bus shows it (the image's tail, 0xFF below) and
    // the DRAM behind it, which the PAM registers switch each segment between.
    Vector<u8> m_bus_view;
    Vector<u8> m_shadow_dram;
    u64 m_acpi_rsdp = 0;
    bool m_orderly_shutdown_announced = false;
    // The A20 inputs that are enabled (bit per input; MachineServices::set_a20_input): the
    // keyboard controller's at power-on.
    u32 m_a20_inputs = 1;
};

} // namespace keel::machine
