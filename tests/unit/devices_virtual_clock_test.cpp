// The device infrastructure: the virtual clock's timer queue and device state buffers.
// Part of ctest unit.devices.
#include <catch2/catch.hpp>
#include <vector>
#include "dbt/base/state_buffer.h"
#include "dbt/engine/timer_queue.h"

using namespace keel;

namespace {

struct Recorder final : TimerClient {
    struct Fired {
        u32 id;
        u64 now;
    };
    std::vector<Fired> fired;
    TimerQueue* rearm_queue = nullptr;
    u64 period = 0;

    void timer_expired(u32 id, u64 now_ns) override
    {
        fired.push_back({ id, now_ns });
        if (rearm_queue && period)
            rearm_queue->arm(this, id, now_ns + period);
    }
};

} // namespace

TEST_CASE("timer queue: fires due timers in deadline order, then ties in arming order", "[devices]")
{
    TimerQueue clock;
    Recorder a, b;
    clock.arm(&a, 1, 300);
    clock.arm(&b, 7, 100);
    clock.arm(&a, 2, 200);
    clock.arm(&b, 8, 200); // same deadline as a/2, armed later
    CHECK(clock.next_deadline() == 100);

    clock.advance_to(250);
    REQUIRE(b.fired.size() == 2);
    REQUIRE(a.fired.size() == 1);
    CHECK(b.fired[0].id == 7);
    CHECK(b.fired[0].now == 100); // now_ns() is the deadline during the callback
    CHECK(a.fired[0].id == 2);
    CHECK(b.fired[1].id == 8);
    CHECK(clock.now_ns() == 250);
    CHECK(clock.armed_count() == 1);

    clock.advance_to(100); // never backwards
    CHECK(clock.now_ns() == 250);
    clock.advance_to(300);
    CHECK(a.fired.size() == 2);
    CHECK(clock.next_deadline() == ~0ull);
}

TEST_CASE("timer queue: re-arming replaces, cancel removes, periodic re-arm does not drift", "[devices]")
{
    TimerQueue clock;
    Recorder r;
    clock.arm(&r, 0, 1000);
    clock.arm(&r, 0, 500); // one deadline per (client, id)
    CHECK(clock.armed_count() == 1);
    clock.cancel(&r, 0);
    clock.advance_to(2000);
    CHECK(r.fired.empty());

    r.rearm_queue = &clock;
    r.period = 10'000'000; // 100 Hz
    clock.arm(&r, 3, clock.now_ns() + r.period);
    clock.advance_to(2000 + 1'000'000'000); // one second in one step
    CHECK(r.fired.size() == 100);
    CHECK(r.fired.back().now == 2000 + 1'000'000'000);
}

TEST_CASE("state buffer: fields round-trip little-endian; truncation and bad booleans are refused", "[devices]")
{
    StateWriter w;
    w.write_u8(0xAB);
    w.write_u16(0x1234);
    w.write_u32(0xDEADBEEF);
    w.write_u64(0x0123456789ABCDEFull);
    w.write_bool(true);
    u8 blob[3] = { 1, 2, 3 };
    w.write_bytes(blob, 3);
    REQUIRE(w.data().size() == 1 + 2 + 4 + 8 + 1 + 3);
    CHECK(w.data()[1] == 0x34); // little-endian

    StateReader r(w.data().data(), w.data().size());
    CHECK(r.read_u8().value() == 0xAB);
    CHECK(r.read_u16().value() == 0x1234);
    CHECK(r.read_u32().value() == 0xDEADBEEF);
    CHECK(r.read_u64().value() == 0x0123456789ABCDEFull);
    CHECK(r.read_bool().value());
    u8 back[3] = {};
    CHECK_FALSE(r.read_bytes(back, 3).is_error());
    CHECK(back[2] == 3);
    CHECK(r.remaining() == 0);
    auto past = r.read_u32();
    REQUIRE(past.is_error());
    CHECK(std::string(past.error().message()) == "device state: truncated at byte 19");

    u8 two = 2;
    StateReader bad(&two, 1);
    auto b = bad.read_bool();
    REQUIRE(b.is_error());
    CHECK(std::string(b.error().message()) == "device state: invalid boolean at byte 0");
}
