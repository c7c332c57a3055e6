// System Control Port A at 0x92 (Intel 82371AB PIIX4, "Port 92 Register"): fast A20,
// fast reset on a 0-to-1 write of bit 0, read-back, save/restore and reset.
#include <catch2/catch.hpp>
#include <string>
#include <vector>
#include "plugins/devices/port92/port92.h"

using namespace keel;
using keel::devices::Port92;

namespace {

struct Board {
    int resets = 0;
    std::vector<bool> a20_changes;
    static void reset_system(void* self) { ++static_cast<Board*>(self)->resets; }
    static void a20_changed(void* self, bool on) { static_cast<Board*>(self)->a20_changes.push_back(on); }
};

struct Machine {
    Board board;
    Port92 p92 { Port92::System { &board, Board::reset_system, Board::a20_changed } };
    u8 in() { return static_cast<u8>(p92.io_read(0x92, 1)); }
    void out(u8 v) { p92.io_write(0x92, v, 1); }
};

std::vector<u8> saved(const Port92& p)
{
    StateWriter w;
    p.save(w);
    return std::vector<u8>(w.data().begin(), w.data().end());
}

} // namespace

TEST_CASE("Port92: power-on value and read-back", "[devices]")
{
    Machine m;
    CHECK(m.in() == 0x00);
    CHECK_FALSE(m.p92.a20_enabled());
    CHECK(m.p92.io_read(0x92, 2) == 0xFF00); // an 8-bit register
    CHECK(m.p92.io_read(0x93, 1) == 0xFF);   // not ours
    m.p92.io_write(0x93, 0x03, 1);
    CHECK(m.in() == 0x00);
    m.out(0xFE); // reserved bits read as 0
    CHECK(m.in() == 0x02);
}

TEST_CASE("Port92: bit 1 is fast A20, reported on change", "[devices]")
{
    Machine m;
    // Linux's enable_a20_fast(): read, set bit 1, clear bit 0, write.
    m.out(static_cast<u8>((m.in() | 0x02) & ~0x01));
    CHECK(m.p92.a20_enabled());
    CHECK(m.in() == 0x02);
    CHECK(m.board.a20_changes == std::vector<bool> { true });
    m.out(0x02); // unchanged: not reported again
    CHECK(m.board.a20_changes.size() == 1);
    m.out(0x00);
    CHECK_FALSE(m.p92.a20_enabled());
    CHECK(m.board.a20_changes == std::vector<bool> { true, false });
    CHECK(m.board.resets == 0);
}

TEST_CASE("Port92: bit 0 resets on a 0-to-1 write and reads back set", "[devices]")
{
    Machine m;
    m.out(0x01);
    CHECK(m.board.resets == 1);
    CHECK(m.in() == 0x01);
    m.out(0x03); // still 1: no new reset; A20 changes
    CHECK(m.board.resets == 1);
    CHECK(m.board.a20_changes == std::vector<bool> { true });
    m.out(0x02);
    m.out(0x03); // cleared, then set again
    CHECK(m.board.resets == 2);

    Port92 lone({}); // nothing wired: no crash
    lone.io_write(0x92, 0x03, 1);
    CHECK(lone.io_read(0x92, 1) == 0x03);
}

TEST_CASE("Port92: describe for the monitor", "[devices]")
{
    Machine m;
    m.out(0x02);
    StringBuilder text;
    m.p92.describe(text);
    CHECK(std::string(text.c_str()) == "port92: 02 (a20=1)\n");
}

TEST_CASE("Port92: save, restore and refusal", "[devices]")
{
    Machine m;
    m.out(0x02);
    std::vector<u8> bytes = saved(m.p92);
    CHECK(bytes == std::vector<u8> { Port92::state_version, 0x02 });

    Machine n;
    StateReader in(bytes.data(), bytes.size());
    REQUIRE_FALSE(n.p92.restore(in).is_error());
    CHECK(n.in() == 0x02);
    CHECK(n.board.a20_changes == std::vector<bool> { true });
    // Restoring a set bit 0 is not a write: no reset.
    std::vector<u8> with_reset { Port92::state_version, 0x03 };
    StateReader in2(with_reset.data(), with_reset.size());
    REQUIRE_FALSE(n.p92.restore(in2).is_error());
    CHECK(n.board.resets == 0);
    CHECK(n.in() == 0x03);

    for (std::vector<u8> bad : { std::vector<u8> { 2, 0x02 }, std::vector<u8> { Port92::state_version, 0x04 },
                                 std::vector<u8> { Port92::state_version }, std::vector<u8> {} }) {
        StateReader r(bad.data(), bad.size());
        CHECK(m.p92.restore(r).is_error());
        CHECK(saved(m.p92) == bytes);
    }
    CHECK(m.board.a20_changes == std::vector<bool> { true });
}

TEST_CASE("Port92: reset clears both bits and reports A20 going off", "[devices]")
{
    Machine m;
    m.out(0x03);
    m.p92.reset();
    CHECK(m.in() == 0x00);
    CHECK(m.board.a20_changes == std::vector<bool> { true, false });
    CHECK(m.board.resets == 1); // the reset itself is not a write
    m.out(0x01); // bit 0 was cleared: a new 0-to-1 write resets again
    CHECK(m.board.resets == 2);
}
