// The 8254 interval timer (Intel 8254 data sheet, 231164) and port B (0x61): the CLK grid,
// modes 0-5 with OUT and IRQ0 edges at exact virtual times, access modes and flip-flops,
// counter latch and read-back, BCD, GATE2 and the calibration loop, reprogramming,
// save/restore and reset. A count written at CLK edge k is in CE from edge k + 1 on.
#include <catch2/catch.hpp>
#include <vector>
#include "dbt/engine/timer_queue.h"
#include "plugins/devices/pit8254/pit8254.h"

using namespace keel;
using keel::devices::Pit8254;

namespace {

// IR0 of the PIC: records the time of every rising edge.
struct Irq0Pin : InterruptSink {
    const TimerQueue* clock = nullptr;
    bool level = false;
    std::vector<u64> rising; // ns
    void set_irq_level(u32 line, bool high) override
    {
        CHECK(line == 0);
        if (high && !level)
            rising.push_back(clock->now_ns());
        level = high;
    }
};

struct Rig {
    TimerQueue clock;
    Irq0Pin pin;
    Pit8254 pit { clock, InterruptLine { &pin, 0 } };

    Rig() { pin.clock = &clock; }
    void out(u16 port, u8 v) { pit.io_write(port, v, 1); }
    u8 in(u16 port) { return static_cast<u8>(pit.io_read(port, 1)); }
    void to_tick(u64 k) { clock.advance_to(Pit8254::tick_time(k)); }
    // Control word, then the count in the channel's access mode (lobyte then hibyte).
    void program(unsigned ch, u8 control, u16 count)
    {
        out(0x43, static_cast<u8>(ch << 6 | control));
        out(static_cast<u16>(0x40 + ch), count & 0xFF);
        out(static_cast<u16>(0x40 + ch), count >> 8);
    }
    u16 latched_count(unsigned ch)
    {
        out(0x43, static_cast<u8>(ch << 6)); // counter latch command
        u8 lo = in(static_cast<u16>(0x40 + ch));
        return static_cast<u16>(lo | in(static_cast<u16>(0x40 + ch)) << 8);
    }
    u8 status(unsigned ch)
    {
        out(0x43, static_cast<u8>(0xE0 | 2 << ch)); // read-back: status only
        return in(static_cast<u16>(0x40 + ch));
    }
    std::vector<u8> saved() const
    {
        StateWriter w;
        pit.save(w);
        return std::vector<u8>(w.data().begin(), w.data().end());
    }
};

constexpr u16 pit_100hz = 11932; // 1193182 / 100, rounded

} // namespace

TEST_CASE("Pit8254: the CLK grid is exact integer arithmetic", "[devices]")
{
    CHECK(Pit8254::ticks_at(0) == 0);
    CHECK(Pit8254::ticks_at(1000000000) == 1193182);
    CHECK(Pit8254::ticks_at(838) == 0);
    CHECK(Pit8254::ticks_at(839) == 1); // 1 / 1.193182 MHz = 838.095 ns
    CHECK(Pit8254::tick_time(1) == 839);
    CHECK(Pit8254::ticks_at(1000000000000000000ull) == 1193182000000000ull); // ~31 years, no overflow
    for (u64 k : { 1ull, 2ull, 11932ull, 1193181ull, 1193182ull, 1193183ull, 123456789ull, 1ull << 40, 1ull << 50 }) {
        INFO("tick " << k);
        CHECK(Pit8254::ticks_at(Pit8254::tick_time(k)) == k);
        CHECK(Pit8254::ticks_at(Pit8254::tick_time(k) - 1) == k - 1);
    }
}

