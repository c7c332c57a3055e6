// The VGA text-mode buffer and CRT controller (IBM VGA Technical Reference): stores of
// every width into the 0xB8000 window, the "vga: " console mirror and its changed-rows
// policy, scrolling by rewriting memory and by the start address, the cursor registers,
// Input Status 1 toggling, save/restore and reset.
#include <catch2/catch.hpp>
#include <string>
#include <vector>
#include "plugins/devices/vga_text/vga_text.h"

using namespace keel;
using keel::devices::VgaText;

namespace {

struct Console {
    std::string text;
    static void output(void* self, const char* bytes, usize length) { static_cast<Console*>(self)->text.append(bytes, length); }
    std::string take() { return std::exchange(text, {}); }
};

struct Screen {
    Console console;
    VgaText vga { Console::output, &console };

    // A cell's byte offset in the window.
    static u64 cell(u32 row, u32 col) { return (row * 80 + col) * 2; }
    void put16(u32 row, u32 col, char c, u8 attr = 0x07) { vga.mmio_write(cell(row, col), static_cast<u8>(c) | attr << 8, 2); }
    void puts16(u32 row, u32 col, const char* s, u8 attr = 0x07)
    {
        for (; *s; ++s, ++col)
            put16(row, col, *s, attr);
    }
    std::string row(u32 r) const
    {
        char buffer[80];
        vga.screen_text(r, buffer);
        return std::string(buffer, 80);
    }
    void crtc(u8 index, u8 value) { vga.io_write(0x3D4, index, 1), vga.io_write(0x3D5, value, 1); }
    u8 crtc(u8 index) { return vga.io_write(0x3D4, index, 1), static_cast<u8>(vga.io_read(0x3D5, 1)); }
};

std::vector<u8> saved(const VgaText& vga)
{
    StateWriter w;
    vga.save(w);
    return std::vector<u8>(w.data().begin(), w.data().end());
}

std::string padded(const std::string& s) { return s + std::string(80 - s.size(), ' '); }

} // namespace

TEST_CASE("VgaText: power-on is a blank 80x25 screen and flush shows nothing", "[devices]")
{
    Screen s;
    CHECK(VgaText::mmio_base == 0xB8000);
    CHECK(VgaText::mmio_base + VgaText::mmio_size == 0xC0000);
    for (u32 r = 0; r < 25; ++r)
        CHECK(s.row(r) == std::string(80, ' '));
    CHECK(s.vga.mmio_read(0, 2) == 0x0720);      // space, grey on black
    CHECK(s.vga.mmio_read(0x7FFE, 2) == 0x0720); // the whole 32 KiB window
    s.vga.flush();
    CHECK(s.console.text.empty());
}

TEST_CASE("VgaText: Hello at row 0 through 16-bit and 8-bit stores", "[devices]")
{
    Screen s;
    s.put16(0, 0, 'H', 0x1F); // white on blue
    s.put16(0, 1, 'e', 0x1F);
    s.vga.mmio_write(Screen::cell(0, 2), 'l', 1); // character byte
    s.vga.mmio_write(Screen::cell(0, 2) + 1, 0x4E, 1); // attribute byte
    s.vga.mmio_write(Screen::cell(0, 3), 'l', 1);
    s.vga.mmio_write(Screen::cell(0, 4), 'o', 1);
    CHECK(s.row(0) == padded("Hello"));
    CHECK(s.vga.mmio_read(Screen::cell(0, 0), 2) == 0x1F48);
    CHECK(s.vga.mmio_read(Screen::cell(0, 1), 1) == 'e');
    CHECK(s.vga.mmio_read(Screen::cell(0, 1) + 1, 1) == 0x1F);
    CHECK(s.vga.mmio_read(Screen::cell(0, 2), 2) == 0x4E6C);
    CHECK(s.vga.mmio_read(Screen::cell(0, 3), 2) == 0x076C); // attribute untouched
    s.vga.flush();
    CHECK(s.console.take() == "vga: Hello\n");
    s.vga.flush(); // nothing changed since
    CHECK(s.console.text.empty());
}

