#pragma once
// What a guest device is to keel (ARCHITECTURE.md, "Plugins"): port I/O and MMIO handlers,
// interrupt lines it drives, timers against the virtual clock, reset, and its state as
// bytes (for snapshots and migration). Device models depend on this header, the state
// buffer and nothing else of keel, so they are testable on their own and load as plugins.
#include "dbt/base/result.h"
#include "dbt/base/state_buffer.h"
#include "dbt/base/string_builder.h"
#include "dbt/engine/io_bus.h"
#include "dbt/mmu/physical_memory.h"
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

// A device. Port and MMIO accesses not claimed by a subclass read as all ones and ignore
// writes, as on an ISA bus with nothing there.
class Device : public PortHandler, public MmioHandler {
public:
    ~Device() override = default;

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