TEST_CASE("Pit8254: mode 2 at 100 Hz gives one IRQ0 edge per period, without drift", "[devices]")
{
    Rig r;
    r.program(0, 0x34, pit_100hz); // channel 0, LSB then MSB, mode 2, binary (Linux, SeaBIOS)
    CHECK(r.clock.armed_count() == 1);
    for (u64 n = 1; n <= 100; ++n) {
        u64 edge = Pit8254::tick_time(1 + n * pit_100hz);
        r.clock.advance_to(edge - 1);
        REQUIRE(r.pin.rising.size() == n - 1);
        r.clock.advance_to(edge);
        REQUIRE(r.pin.rising.size() == n);
        CHECK(r.pin.rising.back() == edge);
    }
    CHECK_FALSE(r.pin.level); // pulses: the line is left low
    // An hour of virtual time: still exactly one edge per 11932 CLKs, one timer armed.
    u64 hour = 3600ull * 1000000000;
    r.clock.advance_to(hour);
    CHECK(r.pin.rising.size() == (Pit8254::ticks_at(hour) - 1) / pit_100hz);
    CHECK(r.pin.rising.back() == Pit8254::tick_time(1 + r.pin.rising.size() * pit_100hz));
    CHECK(r.clock.armed_count() == 1);
    // OUT is low for one CLK while CE is 1, between edges (data sheet, "Mode 2").
    u64 next = 1 + (r.pin.rising.size() + 1) * pit_100hz;
    r.to_tick(next - 2);
    CHECK(r.pit.out(0));
    CHECK(r.pit.count(0) == 2);
    r.to_tick(next - 1);
    CHECK_FALSE(r.pit.out(0));
    CHECK(r.pit.count(0) == 1);
    CHECK((r.status(0) & 0x80) == 0);
    r.to_tick(next);
    CHECK(r.pit.out(0));
    CHECK(r.pit.count(0) == pit_100hz);
}

TEST_CASE("Pit8254: mode 3 square wave levels, count by twos, and IRQ0 edges", "[devices]")
{
    Rig r;
    r.program(0, 0x36, 10); // mode 3, N = 10: high 5 CLKs, low 5
    const u16 even_counts[10] = { 10, 8, 6, 4, 2, 10, 8, 6, 4, 2 };
    for (u64 e = 0; e < 30; ++e) {
        r.to_tick(1 + e);
        INFO("edge " << e);
        CHECK(r.pit.out(0) == (e % 10 < 5));
        CHECK(r.latched_count(0) == even_counts[e % 10]);
    }
    CHECK(r.pin.rising.size() == 2); // at e = 10 and 20
    CHECK(r.pin.rising[1] == Pit8254::tick_time(21));

    // Odd N = 5: high for (N+1)/2 = 3 CLKs, low for (N-1)/2 = 2; CE loses 1, then 3, after a reload.
    r.program(0, 0x36, 5);
    u64 start = Pit8254::ticks_at(r.clock.now_ns()) + 1;
    const bool levels[5] = { true, true, true, false, false };
    const u16 odd_counts[5] = { 5, 4, 2, 5, 2 };
    for (u64 e = 0; e < 15; ++e) {
        r.to_tick(start + e);
        INFO("odd, edge " << e);
        CHECK(r.pit.out(0) == levels[e % 5]);
        CHECK(r.latched_count(0) == odd_counts[e % 5]);
    }
    CHECK(r.pin.rising.size() == 4);
    CHECK(r.pin.rising.back() == Pit8254::tick_time(start + 10));
}

TEST_CASE("Pit8254: mode 0 one shot raises IRQ0 at terminal count and holds it", "[devices]")
{
    Rig r;
    r.out(0x43, 0x30); // mode 0: OUT low on the control word
    CHECK_FALSE(r.pit.out(0));
    r.out(0x40, 100);
    r.out(0x40, 0);
    r.to_tick(100);
    CHECK(r.latched_count(0) == 1);
    CHECK_FALSE(r.pin.level);
    r.to_tick(101);
    CHECK(r.pin.level);
    CHECK(r.pin.rising == std::vector<u64> { Pit8254::tick_time(101) });
    CHECK(r.latched_count(0) == 0);
    r.to_tick(106); // CE wraps and keeps counting; OUT stays high
    CHECK(r.latched_count(0) == 65531);
    CHECK(r.pit.out(0));
    r.clock.advance_to(10ull * 1000000000);
    CHECK(r.pin.rising.size() == 1);
    CHECK(r.pin.level);
    CHECK(r.clock.armed_count() == 0);
    CHECK((r.status(0) & 0x80) == 0x80);
    r.out(0x43, 0x30); // a new control word drops OUT and the line
    CHECK_FALSE(r.pin.level);
    CHECK_FALSE(r.pit.out(0));
}