TEST_CASE("VgaText: 32- and 64-bit stores and loads are little-endian cell pairs", "[devices]")
{
    Screen s;
    s.vga.mmio_write(Screen::cell(3, 10), 0x0742'0741u, 4); // "AB"
    s.vga.mmio_write(Screen::cell(3, 12), 0x0746'0745'0744'0743ull, 8); // "CDEF"
    CHECK(s.row(3) == padded("          ABCDEF"));
    CHECK(s.vga.mmio_read(Screen::cell(3, 10), 4) == 0x0742'0741u);
    CHECK(s.vga.mmio_read(Screen::cell(3, 12), 8) == 0x0746'0745'0744'0743ull);
    CHECK(s.vga.mmio_read(Screen::cell(3, 11), 2) == 0x0742);
    // Bytes past the window's end read as all ones and are not stored.
    s.vga.mmio_write(0x7FFE, 0x1111'0758ull, 4);
    CHECK(s.vga.mmio_read(0x7FFE, 4) == 0xFFFF'0758u);
}

TEST_CASE("VgaText: flush emits only the changed rows, in row order, trimmed", "[devices]")
{
    Screen s;
    s.puts16(5, 2, "second");
    s.puts16(1, 0, "first  ");
    s.puts16(24, 79, "z");
    s.vga.flush();
    CHECK(s.console.take() == "vga: first\nvga:   second\nvga: " + std::string(79, ' ') + "z\n");

    s.put16(5, 2, 'S');
    s.put16(1, 0, 'f', 0x70); // an attribute-only change shows nothing new
    s.vga.flush();
    CHECK(s.console.take() == "vga:   Second\n");

    // Clearing a row emits it as an empty line.
    s.puts16(5, 2, "      ");
    s.vga.flush();
    CHECK(s.console.take() == "vga: \n");

    // Non-ASCII characters are shown plainly: NUL and FFh as spaces, the rest as '?'.
    s.put16(2, 0, '\x00'), s.put16(2, 1, 'a'), s.put16(2, 2, '\xC4'), s.put16(2, 3, '\xFF'), s.put16(2, 4, 'b');
    s.vga.flush();
    CHECK(s.console.take() == "vga:  a? b\n");
}

TEST_CASE("VgaText: no console attached", "[devices]")
{
    VgaText vga(nullptr, nullptr);
    vga.mmio_write(0, 'x', 1);
    vga.flush(); // nothing to call
    char row[80];
    vga.screen_text(0, row);
    CHECK(row[0] == 'x');
}

TEST_CASE("VgaText: a guest scroll (memory moved up a row) re-emits the changed rows", "[devices]")
{
    Screen s;
    s.puts16(0, 0, "one");
    s.puts16(1, 0, "two");
    s.puts16(2, 0, "three");
    s.vga.flush();
    s.console.take();
    // Scroll up as a BIOS or kernel console does: copy rows 1-24 to 0-23, blank row 24.
    for (u64 a = 0; a < 24 * 160; a += 2)
        s.vga.mmio_write(a, s.vga.mmio_read(a + 160, 2), 2);
    for (u32 c = 0; c < 80; ++c)
        s.put16(24, c, ' ');
    s.puts16(24, 0, "four");
    s.vga.flush();
    CHECK(s.console.take() == "vga: two\nvga: three\nvga: \nvga: four\n");
}

TEST_CASE("VgaText: the start address scrolls the screen (CR0C/CR0D)", "[devices]")
{
    Screen s;
    s.puts16(0, 0, "top");
    s.puts16(25, 0, "below the screen");
    CHECK(s.row(24) == std::string(80, ' '));
    s.vga.flush();
    CHECK(s.console.take() == "vga: top\n");
    s.crtc(0x0C, 0);
    s.crtc(0x0D, 80); // one row down
    CHECK(s.vga.start_address() == 80);
    CHECK(s.crtc(0x0D) == 80);
    CHECK(s.row(0) == std::string(80, ' '));
    CHECK(s.row(24) == padded("below the screen"));
    s.vga.flush();
    CHECK(s.console.take() == "vga: \nvga: below the screen\n");
    // The 16K-cell window wraps: a start near its end shows its first cells below.
    s.crtc(0x0C, 0x3F);
    s.crtc(0x0D, 0xFF - 79); // 0x3FB0: row 1 begins at cell 0
    CHECK(s.row(1) == padded("top"));
}

TEST_CASE("VgaText: CRTC index/data, the cursor registers and 16-bit port writes", "[devices]")
{
    Screen s;
    // Mode 3's values after power-on: cursor on lines 13-14 at the top left.
    CHECK(s.crtc(0x0A) == 0x0D);
    CHECK(s.crtc(0x0B) == 0x0E);
    CHECK(s.crtc(0x0E) == 0x00);
    CHECK(s.crtc(0x0F) == 0x00);
    CHECK(s.crtc(0x09) == 0x4F); // maximum scan line: 16-line characters
    auto c = s.vga.cursor();
    CHECK((c.row == 0 && c.column == 0 && c.visible));

    // The cursor location as Linux's vgacon writes it: index then data, high then low.
    u16 location = 12 * 80 + 40;
    s.crtc(0x0E, location >> 8);
    s.crtc(0x0F, location & 0xFF);
    CHECK(s.vga.cursor_address() == location);
    c = s.vga.cursor();
    CHECK((c.row == 12 && c.column == 40 && c.visible));
    CHECK(s.vga.io_read(0x3D4, 1) == 0x0F); // the index reads back

    // `out dx, ax`: index in AL, data in AH.
    s.vga.io_write(0x3D4, 0x200A, 2); // CR0A bit 5: cursor off
    CHECK(s.crtc(0x0A) == 0x20);
    CHECK_FALSE(s.vga.cursor().visible);
    s.vga.io_write(0x3D4, 0x0E0A, 2);
    s.vga.io_write(0x3D4, 0x0F0B, 2);
    CHECK(s.vga.crtc_register(0x0A) == 0x0E);
    CHECK(s.vga.crtc_register(0x0B) == 0x0F);
    CHECK(s.vga.io_read(0x3D4, 2) == 0x0F0B); // index and data together
    CHECK(s.vga.cursor().visible);

    // Relative to the start address, and hidden when off the screen.
    s.crtc(0x0D, 80);
    c = s.vga.cursor();
    CHECK((c.row == 11 && c.column == 40));
    s.crtc(0x0E, 0x10);
    CHECK_FALSE(s.vga.cursor().visible);

    // Only five index bits; indices past CR18 read as all ones and ignore writes.
    s.vga.io_write(0x3D4, 0xEE, 1);
    CHECK(s.vga.io_read(0x3D4, 1) == 0x0E);
    s.crtc(0x19, 0x12);
    CHECK(s.crtc(0x19) == 0xFF);
    CHECK(s.vga.crtc_register(0x19) == 0xFF);
}

TEST_CASE("VgaText: CR11 bit 7 write-protects CR00-CR07 except the line compare bit", "[devices]")
{
    Screen s;
    CHECK(s.crtc(0x11) == 0x8E); // protected after mode 3
    s.crtc(0x00, 0x12);
    CHECK(s.crtc(0x00) == 0x5F);
    s.crtc(0x07, 0x00); // only bit 4 takes
    CHECK(s.crtc(0x07) == 0x0F);
    s.crtc(0x11, 0x0E);
    s.crtc(0x00, 0x12);
    CHECK(s.crtc(0x00) == 0x12);
    s.crtc(0x0E, 0x01); // the cursor registers were never protected
    CHECK(s.crtc(0x0E) == 0x01);
}

TEST_CASE("VgaText: describe for the monitor", "[devices]")
{
    Screen s;
    s.crtc(0x0F, 81);
    StringBuilder text;
    s.vga.describe(text);
    CHECK(std::string(text.c_str()) == "vga: start=0000 cursor=0051 (row 1 col 1) crtc_index=0f\n");
    s.crtc(0x0A, 0x20);
    text.clear();
    s.vga.describe(text);
    CHECK(std::string(text.c_str()) == "vga: start=0000 cursor=0051 (row 1 col 1, hidden) crtc_index=0a\n");
}

TEST_CASE("VgaText: Input Status 1 toggles so retrace polling loops end", "[devices]")
{
    Screen s;
    // Linux and BIOSes wait for retrace to end, then to begin (bit 3).
    int reads = 0;
    while ((s.vga.io_read(0x3DA, 1) & 0x08) && reads < 10)
        ++reads;
    while (!(s.vga.io_read(0x3DA, 1) & 0x08) && reads < 10)
        ++reads;
    CHECK(reads < 10);
    u8 a = static_cast<u8>(s.vga.io_read(0x3DA, 1));
    u8 b = static_cast<u8>(s.vga.io_read(0x3DA, 1));
    CHECK((a ^ b) == 0x09); // display-disabled and vertical retrace flip together
    CHECK(((a & 0x09) == 0 || (a & 0x09) == 0x09));
    s.vga.io_write(0x3DA, 0xFF, 1); // read-only
    CHECK(s.vga.io_read(0x3DA, 1) == a);
    CHECK(s.vga.io_read(0x3D6, 1) == 0xFF); // not a register here
}

TEST_CASE("VgaText: save and restore, including the 32 KiB buffer", "[devices]")
{
    Screen s;
    s.puts16(0, 0, "saved", 0x1E);
    s.vga.mmio_write(0x7FF0, 0xA5, 1); // off screen, still state
    s.crtc(0x0E, 0x00), s.crtc(0x0F, 5);
    s.vga.io_read(0x3DA, 1);
    s.vga.io_write(0x3D4, 0x0A, 1);
    std::vector<u8> bytes = saved(s.vga);
    CHECK(bytes[0] == VgaText::state_version);
    CHECK(bytes.size() == 1 + 4 + 2 + 25 + 0x8000);

    Screen t;
    StateReader in(bytes.data(), bytes.size());
    REQUIRE_FALSE(t.vga.restore(in).is_error());
    CHECK(in.remaining() == 0);
    CHECK(saved(t.vga) == bytes);
    CHECK(t.row(0) == padded("saved"));
    CHECK(t.vga.mmio_read(0x7FF0, 1) == 0xA5);
    CHECK(t.vga.cursor_address() == 5);
    CHECK(t.vga.io_read(0x3D4, 1) == 0x0A);
    CHECK(t.vga.io_read(0x3DA, 1) == 0x00); // the toggle continues from the saved phase
    t.vga.flush(); // the restored screen differs from what this console showed
    CHECK(t.console.take() == "vga: saved\n");
}

TEST_CASE("VgaText: restore refuses foreign bytes and leaves the device unchanged", "[devices]")
{
    Screen s;
    s.puts16(0, 0, "keep");
    std::vector<u8> before = saved(s.vga);
    Screen other;
    other.puts16(0, 0, "other");
    std::vector<u8> good = saved(other.vga);

    auto refused = [&](std::vector<u8> bytes) {
        StateReader in(bytes.data(), bytes.size());
        bool error = s.vga.restore(in).is_error();
        CHECK(saved(s.vga) == before);
        return error;
    };
    std::vector<u8> bad = good;
    bad[0] = 2; // version
    CHECK(refused(bad));
    bad = good;
    bad[1] ^= 1; // payload length
    CHECK(refused(bad));
    bad = good;
    bad.pop_back(); // truncated memory
    CHECK(refused(bad));
    bad = good;
    bad[5] = 0x20; // CRTC index out of range
    CHECK(refused(bad));
    bad = good;
    bad[6] = 0x02; // status bits that do not exist
    CHECK(refused(bad));
    CHECK(refused({}));
    CHECK_FALSE(refused(before)); // its own bytes are fine
}

TEST_CASE("VgaText: reset clears the screen and the registers", "[devices]")
{
    Screen s;
    std::vector<u8> power_on = saved(s.vga);
    s.puts16(7, 0, "gone after reset");
    s.crtc(0x0C, 0x01), s.crtc(0x0E, 0x02), s.crtc(0x0A, 0x20);
    s.vga.io_read(0x3DA, 1);
    s.vga.flush();
    s.console.take();
    s.vga.reset();
    CHECK(saved(s.vga) == power_on);
    CHECK(s.row(7) == std::string(80, ' '));
    CHECK(s.vga.cursor().visible);
    s.vga.flush(); // the console mirror starts over blank too
    CHECK(s.console.text.empty());
}
