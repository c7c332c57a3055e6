#pragma once
// PCI configuration space (PCI Local Bus Specification 3.0): configuration mechanism #1
// at ports 0xCF8-0xCFF (§3.2.2.3.2), the type 0 configuration header of each function
// (§6.1, §6.2) with BAR sizing (§6.2.5.1), and two ready functions of the PC's chipset as
// QEMU's "pc" machine has them: an i440FX host bridge (00:00.0) and a PIIX3 PCI-to-ISA
// bridge (00:01.0) with its PIRQ route registers. docs/devices/pci.md says what is
// modelled and what is not.
#include "dbt/plugin/device.h"
#include "plugins/devices/system_control.h"

namespace keel::devices {

// One PCI function's 256-byte configuration space. Each byte has a power-on value, a mask
// of the bits software may write and a mask of write-one-to-clear bits (the status
// register's error bits, §6.2.3). Subclasses set these up in their constructor with the
// init_* and define_bar helpers; devices that react to configuration writes override
// config_write_hook() (called after the write is applied) and config_reloaded() (after
// reset or restore replaced the whole space). Anything a subclass derives from config
// space must be recomputable in config_reloaded(): config space is all that is saved.
class PciFunction {
public:
    enum class BarKind : u8 { None, Io, Memory32, Memory64 };
    struct Bar {
        BarKind kind = BarKind::None;
        bool prefetchable = false;
        u64 size = 0;
        u64 address = 0; // as programmed (the BAR's address bits)
    };

    // The class code is 24 bits: base class, subclass, programming interface (§6.2.1).
    PciFunction(u16 vendor_id, u16 device_id, u32 class_code, u8 revision, u8 header_type);
    virtual ~PciFunction() = default;

    // Little-endian access within config space; bytes past 0xFF read 0xFF and are dropped.
    u32 read_config(u8 offset, unsigned size) const;
    void write_config(u8 offset, u32 value, unsigned size);

    void reset();
    u8 config_byte(u8 offset) const { return m_config[offset]; }
    // Whether `config` could be this function's space: its read-only bits are the power-on
    // values (write-one-to-clear bits may be anything).
    bool accepts(const u8* config) const;
    void load(const u8* config);

    // BAR `index` (0-5); for a 64-bit BAR, index is the low half and index + 1 reads None.
    Bar bar(unsigned index) const;
    u16 vendor_id() const { return static_cast<u16>(read_config(0x00, 2)); }
    u16 device_id() const { return static_cast<u16>(read_config(0x02, 2)); }
    u32 class_code() const { return read_config(0x08, 4) >> 8; }
    bool multi_function() const { return m_config[0x0E] & 0x80; }

    static constexpr unsigned bar_count = 6;
    static constexpr u8 bar0_offset = 0x10;

protected:
    virtual void config_write_hook(u8 offset, u32 value, unsigned size) { (void)offset, (void)value, (void)size; }
    virtual void config_reloaded() {}

    // Power-on value and the writable mask (size 1, 2 or 4 bytes at `offset`).
    void init_config(u8 offset, u32 value, unsigned size, u32 writable = 0);
    void init_rw1c(u8 offset, u32 mask, unsigned size);
    // §6.2.5.1: `size` is a power of two (at least 4 for I/O, 16 for memory); the BAR's
    // address bits below the size are hardwired to 0, which is how sizing works.
    void define_bar(unsigned index, BarKind kind, u64 size, bool prefetchable = false);

private:
    u8 m_config[256];
    u8 m_power_on[256];
    u8 m_writable[256] = {};
    u8 m_rw1c[256] = {};
    BarKind m_bar_kind[bar_count] = {};
    u64 m_bar_size[bar_count] = {};
};

// The i440FX PCI and Memory Controller (Intel 82441FX data sheet, order no. 290549): IDs,
// and the PAM registers 0x59-0x5F as storage only.
class I440fxHostBridge final : public PciFunction {
public:
    // 82441FX §3.2.15, PAM0-PAM6 (0x59-0x5F): two bits per BIOS segment, read enable (bit
    // 0 of the nibble) and write enable (bit 1): 1 sends the access to DRAM, 0 to the bus.
    static constexpr u8 pam_offset = 0x59;
    using ShadowListener = void (*)(void* context, u64 base, u64 size, bool read_dram, bool write_dram);

