#pragma once
// The PC's 8254 programmable interval timer (Intel 8254 data sheet, order no. 231164) and
// system control port B (0x61: speaker gate and data, refresh toggle, OUT2). Counters
// 0-2 at 0x40-0x42, the control word register at 0x43. Channel 0's OUT drives IRQ0,
// channel 2's GATE is port B bit 0 and its OUT reads back in port B bit 5; channel 1 is
// unconnected. Counting is computed from virtual time on the 1.193182 MHz CLK grid (CLK
// edge k at ceil(k * 1e9 / 1193182) ns), so nothing runs per tick: channel 0 arms one
// timer at the exact time of OUT's next rising edge. docs/devices/pit8254.md says what is
// modelled and what is not.
#include "dbt/plugin/device.h"

namespace keel::devices {

class Pit8254 final : public Device, public TimerClient {
public:
    static constexpr u16 base = 0x40;
    static constexpr u16 port_count = 4;
    static constexpr u16 port_b = 0x61;
    static constexpr u64 clock_hz = 1193182;
    static constexpr u8 state_version = 1;
    static constexpr u64 never = ~0ull;

    Pit8254(VirtualClock& clock, InterruptLine irq0);

    const char* name() const override { return "pit8254"; }
    void reset() override;
    void save(StateWriter& out) const override;
    Result<void> restore(StateReader& in) override;

    u32 io_read(u16 port, unsigned size) override;
    void io_write(u16 port, u32 value, unsigned size) override;

    void timer_expired(u32 id, u64 now_ns) override;

    // For the monitor and tests: a channel's counting element (binary, 0 = full range)
    // and OUT pin now, and the speaker's input (OUT2 AND port B bit 1).
    u32 count(unsigned channel);
    bool out(unsigned channel);
    bool speaker() { return (m_port_b & 2) && out(2); }

    // CLK edges since virtual time 0 at `ns`, and the time of edge `tick` (exact integers).
    static u64 ticks_at(u64 ns);
    static u64 tick_time(u64 tick);

    // One counter (data sheet, "Counter" block diagram: CR, CE, OL, status latch).
    struct Channel {
        u8 mode = 0;        // M2-M0 as programmed (6 and 7 act as 2 and 3)
        u8 access = 3;      // RW1-RW0: 1 LSB only, 2 MSB only, 3 LSB then MSB
        bool bcd = false;
        u16 cr = 0;         // count register as written (BCD digits when bcd)
        bool write_msb = false, read_msb = false; // the LSB/MSB flip-flops
        bool count_latched = false, status_latched = false;
        u16 latch = 0;      // output latch (OL), as read
        u8 status = 0;
        bool gate = true;
        bool armed = false;   // a count was written since the control word
        bool running = false; // CE counts: its value is a function of the CLK edge
        u64 start_tick = 0;   // running: the CLK edge at which CE held start_count
        u32 start_count = 0;  // 0 .. modulus-1 (0 = the full range)
        u32 period = 1;       // modes 2, 3: the count in force (1 .. modulus)
        bool done = false;    // mode 0: OUT went high; modes 4, 5: the strobe happened
        u32 held_count = 0;   // not running: CE
        bool held_out = false; // not running: OUT
        u64 next_load_tick = never; // modes 2, 3: CR reaches CE at this edge
        u32 next_period = 1;
        u64 load_tick = never; // null count is 1 before this edge

        u8 op_mode() const { return mode >= 6 ? mode - 4 : mode; }
        u32 modulus() const { return bcd ? 10000 : 65536; }
        u32 cr_value() const; // CR as a count (1 .. modulus)
        void fold(u64 k);     // applies a pending mode 2/3 reload that is due at edge k
        u32 ce(u64 k) const;
        bool out(u64 k) const;
        u64 next_rising_edge(u64 k) const; // after edge k, or never
        void control(u8 value, u64 k);
        void write(u8 value, u64 k);
        u8 read(u64 k);
        void latch_count(u64 k);
        void latch_status(u64 k);
        void set_gate(bool level, u64 k);

    private:
        void load(u64 k);
        void pause(u64 k);
    };
    const Channel& channel(unsigned i) const { return m_channel[i]; }

private:
    u64 now_tick() const { return ticks_at(m_clock.now_ns()); }
    // Delivers a due OUT0 edge to IRQ0, then brings the line and the timer up to date.
    void service_irq0(u64 k);

    VirtualClock& m_clock;
    InterruptLine m_irq0;
    Channel m_channel[3];
    u8 m_port_b = 0;        // bits 3-0 as written
    bool m_line_level = false;
    u64 m_irq_tick = never; // the OUT0 rising edge the timer is armed for
};

} // namespace keel::devices
