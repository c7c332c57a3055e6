#pragma once
// The I/O APIC (Intel 82093AA I/O Advanced Programmable Interrupt Controller data sheet,
// order no. 290566): the indirect register window at 0xFEC00000 (IOREGSEL at 0x00, IOWIN at
// 0x10), the ID, version and arbitration registers and 24 redirection table entries. Input
// pins are driven through InterruptSink; interrupt messages leave through an ApicBus, which
// the machine connects to the (single) local APIC. docs/devices/ioapic.md says what is
// modelled and what is not.
#include "dbt/plugin/device.h"

namespace keel::devices {

class IoApic final : public Device, public InterruptSink {
public:
    static constexpr u64 mmio_base = 0xFEC00000;
    static constexpr u64 mmio_size = 0x1000;
    static constexpr unsigned pin_count = 24;
    static constexpr u8 state_version = 1;

    // Register indices behind IOREGSEL (data sheet §3.2).
    enum Register : u8 { RegId = 0x00, RegVersion = 0x01, RegArbitration = 0x02, RegRedirectionTable = 0x10 };
    // Redirection entry fields (data sheet §3.2.4, figure 5).
    static constexpr u64 entry_vector = 0xFF;
    static constexpr u64 entry_delivery_mode = 0x700;
    static constexpr u64 entry_logical = 1ull << 11;
    static constexpr u64 entry_delivery_status = 1ull << 12;
    static constexpr u64 entry_active_low = 1ull << 13;
    static constexpr u64 entry_remote_irr = 1ull << 14;
    static constexpr u64 entry_level = 1ull << 15;
    static constexpr u64 entry_masked = 1ull << 16;
    static constexpr u64 entry_destination = 0xFFull << 56;

    // `apic_id` is the ID register's value at reset (bits 27:24 of register 0).
    explicit IoApic(ApicBus& bus, u8 apic_id = 0);

    const char* name() const override { return "ioapic"; }
    void reset() override;
    void save(StateWriter& out) const override;
    Result<void> restore(StateReader& in) override;
    // The monitor's `info ioapic`, in the manner of QEMU's.
    void describe(StringBuilder& out) const override;

    // `offset` is relative to mmio_base. IOREGSEL takes any access size; IOWIN only
    // aligned 32-bit accesses (data sheet §3.1: "accessed as 32-bit quantities").
    u64 mmio_read(u64 offset, unsigned size) override;
    void mmio_write(u64 offset, u64 value, unsigned size) override;

    // Input pin `line` (0-23) as the device drives it (before the polarity inversion).
    void set_irq_level(u32 line, bool level) override;
    InterruptSink* interrupt_sink() override { return this; }

    // The local APIC's EOI for a level-triggered vector: clears remote IRR in the entries
    // with that vector and delivers again those whose input is still asserted.
    void end_of_interrupt(u8 vector);

    // For the monitor and tests.
    u64 redirection_entry(unsigned pin) const { return m_s.entries[pin]; }
    u8 id() const { return m_s.id; }
    u32 pin_levels() const { return m_s.pins; }

private:
    u32 read_register(u8 index) const;
    void write_register(u8 index, u32 value);
    // The input after polarity: true when the pin requests an interrupt.
    bool asserted(unsigned pin) const;
    // Delivers a level-triggered entry's interrupt if it is unmasked, asserted and not
    // already awaiting an EOI (remote IRR).
    void service_level(unsigned pin);
    void send(unsigned pin);

    struct State {
        u8 ioregsel = 0;
        u8 id = 0;     // bits 27:24 of the ID register
        u32 pins = 0;  // input levels as driven, bit n = pin n
        u64 entries[pin_count] = {};
    };

    ApicBus& m_bus;
    u8 m_reset_id;
    State m_s;
};

} // namespace keel::devices
