#pragma once
// What a guest device is to keel (docs/devices/README.md): port I/O and MMIO handlers,
// interrupt lines it drives, timers against the virtual clock, reset, and its state as
// bytes (for snapshots and migration). Device models depend on this header, the state
// buffer and nothing else of keel, so they are testable on their own and load as plugins.
#include "dbt/base/result.h"
#include "dbt/base/state_buffer.h"
#include "dbt/base/string_builder.h"
#include "dbt/plugin/io_handlers.h"
#include "dbt/plugin/virtual_clock.h"

namespace keel {

// Something with interrupt inputs (a PIC, an IOAPIC, the CPU's INTR pin).
class InterruptSink {
public:
    virtual ~InterruptSink() = default;
    virtual void set_irq_level(u32 line, bool level) = 0;
};

// One wire from a device's interrupt output to a sink's input. Unconnected: does nothing.
struct InterruptLine {
    InterruptSink* sink = nullptr;
    u32 line = 0;

    void set(bool level) const
    {
        if (sink)
            sink->set_irq_level(line, level);
    }
    void raise() const { set(true); }
    void lower() const { set(false); }
    // An edge for an edge-triggered input: high, then low again.
    void pulse() const { set(true), set(false); }
};

// What the CPU asks at an interrupt-acknowledge cycle: a PIC, a local APIC. The engine
// polls the machine's controllers (in the order the machine added them) whenever the
// guest can take an interrupt.
class InterruptController {
public:
    virtual ~InterruptController() = default;
    virtual bool has_interrupt() const = 0;
    // The vector to deliver; called only after has_interrupt() said yes.
    virtual u8 acknowledge() = 0;
};

// Where an IOAPIC's (or any MSI source's) interrupt messages go: the APIC bus / system bus
// (82093AA data sheet §2.3). `delivery_mode` is a redirection entry's bits 10:8 (0 fixed,
// 1 lowest priority, 2 SMI, 4 NMI, 5 INIT, 7 ExtINT), `destination` its bits 63:56,
// `logical` its destination mode and `level` its trigger mode. A level-triggered message is
// answered, eventually, by an EOI with the same vector, which the bus reports to the
// listener the source registered.
class ApicBus {
public:
    using EoiListener = void (*)(void* context, u8 vector);
    virtual ~ApicBus() = default;
    virtual void deliver(u8 vector, u8 delivery_mode, u8 destination, bool logical, bool level) = 0;
    virtual void set_eoi_listener(EoiListener listener, void* context) = 0;
};

// A device that takes the host terminal's input (a UART with console=stdio).
class ConsoleInput {
public:
    virtual ~ConsoleInput() = default;
    // Whether the device can take another byte now (a UART's receiver has room).
    virtual bool wants_input() const = 0;
    virtual void receive(const u8* bytes, usize n) = 0;
};

class Device;

// What a device sees of the machine it is part of (docs/plugins.md). The machine (machine/)
// implements it; plugins call it through this table only.
class MachineServices {
public:
    virtual ~MachineServices() = default;
    virtual VirtualClock& clock() = 0;
    // RAM in bytes, all of it; and how much of it is mapped from address 0 (less the PC's
    // legacy hole), the rest lying at 4 GiB, past the PCI hole.
    virtual u64 ram_size() const = 0;
    virtual u64 ram_below_4g() const = 0;
    // The host's wall-clock time now, in seconds since the Unix epoch (the RTC's start).
    virtual u64 wall_clock_seconds() = 0;
    // The host console: the terminal for the keel command, the serial port in the kernel.
    virtual void console_write(const char* bytes, usize length) = 0;
    // keel's log (the keel command's -d/-D, the kernel's serial log), for diagnostics.
    virtual void log(const char* text, usize length) = 0;
    // Ends the run as QEMU's isa-debug-exit does: the host exits with `status`.
    virtual void request_shutdown(int status) = 0;
    // A system reset (i8042 pulse, port 0x92, 0xCF9). keel behaves as QEMU with -no-reboot:
    // the run ends, with the machine's reset status; an orderly one (announced below) and
    // an emergency one (a kernel panic with panic=-1) end with different statuses.
    virtual void request_reset() = 0;
    // The guest's OS announced an orderly shutdown or restart: ACPI's _TTS (Transition To
    // State, ACPI 6.5 §7.3.6), which Linux and Windows evaluate from their reboot and
    // power-off paths and never from a panic (keel's DSDT makes it a port write, acpi_pm).
    virtual void note_orderly_shutdown() = 0;
    // Another device of this machine by instance name (machine description order: only
    // devices declared earlier exist yet), or null.
    virtual Device* find_device(const char* name) = 0;
    // An interrupt controller the CPU acknowledges; polled in the order added.
    virtual void add_interrupt_controller(InterruptController* controller) = 0;
    // Model-specific registers the device implements (the local APIC's), which the CPU's
    // RDMSR/WRMSR reach before raising #GP for an unknown index.
    virtual void add_msr_handler(MsrHandler* handler) = 0;
    // The device the host terminal's input goes to (at most one per machine).
    virtual void set_console_input(ConsoleInput* input) = 0;
    // Moves the device's MMIO window at `old_base` to `new_base` (same size): the local
    // APIC's IA32_APIC_BASE relocation (SDM vol. 3A §10.4.5). The window lies over whatever
    // is at its new place and hides it, as the CPU's APIC window does. False when `new_base`
    // is not page-aligned or the window is not the device's.
    virtual bool move_mmio_window(Device* device, u64 old_base, u64 new_base) = 0;
    // The PC's A20 gate: one of the lines the chipset ORs (0: the keyboard controller's
    // output port, 1: System Control Port A) changed. A20 is enabled at power-on, as the
    // keyboard controller's output port starts with its A20 bit set.
    virtual void set_a20_input(unsigned input, bool enabled) = 0;
    // The chipset's shadow RAM control (the i440FX's PAM registers) for the BIOS segment at
    // `base` (16 KiB from 0xC0000, 64 KiB at 0xF0000): reads from DRAM or from the bus (the
    // firmware's flash), writes to DRAM or dropped. Machines without firmware (-bios) keep
    // their own tables there and ignore it.
    virtual void set_memory_shadow(u64 base, u64 size, bool read_dram, bool write_dram) = 0;
};

// A device. Port and MMIO accesses not claimed by a subclass read as all ones and ignore
// writes, as on an ISA bus with nothing there.
class Device : public PortHandler, public MmioHandler {
public:
    ~Device() override = default;

    // What other devices can connect to (no RTTI in keel): the inputs machine descriptions
    // wire with irq=NAME:LINE, and the APIC bus a local APIC offers to IOAPICs.
    virtual InterruptSink* interrupt_sink() { return nullptr; }
    virtual ApicBus* apic_bus() { return nullptr; }
    // The run ended: show what the device holds for the host (the VGA screen).
    virtual void run_ended() {}

    virtual const char* name() const = 0;
    // The state after a hardware reset (also the state after construction).
    virtual void reset() = 0;
    // The device's whole guest-visible state, and back. restore() refuses bytes it did not
    // write (wrong size or version) with a message and leaves the device unchanged.
    virtual void save(StateWriter& out) const = 0;
    virtual Result<void> restore(StateReader& in) = 0;
    // What the monitor's `info` shows for this device (`info pic`); empty by default.
    virtual void describe(StringBuilder& out) const { (void)out; }

    u32 io_read(u16, unsigned size) override { return size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1; }
    void io_write(u16, u32, unsigned) override {}
    u64 mmio_read(u64, unsigned size) override { return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1; }
    void mmio_write(u64, u64, unsigned) override {}
};

} // namespace keel
