// The 8042 keyboard controller and its keyboard (IBM PC AT Technical Reference, "Keyboard
// Controller" and "Keyboard"; OSDev "8042 PS/2 Controller"): the status register, every
// controller command, the output port's reset and A20 lines, keyboard commands, the
// scancode queue and IRQ1, save/restore and reset.
#include <catch2/catch.hpp>
#include <vector>
#include "plugins/devices/i8042/i8042.h"

using namespace keel;
using keel::devices::I8042;

namespace {

struct Pic : InterruptSink {
    std::vector<bool> levels;
    void set_irq_level(u32 line, bool level) override
    {
        CHECK(line == 1);
        levels.push_back(level);
    }
    bool high() const { return !levels.empty() && levels.back(); }
};

struct Board {
    int resets = 0;
    std::vector<bool> a20_changes;
    static void reset_system(void* self) { ++static_cast<Board*>(self)->resets; }
    static void a20_changed(void* self, bool on) { static_cast<Board*>(self)->a20_changes.push_back(on); }
};

struct Machine {
    Pic pic;
    Board board;
    I8042 kbc { InterruptLine { &pic, 1 }, I8042::System { &board, Board::reset_system, Board::a20_changed } };

    u8 status() { return static_cast<u8>(kbc.io_read(0x64, 1)); }
    u8 data() { return static_cast<u8>(kbc.io_read(0x60, 1)); }
    void command(u8 c) { kbc.io_write(0x64, c, 1); }
    void write(u8 v) { kbc.io_write(0x60, v, 1); }
    // Reads the output buffer dry, as a driver's flush loop does.
    std::vector<u8> drain()
    {
        std::vector<u8> bytes;
        while ((status() & 0x01) && bytes.size() < 64)
            bytes.push_back(data());
        return bytes;
    }
    u8 reply(u8 c)
    {
        command(c);
        REQUIRE((status() & 0x01));
        return data();
    }
};

using Bytes = std::vector<u8>;

std::vector<u8> saved(const I8042& kbc)
{
    StateWriter w;
    kbc.save(w);
    return std::vector<u8>(w.data().begin(), w.data().end());
}

} // namespace

TEST_CASE("I8042: power-on status and command byte", "[devices]")
{
    Machine m;
    CHECK(m.status() == 0x18); // last write a command, not inhibited; buffers empty
    CHECK(m.kbc.command_byte() == 0x61);
    CHECK(m.reply(0x20) == 0x61);
    CHECK(m.status() == 0x18);
    CHECK(m.kbc.a20_enabled()); // as QEMU: the output port starts at 0xCF
    CHECK(m.board.a20_changes.empty());
    CHECK(m.board.resets == 0);
    CHECK(m.kbc.io_read(0x64, 2) == 0xFF18); // an 8-bit device
    CHECK(m.kbc.io_read(0x61, 1) == 0xFF);   // not ours
}

TEST_CASE("I8042: 0x60 writes the command byte; system flag and status bit 3", "[devices]")
{
    Machine m;
    m.command(0x60);
    CHECK((m.status() & 0x08));
    m.write(0x47); // what SeaBIOS programs: IRQ1, IRQ12, system, translate
    CHECK((m.status() & 0x08) == 0); // last write was data
    CHECK((m.status() & 0x04));      // system flag follows command byte bit 2
    CHECK(m.kbc.command_byte() == 0x47);
    CHECK(m.reply(0x20) == 0x47);
    m.command(0x60);
    m.write(0x00);
    CHECK((m.status() & 0x04) == 0);
    CHECK(m.kbc.queued() == 0); // the operand did not go to the keyboard
    CHECK(m.drain().empty());
}

TEST_CASE("I8042: internal RAM through 0x21-0x3F and 0x61-0x7F", "[devices]")
{
    Machine m;
    m.command(0x65);
    m.write(0xA5);
    CHECK(m.reply(0x25) == 0xA5);
    CHECK(m.reply(0x3F) == 0x00);
    CHECK(m.kbc.command_byte() == 0x61);
}

TEST_CASE("I8042: self-test and interface tests", "[devices]")
{
    Machine m;
    CHECK((m.status() & 0x04) == 0);
    CHECK(m.reply(0xAA) == 0x55);
    CHECK((m.status() & 0x04)); // the system flag is set by a passing self-test
    CHECK((m.kbc.command_byte() & 0x04));
    CHECK(m.reply(0xAB) == 0x00);
    CHECK(m.reply(0xA9) == 0x00);
    CHECK(m.drain().empty());
}