TEST_CASE("Pit8254: counter latch holds a count until both bytes are read", "[devices]")
{
    Rig r;
    r.program(0, 0x34, 1000);
    r.to_tick(101); // e = 100
    r.out(0x43, 0x00);
    r.to_tick(201);
    r.out(0x43, 0x00); // ignored: the first latch is not yet read
    CHECK(r.in(0x40) == (900 & 0xFF));
    r.to_tick(301);
    CHECK(r.in(0x40) == (900 >> 8));
    // Released: live counts again, through the same flip-flop.
    CHECK(r.in(0x40) == (700 & 0xFF));
    CHECK(r.in(0x40) == (700 >> 8));
    CHECK(r.latched_count(0) == 700);
}

TEST_CASE("Pit8254: read-back command latches status and counts", "[devices]")
{
    Rig r;
    r.out(0x43, 0x34);
    CHECK(r.status(0) == 0xF4); // OUT high (mode 2), null count, LSB/MSB, mode 2, binary
    r.out(0x40, 0x00);
    r.out(0x40, 0x10); // 0x1000, in CE at the next CLK
    CHECK(r.status(0) == 0xF4);
    r.to_tick(1);
    CHECK(r.status(0) == 0xB4);
    r.out(0x43, 0xB1); // channel 2: LSB/MSB, mode 0, BCD
    CHECK(r.status(2) == 0x71); // OUT low in mode 0
    r.out(0x43, 0x50); // channel 1: LSB only, mode 0
    CHECK(r.status(1) == 0x50);

    // 0xC2: count and status of channel 0; status is read first, then the count's two bytes.
    r.to_tick(0x101);
    r.out(0x43, 0xC2);
    r.to_tick(0x201);
    r.out(0x43, 0xC2); // both already latched: ignored
    CHECK(r.in(0x40) == 0xB4);
    CHECK(r.in(0x40) == 0x00);
    CHECK(r.in(0x40) == 0x0F); // 0x1000 - 0x100
    // Several channels at once, count only: bit 1 selects channel 0, bit 3 channel 2.
    r.program(2, 0xB0, 0x2000); // channel 2: gate low, the count holds
    r.out(0x43, 0xDA);           // count only (bit 4 = !STATUS), channels 0 and 2
    r.to_tick(0x301);
    CHECK(r.in(0x40) == 0x00);
    CHECK(r.in(0x40) == 0x0E); // 0x1000 - 0x200
    CHECK(r.in(0x42) == 0x00);
    CHECK(r.in(0x42) == 0x20);
    CHECK(r.in(0x40) == 0x00); // live again: 0x1000 - 0x300
    CHECK(r.in(0x40) == 0x0D);
    r.out(0x43, 0xE4); // status only, channel 1: the count is not latched
    CHECK(r.in(0x41) == 0x50);
}