    I440fxHostBridge();
    // Told of a segment's setting after a write to a PAM register, reset and restore.
    void set_shadow_listener(ShadowListener listener, void* context) { m_listener = listener, m_context = context; }

private:
    void config_write_hook(u8 offset, u32 value, unsigned size) override;
    void config_reloaded() override;
    void notify_register(u8 pam) const;

    ShadowListener m_listener = nullptr;
    void* m_context = nullptr;
};

// The PIIX3 PCI-to-ISA bridge (Intel 82371SB data sheet, order no. 290550), function 0 of
// a multi-function device: IDs and the PIRQ route control registers (§2.2.11).
class Piix3IsaBridge final : public PciFunction {
public:
    static constexpr u8 pirq_route_offset = 0x60; // PIRQRC[A:D] at 0x60-0x63
    using RouteListener = void (*)(void* context, unsigned pirq, int irq);

    Piix3IsaBridge();
    // The ISA IRQ PIRQ `pirq` (0-3 = A-D) is routed to, or -1 (routing disabled by bit 7, or
    // a reserved IRQ number: 0-2, 8, 13).
    int pirq_irq(unsigned pirq) const;
    // Told of each PIRQ's routing after a write to 0x60-0x63, reset and restore.
    void set_route_listener(RouteListener listener, void* context) { m_listener = listener, m_context = context; }

private:
    void config_write_hook(u8 offset, u32 value, unsigned size) override;
    void config_reloaded() override;
    void notify(unsigned pirq) const;

    RouteListener m_listener = nullptr;
    void* m_context = nullptr;
};

// Configuration mechanism #1 on bus 0 (there are no PCI-to-PCI bridges).
class PciBus final : public Device {
public:
    static constexpr u16 config_address_port = 0xCF8;
    static constexpr u16 config_data_port = 0xCFC;
    static constexpr u16 reset_control_port = 0xCF9; // the PIIX3's RCR
    static constexpr u16 port_count = 8;
    static constexpr unsigned device_count = 32, function_count = 8;
    static constexpr u8 state_version = 1;

    const char* name() const override { return "pci"; }
    void reset() override;
    void save(StateWriter& out) const override;
    Result<void> restore(StateReader& in) override;
    // The monitor's `info pci`: each function with its IDs, class and BARs.
    void describe(StringBuilder& out) const override;

    u32 io_read(u16 port, unsigned size) override;
    void io_write(u16 port, u32 value, unsigned size) override;

    // Plugs `function` (not owned) in at 00:device.function. Refuses an occupied slot or
    // numbers out of range. Call before the guest runs; it does not reset the function.
    Result<void> add_function(u8 device, u8 function, PciFunction* pci_function);
    // The same, and the bus deletes the function when it is deleted (machine descriptions'
    // `device pci`). On a refusal the function is deleted at once.
    Result<void> adopt_function(u8 device, u8 function, PciFunction* pci_function);
    ~PciBus() override;
    // The function at 00:device.function, or null (for the monitor and the machine).
    PciFunction* function(u8 device, u8 function) const;
    u32 config_address() const { return m_config_address; }
    // The system reset that a write of RCPU to 0xCF9 pulls (system_control.h).
    void set_system_control(SystemControl system) { m_system = system; }

private:
    PciFunction* addressed() const; // the function CONFIG_ADDRESS selects, or null

    PciFunction* m_functions[device_count * function_count] = {};
    bool m_owned[device_count * function_count] = {};
    u32 m_config_address = 0;
    SystemControl m_system {};
};

} // namespace keel::devices
