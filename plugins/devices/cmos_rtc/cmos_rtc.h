#pragma once
// The PC's CMOS real-time clock and NVRAM: a Motorola MC146818A (data sheet, "MC146818A
// Real-Time Clock Plus RAM") as PC chipsets implement it, behind index port 0x70 (bit 7
// masks NMI) and data port 0x71, interrupting on IRQ8. The clock is computed from virtual
// time, not ticked: the RTC holds a count of seconds (since 1970-01-01, civil calendar)
// and the virtual time of the last update cycle; timers fire only at exact update and
// periodic-interrupt deadlines. docs/devices/cmos_rtc.md says what is modelled and what not.
#include "dbt/plugin/device.h"

namespace keel::devices {

// The CMOS bytes a PC BIOS reads at boot (IBM AT layout, plus QEMU/SeaBIOS's 0x5B-0x5D).
struct CmosConfig {
    u64 ram_bytes = 0;
    u64 below_4g_limit = 0xE0000000; // RAM past this many bytes is above 4 GiB (the machine's split)
    u8 equipment = 0x06;             // register 0x14: FPU, PS/2 mouse, VGA, no floppies
};

class CmosRtc final : public Device, public TimerClient {
public:
    static constexpr u16 base = 0x70;
    static constexpr u16 port_count = 2;
    static constexpr u8 state_version = 1;
    static constexpr u16 state_size = 2 + 128 + 8 * 3 + 2 + 8 * 7;
    static constexpr u64 ns_per_second = 1000000000;
    // UIP rises 244 us (8 periods of the 32.768 kHz time base) before an update
    // (data sheet, "Update Cycle" and Figure 11: tBUC).
    static constexpr u64 uip_window_ns = 244141;
    enum TimerId : u32 { update_timer = 0, periodic_timer = 1 };

    CmosRtc(VirtualClock& clock, InterruptLine irq8, u64 unix_time_at_clock_zero, const CmosConfig& config = {});

    const char* name() const override { return "cmos_rtc"; }
    void reset() override;
    void save(StateWriter& out) const override;
    Result<void> restore(StateReader& in) override;

    u32 io_read(u16 port, unsigned size) override;
    void io_write(u16 port, u32 value, unsigned size) override;

    void timer_expired(u32 id, u64 now_ns) override;

    // Rewrites the BIOS bytes (memory sizes, equipment, checksum) for a new RAM size.
    void set_config(const CmosConfig& config);
    // Port 0x70 bit 7 as last written: the machine gates NMI delivery with it.
    bool nmi_masked() const { return m_nmi_masked; }
    bool irq_level() const { return m_irq_level; }
    // The RTC's time as seconds since 1970-01-01 00:00:00 (for the monitor and tests).
    i64 seconds();

    // Civil calendar (proleptic Gregorian) <-> days since 1970-01-01, after Howard
    // Hinnant's "chrono-compatible low-level date algorithms".
    struct Date {
        i64 year;
        unsigned month, day; // 1-12, 1-31
    };
    static Date civil_from_days(i64 days);
    static i64 days_from_civil(i64 year, i64 month, i64 day); // month, day may be out of range

private:
    // Time and calendar fields in binary: hour 0-23, weekday 0-6 (Sunday = 0), dow the
    // day-of-week register (1-7, Sunday = 1). While stopped they hold what the guest wrote,
    // unnormalized, as the chip's bytes would (a date is written a field at a time).
    struct Fields {
        i64 year;
        i64 month, day, hour, minute, second;
        unsigned weekday;
        i64 dow;
    };
    Fields fields(i64 seconds) const;
    static i64 seconds_from(const Fields& f);
    Fields live_fields() const; // from m_count, while updating
    void set_count(const Fields& f);
    Fields current_fields();

    u8 reg_a() const { return m_cmos[0x0A]; }
    u8 reg_b() const { return m_cmos[0x0B]; }
    bool divider_running() const { return (reg_a() & 0x60) != 0x60; } // DV2-DV1 = 11: reset
    bool updating() const { return divider_running() && !(reg_b() & 0x80); }
    u8 encode(i64 value) const;
    i64 decode(u8 value) const;
    u8 encode_hour(i64 hour) const;
    i64 decode_hour(u8 value) const;
    u8 time_register(u8 index);
    void write_time_register(u8 index, u8 value);
    bool alarm_matches(i64 seconds) const;

    // Brings the clock to `now`: update cycles (count, UF, AF) and periodic ticks (PF).
    void catch_up(u64 now);
    void update_irq();
    void arm_timers();
    i64 cycle_at(i64 t) const; // 32.768 kHz divider cycles since m_anchor_ns, floored
    u32 periodic_cycles() const;

    VirtualClock& m_clock;
    InterruptLine m_irq8;
    u8 m_cmos[128] {};      // the time bytes (0, 2, 4, 6-9, 0x32) are computed, not kept here
    u8 m_index = 0;
    bool m_nmi_masked = false;
    bool m_irq_level = false;
    u8 m_weekday_offset = 0; // the guest's day-of-week register runs independently of the date
    i64 m_count = 0;         // the RTC's seconds at its last update cycle (or frozen, when stopped)
    i64 m_anchor_ns = 0;     // the virtual time of an update boundary; divider phase reference
    i64 m_pf_sync_ns = 0;    // periodic ticks up to here are accounted in PF
    Fields m_held {};        // the time while not updating (SET, or the divider in reset)
};

} // namespace keel::devices