TEST_CASE("Pit8254: access modes and per-channel LSB/MSB flip-flops", "[devices]")
{
    Rig r;
    r.out(0x43, 0x14); // channel 0, LSB only, mode 2: MSB is 0
    r.out(0x40, 200);
    r.to_tick(51);
    CHECK(r.in(0x40) == 150);
    CHECK(r.in(0x40) == 150); // every read is the LSB
    CHECK(r.pit.channel(0).period == 200);
    r.out(0x43, 0x24); // MSB only: LSB is 0
    r.out(0x40, 0x02);
    CHECK(r.pit.channel(0).period == 0x200);
    r.to_tick(52 + 0x100);
    CHECK(r.in(0x40) == 0x01);
    CHECK(r.in(0x40) == 0x01);
    // Interleaved LSB/MSB writes to two channels: each has its own flip-flop.
    r.out(0x43, 0x34);
    r.out(0x43, 0xB4);
    r.out(0x40, 0x34);
    r.out(0x42, 0x78);
    r.out(0x40, 0x12);
    r.out(0x42, 0x56);
    CHECK(r.pit.channel(0).cr == 0x1234);
    CHECK(r.pit.channel(2).cr == 0x5678);
    // A read in the middle of a pair continues with the MSB.
    r.out(0x43, 0x00);
    CHECK(r.in(0x40) == 0x34);
    r.out(0x43, 0x80);
    CHECK(r.in(0x42) == 0x78);
    CHECK(r.in(0x40) == 0x12);
    CHECK(r.in(0x42) == 0x56);
    CHECK(r.in(0x43) == 0xFF); // the control register is write-only
    CHECK(r.pit.io_read(0x42, 2) == 0xFF78); // 8-bit device: upper bytes float
}

TEST_CASE("Pit8254: count readback decreases by one per CLK; 0 means 65536", "[devices]")
{
    Rig r;
    r.program(0, 0x34, 1000);
    CHECK(r.latched_count(0) == 1000); // not yet in CE: reads as loaded
    for (u64 e : { 0u, 1u, 2u, 499u, 998u, 999u, 1000u, 1001u, 2999u }) {
        r.to_tick(1 + e);
        INFO("edge " << e);
        CHECK(r.latched_count(0) == 1000 - e % 1000);
    }
    r.program(0, 0x34, 0); // 65536
    u64 start = Pit8254::ticks_at(r.clock.now_ns()) + 1;
    usize before = r.pin.rising.size();
    r.to_tick(start);
    CHECK(r.latched_count(0) == 0);
    r.to_tick(start + 1);
    CHECK(r.latched_count(0) == 65535);
    r.to_tick(start + 65535);
    CHECK(r.latched_count(0) == 1);
    CHECK(r.pin.rising.size() == before);
    r.to_tick(start + 65536);
    CHECK(r.pin.rising.size() == before + 1);
    CHECK(r.pin.rising.back() == Pit8254::tick_time(start + 65536)); // 18.2 Hz
}

TEST_CASE("Pit8254: channel 2 gated by port 0x61, OUT2 in bit 5, refresh toggle", "[devices]")
{
    Rig r;
    CHECK(r.in(0x61) == 0x00);
    r.out(0x61, 0xFF);
    CHECK((r.in(0x61) & 0xCF) == 0x0F); // bits 7-4 are status
    r.out(0x61, 0x00);
    // Bit 4 follows the refresh request every 18 CLKs.
    r.to_tick(18);
    CHECK((r.in(0x61) & 0x10) == 0x10);
    r.to_tick(36);
    CHECK((r.in(0x61) & 0x10) == 0x00);

    // Mode 0 with GATE2 low: loaded but not counting.
    r.program(2, 0xB0, 500);
    r.to_tick(1000);
    CHECK(r.latched_count(2) == 500);
    CHECK((r.in(0x61) & 0x20) == 0);
    r.out(0x61, 0x01); // gate high at edge 1000: counting from 1001
    r.to_tick(1201);
    CHECK(r.latched_count(2) == 300);
    r.out(0x61, 0x00); // gate low again: held
    r.to_tick(5000);
    CHECK(r.latched_count(2) == 300);
    r.out(0x61, 0x01);
    r.to_tick(5000 + 300);
    CHECK((r.in(0x61) & 0x20) == 0);
    r.to_tick(5001 + 300);
    CHECK((r.in(0x61) & 0x20) == 0x20);
    CHECK(r.pin.rising.empty()); // channel 2 is not IRQ0

    // Mode 3 (a beep): GATE low forces OUT high and stops; the rising edge restarts the count.
    r.out(0x61, 0x00);
    r.program(2, 0xB6, 100);
    CHECK(r.pit.out(2));
    r.out(0x61, 0x03); // gate and speaker data
    u64 start = Pit8254::ticks_at(r.clock.now_ns()) + 1;
    r.to_tick(start + 50);
    CHECK_FALSE(r.pit.out(2));
    CHECK_FALSE(r.pit.speaker());
    r.to_tick(start + 100);
    CHECK(r.pit.speaker());
    r.to_tick(start + 160);
    r.out(0x61, 0x02);
    CHECK(r.pit.out(2)); // forced high
    CHECK(r.latched_count(2) == 80);
    r.to_tick(start + 200);
    r.out(0x61, 0x03);
    CHECK(r.latched_count(2) == 100);
    r.to_tick(start + 201 + 50);
    CHECK_FALSE(r.pit.out(2));
}