TEST_CASE("I8042: keyboard and aux disable/enable commands", "[devices]")
{
    Machine m;
    m.command(0xAD);
    CHECK((m.kbc.command_byte() & 0x10));
    m.kbc.key_scancode(0x1E);
    CHECK((m.status() & 0x01) == 0); // held while the interface is disabled
    CHECK(m.kbc.queued() == 1);
    CHECK(m.reply(0x20) == 0x71); // controller replies still come through
    m.command(0xAE);
    CHECK((m.kbc.command_byte() & 0x10) == 0);
    CHECK(m.drain() == Bytes { 0x1E });

    m.command(0xA8);
    CHECK((m.kbc.command_byte() & 0x20) == 0);
    m.command(0xA7);
    CHECK((m.kbc.command_byte() & 0x20));
}

TEST_CASE("I8042: 0xFE and the 0xF0-0xFF pulses reset the system", "[devices]")
{
    Machine m;
    m.command(0xFE);
    CHECK(m.board.resets == 1);
    m.command(0xFF); // no bit pulsed
    CHECK(m.board.resets == 1);
    m.command(0xF0); // all four pulsed, reset among them
    CHECK(m.board.resets == 2);
    m.command(0xFD); // bit 1 (A20) pulsed only: no lasting effect
    CHECK(m.board.resets == 2);
    CHECK(m.kbc.a20_enabled());
    m.command(0xFA);
    CHECK(m.board.resets == 3);

    I8042 lone({}, {}); // nothing wired: no crash
    lone.io_write(0x64, 0xFE, 1);
}

TEST_CASE("I8042: the output port through 0xD0/0xD1: reset line and A20", "[devices]")
{
    Machine m;
    CHECK(m.reply(0xD0) == 0xCF);
    m.command(0xD1);
    m.write(0xDD); // A20 off (the classic "0xDD" of A20 gate code), reset high
    CHECK_FALSE(m.kbc.a20_enabled());
    CHECK(m.board.a20_changes == std::vector<bool> { false });
    CHECK(m.board.resets == 0);
    CHECK(m.reply(0xD0) == 0xCD);
    m.command(0xD1);
    m.write(0xDF); // A20 on
    CHECK(m.kbc.a20_enabled());
    CHECK(m.board.a20_changes == std::vector<bool> { false, true });
    m.command(0xD1);
    m.write(0xDF); // unchanged: not reported again
    CHECK(m.board.a20_changes.size() == 2);
    CHECK(m.drain().empty());

    // Bits 4-5 read as the buffer-full lines, whatever was written.
    m.command(0xD1);
    m.write(0xFF);
    m.kbc.key_scancode(0x10);
    CHECK(m.reply(0xD0) == 0xDF); // a keyboard byte was waiting
    CHECK(m.drain() == Bytes { 0x10 });
    CHECK(m.reply(0xD0) == 0xCF);

    // Bit 0 low resets the system.
    m.command(0xD1);
    m.write(0xCE);
    CHECK(m.board.resets == 1);
}

TEST_CASE("I8042: A20 through 0xDD/0xDF", "[devices]")
{
    Machine m;
    m.command(0xDD);
    CHECK_FALSE(m.kbc.a20_enabled());
    CHECK((m.reply(0xD0) & 0x02) == 0);
    m.command(0xDF);
    CHECK(m.kbc.a20_enabled());
    CHECK(m.board.a20_changes == std::vector<bool> { false, true });
    CHECK(m.board.resets == 0);
}

TEST_CASE("I8042: 0xD2 writes the output buffer; 0xD3/0xD4 swallow their byte", "[devices]")
{
    Machine m;
    m.command(0xD2);
    m.write(0x5A);
    CHECK(m.drain() == Bytes { 0x5A });
    m.command(0xD3);
    m.write(0xFF); // not a keyboard reset
    m.command(0xD4);
    m.write(0xF4);
    CHECK(m.drain().empty());
    CHECK(m.kbc.keyboard_scanning());
    // A command cancels an operand still awaited: the next data byte is the keyboard's.
    m.command(0xD1);
    m.command(0xAE);
    m.write(0xEE);
    CHECK(m.drain() == Bytes { 0xEE });
    CHECK(m.board.resets == 0);
}

