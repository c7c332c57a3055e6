#pragma once
// The PC's pair of 8259A programmable interrupt controllers (Intel 8259A/8259A-2 data
// sheet, order no. 231468) with the PIIX edge/level control registers (ELCR, Intel
// 82371AB PIIX4 data sheet §3.6.2.1). The master is at 0x20-0x21, the slave at 0xA0-0xA1
// with its INT output wired to the master's IR2, the ELCR at 0x4D0-0x4D1. Devices raise
// IRQ 0-15 through InterruptSink; the CPU samples `intr` and runs acknowledge() as its
// INTA cycle. docs/devices/pic8259.md says what is modelled and what is not.
#include "dbt/plugin/device.h"

namespace keel::devices {

// One 8259A: its registers and the priority resolver (data sheet, "Functional
// description", figure 3). Pic8259Pair wires two together; nothing else uses this.
struct Pic8259Chip {
    u8 irr = 0;          // interrupt request register
    u8 isr = 0;          // in-service register
    u8 imr = 0xFF;       // interrupt mask register (OCW1)
    u8 level = 0;        // the IR input pins as last driven (the edge detector's memory)
    u8 elcr = 0;         // 1 = level-triggered (PIIX ELCR; replaces ICW1's LTIM)
    u8 elcr_mask = 0;    // the ELCR bits that may be set (the others are wired edge)
    u8 highest = 0;      // the IR with the highest priority (rotation moves it)
    u8 vector_base = 0;  // ICW2 bits 7-3
    u8 icw3 = 0;         // stored only: the PC's cascade is wired (IR2)
    u8 init_step = 0;    // 0 = ready; 1, 2, 3 = expecting ICW2, ICW3, ICW4
    bool ic4 = false, single = false, aeoi = false, rotate_in_aeoi = false;
    bool sfnm = false;   // special fully nested mode (master only)
    bool read_isr = false, poll = false, special_mask = false; // OCW3
    bool is_master = false;

    void power_on();
    // The IR the chip would interrupt for now, or -1 (data sheet, "Interrupt sequence").
    int pending() const;
    // An IR input pin changed: edge detection or level following (ELCR).
    void input(unsigned ir, bool high);
    // The INTA pulses (or a poll read) for `ir`: IRR to ISR, or automatic EOI.
    void intack(unsigned ir);
    u8 read(unsigned a0);
    void write(unsigned a0, u8 value);
    void write_elcr(u8 value);

    u8 flags() const;
    void set_flags(u8 flags);

private:
    unsigned priority_of(u8 mask) const; // 0 = highest, 8 = none in `mask`
    void icw1(u8 value);
    void ocw2(u8 value);
    void ocw3(u8 value);
};

class Pic8259Pair final : public Device, public InterruptSink, public InterruptController {
public:
    static constexpr u16 master_base = 0x20;
    static constexpr u16 slave_base = 0xA0;
    static constexpr u16 elcr_base = 0x4D0;
    static constexpr u16 port_count = 2; // of each of the three ranges
    static constexpr u32 cascade_ir = 2;  // master input driven by the slave's INT
    static constexpr u8 state_version = 1;

    // `intr` is the CPU's INTR pin: high while an interrupt awaits acknowledge().
    explicit Pic8259Pair(InterruptLine intr);

    const char* name() const override { return "pic8259"; }
    void reset() override;
    void save(StateWriter& out) const override;
    Result<void> restore(StateReader& in) override;

    u32 io_read(u16 port, unsigned size) override;
    void io_write(u16 port, u32 value, unsigned size) override;

    // IRQ 0-7 are the master's IR0-7, IRQ 8-15 the slave's. IRQ 2 is the cascade and
    // ignored here (ISA's IRQ2 pin is routed to IRQ 9 on the PC).
    void set_irq_level(u32 line, bool level) override;
    InterruptSink* interrupt_sink() override { return this; }

    // The CPU side: INTR's level, and the INTA cycle returning the vector.
    // The monitor's `info pic`, in QEMU's format.
    void describe(StringBuilder& out) const override;
    bool has_interrupt() const override { return m_chip[0].pending() >= 0; }
    u8 acknowledge() override;

    // For the monitor's `info pic`: bit n is IRQ n (slave in the high byte).
    u16 irr() const { return pair(m_chip[0].irr, m_chip[1].irr); }
    u16 isr() const { return pair(m_chip[0].isr, m_chip[1].isr); }
    u16 imr() const { return pair(m_chip[0].imr, m_chip[1].imr); }
    u16 elcr() const { return pair(m_chip[0].elcr, m_chip[1].elcr); }
    const Pic8259Chip& master() const { return m_chip[0]; }
    const Pic8259Chip& slave() const { return m_chip[1]; }

private:
    static u16 pair(u8 master, u8 slave) { return static_cast<u16>(master | (slave << 8)); }
    u8 read_byte(u16 port);
    void write_byte(u16 port, u8 value);
    // Propagates the slave's INT to master IR2 and the master's INT to the CPU.
    void update(bool force = false);

    Pic8259Chip m_chip[2]; // master, slave
    InterruptLine m_intr;
    bool m_intr_level = false;
};

} // namespace keel::devices