TEST_CASE("Pit8254: the calibration loop (channel 2 mode 0, poll port 0x61 bit 5)", "[devices]")
{
    // Linux's pit_calibrate_tsc()/keel's: 50 ms one-shot on channel 2, speaker off.
    Rig r;
    r.clock.advance_to(123456789);
    const u16 latch = 1193182 / (1000 / 50);
    r.out(0x61, static_cast<u8>((r.in(0x61) & ~0x02) | 0x01));
    r.out(0x43, 0xB0);
    r.out(0x42, latch & 0xFF);
    r.out(0x42, latch >> 8);
    u64 start = r.clock.now_ns();
    u64 polls = 0;
    while ((r.in(0x61) & 0x20) == 0) {
        r.clock.advance_to(r.clock.now_ns() + 1000); // 1 us per poll
        ++polls;
    }
    u64 expected = Pit8254::tick_time(Pit8254::ticks_at(start) + 1 + latch);
    CHECK(r.clock.now_ns() >= expected);
    CHECK(r.clock.now_ns() < expected + 1000);
    CHECK(polls > 49000);
    CHECK(polls < 50100);
}

TEST_CASE("Pit8254: BCD counting in mode 0 and BCD 0 = 10000", "[devices]")
{
    Rig r;
    r.program(0, 0x31, 0x0100); // mode 0, BCD: 100 decimal
    CHECK(r.pit.channel(0).start_count == 100);
    r.to_tick(11);
    CHECK(r.latched_count(0) == 0x0090);
    r.to_tick(92);
    CHECK(r.latched_count(0) == 0x0009);
    CHECK_FALSE(r.pin.level);
    r.to_tick(101);
    CHECK(r.pin.level);
    CHECK(r.latched_count(0) == 0x0000);
    r.to_tick(102);
    CHECK(r.latched_count(0) == 0x9999); // wraps in decimal
    r.to_tick(103);
    CHECK(r.latched_count(0) == 0x9998);

    r.program(0, 0x35, 0x0000); // mode 2, BCD 0 = 10000
    u64 start = Pit8254::ticks_at(r.clock.now_ns()) + 1;
    r.to_tick(start + 1);
    CHECK(r.latched_count(0) == 0x9999);
    usize before = r.pin.rising.size();
    r.to_tick(start + 10000);
    CHECK(r.pin.rising.size() == before + 1);
}