TEST_CASE("I8042: keyboard reset, identify, echo, LEDs and enable/disable", "[devices]")
{
    Machine m;
    m.write(0xFF);
    CHECK(m.drain() == Bytes { 0xFA, 0xAA });
    m.write(0xF2);
    CHECK(m.drain() == Bytes { 0xFA, 0xAB, 0x83 });
    m.write(0xEE);
    CHECK(m.drain() == Bytes { 0xEE });
    m.write(0xED);
    CHECK(m.drain() == Bytes { 0xFA });
    m.write(0x07);
    CHECK(m.drain() == Bytes { 0xFA });
    CHECK(m.kbc.keyboard_leds() == 0x07);
    m.write(0xED);
    m.write(0x02); // num lock only
    CHECK(m.drain() == Bytes { 0xFA, 0xFA });
    CHECK(m.kbc.keyboard_leds() == 0x02);

    m.write(0xF5);
    CHECK(m.drain() == Bytes { 0xFA });
    CHECK_FALSE(m.kbc.keyboard_scanning());
    m.kbc.key_scancode(0x1E); // not scanning: dropped
    CHECK(m.drain().empty());
    m.write(0xF4);
    CHECK(m.drain() == Bytes { 0xFA });
    CHECK(m.kbc.keyboard_scanning());
    m.kbc.key_scancode(0x1E);
    CHECK(m.drain() == Bytes { 0x1E });

    // Reset puts the LEDs out and clears queued keys.
    m.command(0xAD);
    m.kbc.key_scancode(0x2C);
    m.write(0xFF);
    m.command(0xAE);
    CHECK(m.drain() == Bytes { 0xFA, 0xAA });
    CHECK(m.kbc.keyboard_leds() == 0);
}

TEST_CASE("I8042: typematic rate, scancode set, defaults and unknown commands", "[devices]")
{
    Machine m;
    m.write(0xF3);
    m.write(0x20);
    CHECK(m.drain() == Bytes { 0xFA, 0xFA });
    m.write(0xF0);
    m.write(0x00); // which set?
    CHECK(m.drain() == Bytes { 0xFA, 0xFA, 0x02 });
    m.write(0xF0);
    m.write(0x01);
    m.write(0xF0);
    m.write(0x00);
    CHECK(m.drain() == Bytes { 0xFA, 0xFA, 0xFA, 0xFA, 0x01 });
    m.write(0xF0);
    m.write(0x04); // no such set
    CHECK(m.drain() == Bytes { 0xFA, 0xFE });
    m.write(0xF6);
    CHECK(m.drain() == Bytes { 0xFA });
    CHECK(m.kbc.keyboard_scanning());
    m.write(0xAB); // not a keyboard command
    CHECK(m.drain() == Bytes { 0xFE });
}

TEST_CASE("I8042: scancodes queue up to 16 bytes and raise IRQ1 one at a time", "[devices]")
{
    Machine m;
    m.kbc.key_scancode(0x1E); // 'a' make
    CHECK((m.status() & 0x01));
    CHECK(m.pic.high());
    CHECK(m.pic.levels == std::vector<bool> { true });
    m.kbc.key_scancode(0x9E); // break
    CHECK(m.kbc.queued() == 1);
    CHECK(m.data() == 0x1E);
    // The next byte moves in at once: IRQ1 falls and rises again (a new edge).
    CHECK(m.pic.levels == std::vector<bool> { true, false, true });
    CHECK(m.data() == 0x9E);
    CHECK_FALSE(m.pic.high());
    CHECK((m.status() & 0x01) == 0);
    CHECK(m.data() == 0x9E); // an empty buffer reads its stale byte

    // 1 in the output buffer + 16 queued; the rest are dropped.
    for (u8 i = 0; i < 20; ++i)
        m.kbc.key_scancode(static_cast<u8>(0x10 + i));
    CHECK(m.kbc.queued() == 16);
    Bytes expected;
    for (u8 i = 0; i < 17; ++i)
        expected.push_back(static_cast<u8>(0x10 + i));
    CHECK(m.drain() == expected);
}

