// The CMOS RTC and NVRAM (Motorola MC146818A data sheet): the calendar, BCD/binary and
// 12/24-hour encodings, rollovers, time advancing with the virtual clock, the guest setting
// the time, UIP, the divider, periodic/update/alarm interrupts on exact deadlines, register
// C, the NMI mask, NVRAM, the BIOS memory bytes and checksum, save/restore and reset.
#include <catch2/catch.hpp>
#include <vector>
#include "dbt/engine/timer_queue.h"
#include "plugins/devices/cmos_rtc/cmos_rtc.h"

using namespace keel;
using keel::devices::CmosConfig;
using keel::devices::CmosRtc;

namespace {

constexpr u64 second = 1000000000;
constexpr u64 leap_day_2024 = 1709164800; // 2024-02-29 00:00:00 UTC, a Thursday

// The PIC's IRQ8 input: records every level driven.
struct Irq8 : InterruptSink {
    std::vector<bool> levels;
    unsigned rises = 0;
    void set_irq_level(u32 line, bool level) override
    {
        CHECK(line == 8);
        if (level && !high())
            ++rises;
        levels.push_back(level);
    }
    bool high() const { return !levels.empty() && levels.back(); }
};

struct Rig {
    TimerQueue clock;
    Irq8 pin;
    CmosRtc rtc;

    explicit Rig(u64 unix_time = leap_day_2024, CmosConfig config = {}, u64 start_ns = 0)
        : rtc((clock.advance_to(start_ns), clock), InterruptLine { &pin, 8 }, unix_time, config)
    {
    }
    u8 read(u8 index)
    {
        rtc.io_write(0x70, index, 1);
        return static_cast<u8>(rtc.io_read(0x71, 1));
    }
    void write(u8 index, u8 value)
    {
        rtc.io_write(0x70, index, 1);
        rtc.io_write(0x71, value, 1);
    }
    void advance(u64 ns) { clock.advance_to(clock.now_ns() + ns); }
    void at(u64 ns) { clock.advance_to(ns); }
    // h:m:s as the registers read.
    std::vector<u8> hms() { return { read(4), read(2), read(0) }; }
    // century, year, month, day, day of week.
    std::vector<u8> date() { return { read(0x32), read(9), read(8), read(7), read(6) }; }
};

std::vector<u8> saved(const CmosRtc& rtc)
{
    StateWriter w;
    rtc.save(w);
    return std::vector<u8>(w.data().begin(), w.data().end());
}

// Counts interrupts up to `end_ns`, acknowledging each (reading C) as an interrupt handler
// does, so that the next flag can raise the line again.
unsigned count_interrupts(Rig& r, u64 end_ns, u8 expect_flag)
{
    unsigned n = 0;
    while (r.clock.next_deadline() <= end_ns) {
        r.at(r.clock.next_deadline());
        if (r.pin.high()) {
            u8 c = r.read(0x0C);
            CHECK((c & 0x80));
            CHECK((c & expect_flag));
            CHECK_FALSE(r.pin.high());
            ++n;
        }
    }
    r.at(end_ns);
    return n;
}

} // namespace