TEST_CASE("Pit8254: reprogramming mid-count", "[devices]")
{
    Rig r;
    // Mode 2: a new count waits for the end of the current period.
    r.program(0, 0x34, 1000);
    r.to_tick(301);
    r.out(0x40, 500 & 0xFF);
    r.out(0x40, 500 >> 8);
    CHECK((r.status(0) & 0x40) == 0x40); // null count until the reload
    r.to_tick(1000);
    CHECK(r.latched_count(0) == 1);
    r.to_tick(1001);
    CHECK(r.latched_count(0) == 500);
    CHECK((r.status(0) & 0x40) == 0);
    r.to_tick(3001);
    CHECK(r.pin.rising == std::vector<u64> { Pit8254::tick_time(1001), Pit8254::tick_time(1501),
                                             Pit8254::tick_time(2001), Pit8254::tick_time(2501),
                                             Pit8254::tick_time(3001) });

    // Mode 0: the first byte stops counting, the second restarts from the new count.
    r.program(0, 0x30, 1000);
    u64 k = Pit8254::ticks_at(r.clock.now_ns());
    r.to_tick(k + 401);
    CHECK(r.latched_count(0) == 600);
    r.out(0x40, 2000 & 0xFF);
    r.to_tick(k + 2000);
    CHECK(r.latched_count(0) == 600);
    CHECK_FALSE(r.pit.out(0));
    r.out(0x40, 2000 >> 8);
    r.to_tick(k + 2000 + 2000);
    CHECK_FALSE(r.pin.level);
    r.to_tick(k + 2000 + 2001);
    CHECK(r.pin.level);
    CHECK(r.pin.rising.back() == Pit8254::tick_time(k + 4001));
    // Mode 2 after a mode 0 terminal count: the line goes low and edges resume.
    r.program(0, 0x34, 100);
    CHECK_FALSE(r.pin.level);
    usize before = r.pin.rising.size();
    r.to_tick(k + 4001 + 1 + 100);
    CHECK(r.pin.rising.size() == before + 1);
}

TEST_CASE("Pit8254: modes 1, 4 and 5", "[devices]")
{
    Rig r;
    // Mode 1 on channel 2: the gate's rising edge starts a low pulse of N CLKs; retriggerable.
    r.program(2, 0xB2, 10);
    CHECK(r.pit.out(2));
    r.to_tick(100);
    CHECK(r.pit.out(2)); // no trigger yet
    r.out(0x61, 0x01);   // trigger at edge 100
    r.to_tick(105);
    CHECK_FALSE(r.pit.out(2));
    CHECK(r.latched_count(2) == 6);
    r.out(0x61, 0x00);
    r.out(0x61, 0x01); // retrigger at edge 105
    r.to_tick(115);
    CHECK_FALSE(r.pit.out(2));
    r.to_tick(116);
    CHECK(r.pit.out(2));

    // Mode 5: the gate's rising edge starts the count; OUT strobes low for one CLK at 0.
    r.out(0x61, 0x00);
    r.program(2, 0xBA, 10);
    r.to_tick(200);
    r.out(0x61, 0x01);
    r.to_tick(210);
    CHECK(r.pit.out(2));
    r.to_tick(211);
    CHECK_FALSE(r.pit.out(2));
    r.to_tick(212);
    CHECK(r.pit.out(2));

    // Mode 4 on channel 0: the strobe ends with one IRQ0 edge; no second strobe after wrapping.
    r.program(0, 0x38, 50);
    u64 k = Pit8254::ticks_at(r.clock.now_ns());
    r.to_tick(k + 50);
    CHECK(r.pit.out(0));
    r.to_tick(k + 51);
    CHECK_FALSE(r.pit.out(0));
    CHECK(r.pin.rising.empty());
    r.to_tick(k + 52);
    CHECK(r.pit.out(0));
    CHECK(r.pin.rising == std::vector<u64> { Pit8254::tick_time(k + 52) });
    r.to_tick(k + 51 + 65536 * 2);
    CHECK(r.pit.out(0));
    CHECK(r.pin.rising.size() == 1);
}