TEST_CASE("I8042: IRQ1 follows the command byte's interrupt enable", "[devices]")
{
    Machine m;
    m.command(0x60);
    m.write(0x60); // keyboard interrupts off
    m.kbc.key_scancode(0x1C);
    CHECK((m.status() & 0x01));
    CHECK(m.pic.levels.empty()); // polled mode
    m.command(0x60);
    m.write(0x61); // on again with a byte waiting: IRQ1 rises
    CHECK(m.pic.high());
    CHECK(m.data() == 0x1C);
    CHECK_FALSE(m.pic.high());
    // Controller replies interrupt too.
    m.command(0xAA);
    CHECK(m.pic.high());
    CHECK(m.data() == 0x55);
}

TEST_CASE("I8042: a controller reply goes ahead of unread keyboard bytes", "[devices]")
{
    Machine m;
    m.kbc.key_scancode(0x01);
    m.kbc.key_scancode(0x81);
    CHECK(m.reply(0x20) == 0x61);
    CHECK(m.drain() == Bytes { 0x01, 0x81 });
}

TEST_CASE("I8042: describe for the monitor", "[devices]")
{
    Machine m;
    m.kbc.key_scancode(0x1E);
    m.kbc.key_scancode(0x9E);
    StringBuilder text;
    m.kbc.describe(text);
    CHECK(std::string(text.c_str()) ==
          "i8042: status=19 ccb=61 outport=cf out=1e (full) queued=1 a20=1\n"
          "keyboard: scanning=1 leds=0 set=2 typematic=2b\n");
}

TEST_CASE("I8042: save and restore", "[devices]")
{
    Machine m;
    m.command(0x60);
    m.write(0x45);
    m.command(0xDD);
    m.write(0xED);
    m.write(0x04);
    m.kbc.key_scancode(0x2A);
    m.data(); // the first ACK read: the ring buffer's head is no longer slot 0
    m.command(0xD1); // awaiting an operand
    std::vector<u8> bytes = saved(m.kbc);
    CHECK(bytes[0] == I8042::state_version);

    Machine n;
    StateReader in(bytes.data(), bytes.size());
    REQUIRE_FALSE(n.kbc.restore(in).is_error());
    CHECK(in.remaining() == 0);
    CHECK(saved(n.kbc) == bytes);
    CHECK(n.board.a20_changes == std::vector<bool> { false });
    CHECK(n.pic.high()); // a byte is in the output buffer, interrupts enabled
    CHECK(n.kbc.keyboard_leds() == 0x04);
    n.write(0xCF); // the pending 0xD1 operand: A20 back on
    CHECK(n.kbc.a20_enabled());
    CHECK(n.drain() == Bytes { 0xFA, 0x2A });
}

TEST_CASE("I8042: restore refuses foreign bytes and leaves the device unchanged", "[devices]")
{
    Machine m;
    m.kbc.key_scancode(0x10);
    std::vector<u8> before = saved(m.kbc);
    Machine other;
    std::vector<u8> good = saved(other.kbc);
    const usize regs = 3 + 32; // version, size, RAM, then the registers
    auto refused = [&](std::vector<u8> bytes) {
        StateReader in(bytes.data(), bytes.size());
        bool error = m.kbc.restore(in).is_error();
        CHECK(saved(m.kbc) == before);
        return error;
    };
    std::vector<u8> bad = good;
    bad[0] = 9;
    CHECK(refused(bad));
    bad = good;
    bad[1] += 1;
    CHECK(refused(bad));
    bad = good;
    bad.pop_back();
    CHECK(refused(bad));
    bad = good;
    bad[regs + 3] = 0x42; // not a command awaiting an operand
    CHECK(refused(bad));
    bad = good;
    bad[regs + 7] = 4; // scancode set
    CHECK(refused(bad));
    bad = good;
    bad[regs + 8] = 17; // queue count
    CHECK(refused(bad));
    CHECK(refused({}));
    CHECK(m.board.a20_changes.empty());
    CHECK_FALSE(refused(before));
}

TEST_CASE("I8042: reset restores power-on state", "[devices]")
{
    Machine m;
    std::vector<u8> power_on = saved(m.kbc);
    m.command(0x60);
    m.write(0x07);
    m.command(0xDD);
    m.write(0xF5);
    m.kbc.key_scancode(0x10);
    m.command(0xD1);
    REQUIRE(m.pic.high());
    m.kbc.reset();
    CHECK(saved(m.kbc) == power_on);
    CHECK_FALSE(m.pic.high());
    CHECK(m.kbc.a20_enabled());
    CHECK(m.board.a20_changes == std::vector<bool> { false, true });
    CHECK(m.kbc.keyboard_scanning());
    CHECK(m.status() == 0x18);
}