TEST_CASE("CmosRtc: calendar conversion against a day-by-day count", "[devices]")
{
    CHECK(CmosRtc::days_from_civil(1970, 1, 1) == 0);
    CHECK(CmosRtc::days_from_civil(2024, 2, 29) == static_cast<i64>(leap_day_2024 / 86400));
    CHECK(CmosRtc::days_from_civil(1900, 1, 1) == -25567);
    CHECK(CmosRtc::days_from_civil(2023, 13, 1) == CmosRtc::days_from_civil(2024, 1, 1)); // month carries
    // Walk 1900-01-01 .. 2199-12-31 with the Gregorian leap rule (1900 and 2100 are not
    // leap years, 2000 is).
    i64 days = -25567;
    for (i64 y = 1900; y < 2200; ++y) {
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        const unsigned lengths[12] = { 31, leap ? 29u : 28u, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        for (unsigned m = 1; m <= 12; ++m) {
            for (unsigned d = 1; d <= lengths[m - 1]; ++d, ++days) {
                CmosRtc::Date date = CmosRtc::civil_from_days(days);
                if (date.year != y || date.month != m || date.day != d)
                    FAIL("day " << days << " is " << date.year << "-" << date.month << "-" << date.day);
                if (CmosRtc::days_from_civil(y, m, d) != days)
                    FAIL("days_from_civil(" << y << "-" << m << "-" << d << ") != " << days);
            }
        }
    }
}

TEST_CASE("CmosRtc: a known date in BCD and in binary", "[devices]")
{
    Rig r(leap_day_2024 + 13 * 3600 + 5 * 60 + 9); // 13:05:09
    CHECK(r.read(0x0B) == 0x02);                  // power-on: 24-hour, BCD
    CHECK(r.hms() == std::vector<u8> { 0x13, 0x05, 0x09 });
    CHECK(r.date() == std::vector<u8> { 0x20, 0x24, 0x02, 0x29, 0x05 }); // Thursday = 5 (Sunday = 1)

    r.write(0x0B, 0x06); // DM: binary
    CHECK(r.hms() == std::vector<u8> { 13, 5, 9 });
    CHECK(r.date() == std::vector<u8> { 20, 24, 2, 29, 5 });
}

TEST_CASE("CmosRtc: 12-hour mode puts PM in bit 7", "[devices]")
{
    struct Case {
        u64 hour;
        u8 bcd, binary;
    };
    const Case cases[] = { { 0, 0x12, 12 }, { 1, 0x01, 1 }, { 11, 0x11, 11 }, { 12, 0x92, 0x8C }, { 13, 0x81, 0x81 }, { 23, 0x91, 0x8B } };
    for (const Case& c : cases) {
        Rig r(leap_day_2024 + c.hour * 3600);
        r.write(0x0B, 0x00); // 12-hour BCD
        CHECK(r.read(4) == c.bcd);
        r.write(0x0B, 0x04); // 12-hour binary
        CHECK(r.read(4) == c.binary);
    }
    // Writing hours in 12-hour mode: 12 AM is midnight, 12 PM is noon, 7 PM is 19.
    Rig r;
    r.write(0x0B, 0x00);
    const std::pair<u8, u8> writes[] = { { 0x12, 0x00 }, { 0x92, 0x12 }, { 0x87, 0x19 }, { 0x07, 0x07 } };
    for (auto [written, hour24] : writes) {
        r.write(0x0B, 0x80); // SET, 12-hour BCD
        r.write(4, written);
        r.write(0x0B, 0x02); // 24-hour BCD
        CHECK(r.read(4) == hour24);
        r.write(0x0B, 0x00);
    }
}

TEST_CASE("CmosRtc: rollovers of the century, leap days and months", "[devices]")
{
    struct Case {
        u64 unix_time; // one second before
        std::vector<u8> before, after; // century, year, month, day, weekday
    };
    const Case cases[] = {
        { 946684799, { 0x19, 0x99, 0x12, 0x31, 6 }, { 0x20, 0x00, 0x01, 0x01, 7 } }, // Friday -> Saturday
        { 1709164799, { 0x20, 0x24, 0x02, 0x28, 4 }, { 0x20, 0x24, 0x02, 0x29, 5 } }, // leap year
        { 1677628799, { 0x20, 0x23, 0x02, 0x28, 3 }, { 0x20, 0x23, 0x03, 0x01, 4 } }, // common year
        { 951782399, { 0x20, 0x00, 0x02, 0x28, 2 }, { 0x20, 0x00, 0x02, 0x29, 3 } },  // 2000 is leap
        { 4107542399, { 0x21, 0x00, 0x02, 0x28, 1 }, { 0x21, 0x00, 0x03, 0x01, 2 } }, // 2100 is not
    };
    for (const Case& c : cases) {
        Rig r(c.unix_time);
        CHECK(r.hms() == std::vector<u8> { 0x23, 0x59, 0x59 });
        CHECK(r.date() == c.before);
        r.advance(second - 1);
        CHECK(r.read(0) == 0x59);
        r.advance(1);
        CHECK(r.hms() == std::vector<u8> { 0x00, 0x00, 0x00 });
        CHECK(r.date() == c.after);
    }
}

TEST_CASE("CmosRtc: time advances with the virtual clock", "[devices]")
{
    Rig r(leap_day_2024, {}, 7 * second + 250000000); // built at 7.25 s: wall time counts from clock zero
    CHECK(r.hms() == std::vector<u8> { 0x00, 0x00, 0x07 });
    CHECK(r.rtc.seconds() == static_cast<i64>(leap_day_2024 + 7));
    r.at(8 * second - 1);
    CHECK(r.read(0) == 0x07);
    r.at(8 * second);
    CHECK(r.read(0) == 0x08);
    r.advance(3661 * second);
    CHECK(r.hms() == std::vector<u8> { 0x01, 0x01, 0x09 });
    r.advance(2 * 86400 * second);
    CHECK(r.date() == std::vector<u8> { 0x20, 0x24, 0x03, 0x02, 0x07 }); // Saturday 2 March
}

TEST_CASE("CmosRtc: the guest sets the time under SET; the divider keeps its phase", "[devices]")
{
    Rig r;
    r.at(300000000);
    r.write(0x0B, 0x82); // SET: updates stop
    r.at(5 * second + 600000000);
    CHECK(r.hms() == std::vector<u8> { 0x00, 0x00, 0x00 }); // frozen
    r.write(0, 0x58), r.write(2, 0x59), r.write(4, 0x23);
    r.write(7, 0x31), r.write(8, 0x12), r.write(9, 0x99), r.write(0x32, 0x19);
    CHECK(r.hms() == std::vector<u8> { 0x23, 0x59, 0x58 });
    r.at(7 * second);
    CHECK(r.read(0) == 0x58); // still frozen
    r.write(0x0B, 0x02);      // clear SET at 7.0 s: the next update is at 8.0 s, the old phase
    r.at(8 * second - 1);
    CHECK(r.read(0) == 0x58);
    r.at(8 * second);
    CHECK(r.read(0) == 0x59);
    r.at(9 * second);
    CHECK(r.hms() == std::vector<u8> { 0x00, 0x00, 0x00 });
    CHECK(r.read(0x32) == 0x20);
    CHECK(r.read(9) == 0x00);
    CHECK(r.rtc.seconds() == 946684800);

    // Without SET a write takes effect at once, in binary mode too.
    r.write(0x0B, 0x06);
    r.write(2, 30);
    CHECK(r.read(2) == 30);
    CHECK(r.rtc.seconds() == 946684800 + 30 * 60);
    // Out-of-range values are normalized: 31 February 2000 is 2 March.
    r.write(8, 2), r.write(7, 31);
    CHECK(r.read(8) == 3);
    CHECK(r.read(7) == 2);
    // Under SET the fields read back as written, in any order, and are normalized when
    // counting resumes.
    r.write(0x0B, 0x86);
    r.write(7, 31), r.write(8, 2), r.write(9, 23);
    CHECK(r.read(7) == 31);
    CHECK(r.read(8) == 2);
    r.write(8, 5);
    r.write(0x0B, 0x06);
    CHECK(r.read(8) == 5);
    CHECK(r.read(7) == 31);
    CHECK(r.read(9) == 23);
    r.write(0x0B, 0x86);
    r.write(8, 2);
    r.write(0x0B, 0x06);
    CHECK(r.read(8) == 3); // 31 February 2023 is 3 March
    CHECK(r.read(7) == 3);
}

TEST_CASE("CmosRtc: the day-of-week register runs on its own", "[devices]")
{
    Rig r(leap_day_2024 + 86400 - 1); // Thursday 23:59:59
    CHECK(r.read(6) == 5);
    r.write(6, 2); // the guest says Monday
    CHECK(r.read(6) == 2);
    r.advance(second);
    CHECK(r.read(6) == 3); // and it counts from there
    r.write(7, 0x10);      // setting the date does not touch it (data sheet: separate byte)
    CHECK(r.read(6) == 3);
    r.write(6, 7);
    r.advance(86400 * second);
    CHECK(r.read(6) == 1); // Saturday -> Sunday wraps 7 -> 1
}

TEST_CASE("CmosRtc: UIP is set in the 244 us before each update", "[devices]")
{
    Rig r;
    CHECK((r.read(0x0A) & 0x7F) == 0x26);
    r.at(500000000);
    CHECK_FALSE(r.read(0x0A) & 0x80);
    r.at(second - CmosRtc::uip_window_ns - 1);
    CHECK_FALSE(r.read(0x0A) & 0x80);
    r.at(second - CmosRtc::uip_window_ns);
    CHECK(r.read(0x0A) == 0xA6);
    CHECK(r.read(0) == 0x00); // the old second until the update
    r.at(second - 1);
    CHECK(r.read(0x0A) & 0x80);
    r.at(second);
    CHECK(r.read(0x0A) == 0x26);
    CHECK(r.read(0) == 0x01);
    // SET inhibits updates and so UIP; writes to A's bit 7 are ignored.
    r.at(2 * second - 1000);
    CHECK(r.read(0x0A) & 0x80);
    r.write(0x0B, 0x82);
    CHECK_FALSE(r.read(0x0A) & 0x80);
    r.write(0x0A, 0xA6);
    CHECK(r.read(0x0A) == 0x26);
}

TEST_CASE("CmosRtc: divider reset stops the clock; release updates 500 ms later", "[devices]")
{
    Rig r;
    r.at(2 * second + 100);
    r.write(0x0A, 0x76); // DV = 111: divider held in reset
    r.at(10 * second);
    CHECK(r.read(0) == 0x02);
    CHECK_FALSE(r.read(0x0A) & 0x80);
    CHECK(r.clock.armed_count() == 0);
    r.write(0x0A, 0x26); // released at 10.0 s
    r.at(10 * second + 500000000 - 1);
    CHECK(r.read(0) == 0x02);
    r.at(10 * second + 500000000);
    CHECK(r.read(0) == 0x03);
    r.at(11 * second + 500000000);
    CHECK(r.read(0) == 0x04);
}

TEST_CASE("CmosRtc: periodic interrupt counts at each rate over 1 s", "[devices]")
{
    struct Case {
        u8 rate;
        unsigned per_second;
    };
    const Case cases[] = { { 1, 256 }, { 2, 128 }, { 3, 8192 }, { 6, 1024 }, { 10, 64 }, { 15, 2 } };
    for (const Case& c : cases) {
        Rig r;
        r.write(0x0A, static_cast<u8>(0x20 | c.rate));
        r.write(0x0B, 0x42); // PIE
        INFO("rate " << int(c.rate));
        CHECK(count_interrupts(r, second, 0x40) == c.per_second);
    }
    // 1024 Hz: the first tick at ceil(1e9 / 1024) ns, and no drift over 10 s.
    Rig r;
    r.write(0x0B, 0x42);
    CHECK(r.clock.next_deadline() == 976563);
    r.at(976562);
    CHECK_FALSE(r.pin.high());
    r.at(976563);
    CHECK(r.pin.high());
    CHECK(r.read(0x0C) == 0xC0);
    CHECK(count_interrupts(r, 10 * second, 0x40) == 10 * 1024 - 1);
    // Rate 0 stops it.
    r.write(0x0A, 0x20);
    CHECK(count_interrupts(r, 11 * second, 0x40) == 0);
}

TEST_CASE("CmosRtc: flags are set with their interrupts disabled; enabling raises IRQ8", "[devices]")
{
    Rig r;
    r.at(1500000);
    CHECK(r.read(0x0C) == 0x40); // PF, no IRQF
    CHECK(r.read(0x0C) == 0x00); // cleared by the read
    r.at(second);
    CHECK(r.read(0x0C) == 0x50); // PF and UF
    r.at(2 * second);
    CHECK_FALSE(r.pin.high());
    r.write(0x0B, 0x12); // UIE with UF pending: IRQF at once
    CHECK(r.pin.high());
    r.write(0x0B, 0x02); // IRQF follows the enables
    CHECK_FALSE(r.pin.high());
    CHECK(r.read(0x0C) == 0x50);
}

TEST_CASE("CmosRtc: update-ended interrupt once per second; SET clears UIE", "[devices]")
{
    Rig r;
    r.write(0x0A, 0x20); // no periodic ticks
    r.write(0x0B, 0x12); // UIE
    CHECK(r.clock.next_deadline() == second);
    r.at(second - 1);
    CHECK_FALSE(r.pin.high());
    r.at(second);
    CHECK(r.pin.high());
    CHECK(r.read(0x0C) == 0x90);
    CHECK(count_interrupts(r, 6 * second, 0x10) == 5);
    CHECK(r.pin.rises == 6);
    r.write(0x0B, 0x92); // SET with UIE: UIE is cleared (data sheet, register B)
    CHECK(r.read(0x0B) == 0x82);
}

TEST_CASE("CmosRtc: alarm on h:m:s with don't-care bytes", "[devices]")
{
    Rig r;
    r.write(0x0A, 0x20);
    r.write(1, 0x05), r.write(3, 0x00), r.write(5, 0x00); // 00:00:05
    CHECK(r.read(1) == 0x05);
    r.write(0x0B, 0x22); // AIE
    r.at(5 * second - 1);
    CHECK_FALSE(r.pin.high());
    r.at(5 * second);
    CHECK(r.pin.high());
    CHECK(r.read(0x0C) == 0xB0); // IRQF, AF, UF
    CHECK(count_interrupts(r, 120 * second, 0x20) == 0); // only once a day

    // Seconds 30 of any minute of any hour.
    r.write(3, 0xC0), r.write(5, 0xFF), r.write(1, 0x30);
    CHECK(count_interrupts(r, 300 * second, 0x20) == 3); // 02:30, 03:30, 04:30
    // Everything don't-care: every second.
    r.write(1, 0xC0);
    CHECK(count_interrupts(r, 310 * second, 0x20) == 10);
    // 12-hour encodings compare as the registers read: 12 AM is 0x12.
    Rig h;
    h.write(0x0A, 0x20);
    h.write(0x0B, 0x20); // AIE, 12-hour BCD
    h.write(1, 0x03), h.write(3, 0x00), h.write(5, 0x12);
    h.at(3 * second);
    CHECK(h.pin.high());
    // AF without AIE: the flag only.
    Rig f;
    f.write(1, 0xC0), f.write(3, 0xC0), f.write(5, 0xC0);
    f.at(second);
    CHECK_FALSE(f.pin.high());
    CHECK((f.read(0x0C) & 0xA0) == 0x20);
}

TEST_CASE("CmosRtc: an alarm missed while timers lagged is still flagged", "[devices]")
{
    Rig r;
    r.write(1, 0x05), r.write(3, 0x00), r.write(5, 0x00);
    r.rtc.timer_expired(CmosRtc::update_timer, 10 * second); // a late engine: 10 updates at once
    r.clock.advance_to(10 * second);
    CHECK((r.read(0x0C) & 0x30) == 0x30);
    CHECK(r.read(0) == 0x10);
}

TEST_CASE("CmosRtc: reading register C returns and clears the flags and lowers IRQ8", "[devices]")
{
    Rig r;
    r.write(0x0B, 0x52); // PIE and UIE
    r.at(second);
    CHECK(r.pin.high());
    r.rtc.io_write(0x70, 0x0C, 1);
    CHECK(r.rtc.io_read(0x71, 1) == 0xD0);
    CHECK_FALSE(r.pin.high());
    CHECK(r.rtc.io_read(0x71, 1) == 0x00);
    r.write(0x0C, 0xFF); // read-only
    CHECK(r.read(0x0C) == 0x00);
}

TEST_CASE("CmosRtc: port 0x70 bit 7 masks NMI; register D reads VRT", "[devices]")
{
    Rig r;
    CHECK_FALSE(r.rtc.nmi_masked());
    r.write(0x40, 0xA5);
    r.rtc.io_write(0x70, 0x80 | 0x40, 1);
    CHECK(r.rtc.nmi_masked());
    CHECK(r.rtc.io_read(0x71, 1) == 0xA5); // bit 7 is not part of the index
    CHECK(r.rtc.io_read(0x70, 1) == 0xFF);  // the index is write-only
    r.rtc.io_write(0x70, 0x0D, 1);
    CHECK_FALSE(r.rtc.nmi_masked());
    CHECK(r.rtc.io_read(0x71, 1) == 0x80);
    r.rtc.io_write(0x71, 0x00, 1);
    CHECK(r.rtc.io_read(0x71, 1) == 0x80);
}

TEST_CASE("CmosRtc: NVRAM bytes read back what was written", "[devices]")
{
    Rig r;
    for (unsigned i = 0x0E; i < 0x80; ++i)
        if (i != 0x32)
            r.write(static_cast<u8>(i), static_cast<u8>(i * 7 + 3));
    for (unsigned i = 0x0E; i < 0x80; ++i)
        if (i != 0x32)
            CHECK(r.read(static_cast<u8>(i)) == static_cast<u8>(i * 7 + 3));
    r.write(0x0B, 0x7E); // register B keeps every bit written
    CHECK(r.read(0x0B) == 0x7E);
}

TEST_CASE("CmosRtc: BIOS memory bytes and checksum", "[devices]")
{
    auto check_checksum = [](Rig& r) {
        unsigned sum = 0;
        for (u8 i = 0x10; i <= 0x2D; ++i)
            sum += r.read(i);
        CHECK(r.read(0x2E) == ((sum >> 8) & 0xFF));
        CHECK(r.read(0x2F) == (sum & 0xFF));
    };
    Rig small(leap_day_2024, CmosConfig { 8 * MiB });
    CHECK(small.read(0x0F) == 0x00);
    CHECK(small.read(0x10) == 0x00);
    CHECK(small.read(0x14) == 0x06);
    CHECK(small.read(0x15) == 0x80);
    CHECK(small.read(0x16) == 0x02); // 640 KiB
    CHECK(small.read(0x17) == 0x00);
    CHECK(small.read(0x18) == 0x1C); // 7 MiB = 7168 KiB
    CHECK(small.read(0x30) == 0x00);
    CHECK(small.read(0x31) == 0x1C);
    CHECK(small.read(0x34) == 0x00);
    CHECK(small.read(0x35) == 0x00);
    check_checksum(small);

    Rig mid(leap_day_2024, CmosConfig { 128 * MiB });
    CHECK(mid.read(0x17) == 0xFF);
    CHECK(mid.read(0x18) == 0xFF); // capped
    CHECK(mid.read(0x34) == 0x00);
    CHECK(mid.read(0x35) == 0x07); // 112 MiB / 64 KiB = 0x700
    CHECK(mid.read(0x5B) == 0x00);
    check_checksum(mid);

    Rig big(leap_day_2024, CmosConfig { 6 * GiB });
    CHECK(big.read(0x34) == 0x00);
    CHECK(big.read(0x35) == 0xDF); // (3.5 GiB - 16 MiB) / 64 KiB = 0xDF00
    CHECK(big.read(0x5B) == 0x00);
    CHECK(big.read(0x5C) == 0xA0); // 2.5 GiB / 64 KiB = 0xA000
    CHECK(big.read(0x5D) == 0x00);
    check_checksum(big);

    big.rtc.set_config(CmosConfig { 8 * MiB, 0xE0000000, 0x02 });
    CHECK(big.read(0x14) == 0x02);
    CHECK(big.read(0x5C) == 0x00);
    check_checksum(big);
}

TEST_CASE("CmosRtc: save and restore", "[devices]")
{
    Rig a;
    a.write(0x0B, 0x80 | 0x02);
    a.write(0, 0x42);
    a.write(0x0B, 0x52); // PIE, UIE
    a.write(6, 3);
    a.write(0x50, 0x99);
    a.at(2 * second + 1234);
    CHECK(a.pin.high());
    a.rtc.io_write(0x70, 0x80 | 0x50, 1);
    std::vector<u8> bytes = saved(a.rtc);
    CHECK(bytes.size() == 3 + CmosRtc::state_size);
    CHECK(bytes[0] == CmosRtc::state_version);

    Rig b;
    b.at(2 * second + 1234);
    StateReader in(bytes.data(), bytes.size());
    REQUIRE_FALSE(b.rtc.restore(in).is_error());
    CHECK(in.remaining() == 0);
    CHECK(saved(b.rtc) == bytes);
    CHECK(b.pin.high()); // the line is driven from the restored state
    CHECK(b.rtc.nmi_masked());
    CHECK(b.rtc.io_read(0x71, 1) == 0x99);
    CHECK(b.hms() == a.hms());
    CHECK(b.read(6) == a.read(6));
    CHECK(b.read(0x0C) == a.read(0x0C));
    // Timers re-armed: both keep interrupting alike.
    CHECK(count_interrupts(a, 4 * second, 0x50) == count_interrupts(b, 4 * second, 0x50));
    CHECK(b.hms() == a.hms());
}

TEST_CASE("CmosRtc: restore refuses bad bytes and changes nothing", "[devices]")
{
    Rig a;
    a.write(0x0B, 0x12);
    a.at(second);
    std::vector<u8> good = saved(a.rtc);
    auto corrupt = [&](usize offset, u8 value) {
        std::vector<u8> b = good;
        b[offset] = value;
        return b;
    };
    const usize cmos = 5; // version, size, index, NMI
    std::vector<std::vector<u8>> bad = {
        corrupt(0, 2),                   // version
        corrupt(1, 0x10),                // size
        std::vector<u8>(good.begin(), good.end() - 1), // truncated
        corrupt(3, 0x80),                // index out of range
        corrupt(4, 2),                   // not a boolean
        corrupt(cmos + 0x0A, 0xA6),      // UIP stored
        corrupt(cmos + 0x0C, 0x10),      // UF without IRQF though UIE is set
        corrupt(cmos + 0x0D, 0x00),      // VRT clear
        corrupt(cmos + 128 + 24, 7),     // weekday offset
        corrupt(cmos + 128 + 25, 0),     // line low with IRQF set
    };
    Rig b(1234567890);
    b.write(0x60, 0x11);
    std::vector<u8> before = saved(b.rtc);
    for (const auto& bytes : bad) {
        StateReader in(bytes.data(), bytes.size());
        Result<void> r = b.rtc.restore(in);
        CHECK(r.is_error());
        CHECK(saved(b.rtc) == before);
    }
    CHECK(b.pin.levels == std::vector<bool> { false }); // only the reset at construction
}

TEST_CASE("CmosRtc: reset clears the enables and flags, keeps the clock and RAM", "[devices]")
{
    Rig r;
    r.write(0x0B, 0x7E); // PIE AIE UIE SQWE, binary, 24-hour
    r.write(0x0A, 0x23);
    r.write(0x40, 0x5A);
    r.write(0x0F, 0x0A); // shutdown status: a BIOS reads it after the reset
    r.rtc.io_write(0x70, 0x80, 1);
    r.at(3 * second);
    CHECK(r.pin.high());
    r.rtc.reset();
    CHECK_FALSE(r.pin.high());
    CHECK_FALSE(r.rtc.nmi_masked());
    CHECK(r.read(0x0B) == 0x06);
    CHECK(r.read(0x0C) == 0x00);
    CHECK(r.read(0x0A) == 0x23);
    CHECK(r.read(0x40) == 0x5A);
    CHECK(r.read(0x0F) == 0x0A);
    CHECK(r.read(0) == 3);
    CHECK(r.clock.armed_count() == 1); // the update timer only: no periodic interrupt
}