TEST_CASE("Pit8254: save and restore round-trip, timers re-armed", "[devices]")
{
    Rig a;
    a.program(0, 0x34, pit_100hz);
    a.program(2, 0xB6, 1234);
    a.out(0x61, 0x03);
    a.clock.advance_to(25 * 1000000ull + 777);
    a.out(0x43, 0xC2); // latched status and count survive too
    std::vector<u8> bytes = a.saved();
    CHECK(bytes[0] == Pit8254::state_version);

    Rig b;
    b.clock.advance_to(a.clock.now_ns());
    StateReader in(bytes.data(), bytes.size());
    REQUIRE_FALSE(b.pit.restore(in).is_error());
    CHECK(in.remaining() == 0);
    CHECK(b.saved() == bytes);
    CHECK(b.clock.armed_count() == 1);
    CHECK(b.in(0x61) == a.in(0x61));
    for (u16 i = 0; i < 3; ++i)
        CHECK(b.in(0x40) == a.in(0x40));
    a.clock.advance_to(1000000000);
    b.clock.advance_to(1000000000);
    CHECK(a.pin.rising.size() == 99);
    std::vector<u64> tail(a.pin.rising.end() - 97, a.pin.rising.end());
    CHECK(b.pin.rising == tail); // every edge after the snapshot, at the same times
    CHECK(b.latched_count(2) == a.latched_count(2));
    CHECK(b.saved() == a.saved());

    // A restored mode 0 line level is driven at once.
    Rig c;
    c.program(0, 0x30, 10);
    c.to_tick(20);
    REQUIRE(c.pin.level);
    std::vector<u8> high = c.saved();
    Rig d;
    d.clock.advance_to(c.clock.now_ns());
    StateReader in2(high.data(), high.size());
    REQUIRE_FALSE(d.pit.restore(in2).is_error());
    CHECK(d.pin.level);
    CHECK(d.clock.armed_count() == 0);
}

TEST_CASE("Pit8254: restore refuses bad bytes and leaves the device unchanged", "[devices]")
{
    Rig r;
    r.program(0, 0x34, 100);
    std::vector<u8> good = r.saved();
    r.program(0, 0x36, 200);
    std::vector<u8> current = r.saved();

    auto refused = [&](std::vector<u8> bytes, const char* why) {
        INFO(why);
        StateReader in(bytes.data(), bytes.size());
        CHECK(r.pit.restore(in).is_error());
        CHECK(r.saved() == current);
    };
    std::vector<u8> bad = good;
    bad[0] = 99;
    refused(bad, "version");
    refused(std::vector<u8>(good.begin(), good.end() - 1), "truncated");
    bad = good;
    bad[1] ^= 1;
    refused(bad, "size field");
    bad = good;
    bad[3] = 8; // channel 0 mode
    refused(bad, "mode");
    bad = good;
    bad[4] = 0; // channel 0 access
    refused(bad, "access");
    bad = good;
    bad[5] = 2; // channel 0 bcd: not a boolean
    refused(bad, "boolean");
    bad = good;
    bad[3 + 3 * 57] = 0x10; // port B with read-only bits
    refused(bad, "port B");
    bad = good;
    bad[3 + 57 * 2 + 12] = 1; // channel 2 GATE high while port B bit 0 is clear
    refused(bad, "gate");
    refused({}, "empty");
    StateReader in(good.data(), good.size());
    CHECK_FALSE(r.pit.restore(in).is_error());
    CHECK(r.saved() == good);
}

TEST_CASE("Pit8254: reset restores the power-on state", "[devices]")
{
    Rig fresh;
    std::vector<u8> power_on = fresh.saved();
    Rig r;
    r.program(0, 0x30, 10);
    r.program(2, 0xB6, 50);
    r.out(0x61, 0x03);
    r.to_tick(20);
    REQUIRE(r.pin.level);
    r.program(0, 0x34, 100);
    REQUIRE(r.clock.armed_count() == 1);
    r.pit.reset();
    CHECK(r.saved() == power_on);
    CHECK_FALSE(r.pin.level);
    CHECK(r.clock.armed_count() == 0);
    CHECK(r.in(0x61) == ((20 / 18) & 1) << 4);
    CHECK(r.status(0) == 0x70); // mode 0, LSB/MSB, null count, OUT low
    r.clock.advance_to(1000000000);
    CHECK(r.pin.rising.size() == 1); // only the one before the reset
}
