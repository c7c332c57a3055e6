// The firmware debug console at 0x402 (QEMU's isa-debugcon): reads return 0xE9, the value
// SeaBIOS checks before it writes; writes go out byte by byte; save/restore.
#include <catch2/catch.hpp>
#include <string>
#include <vector>
#include "plugins/devices/debugcon/debugcon.h"

using namespace keel;
using keel::devices::Debugcon;

namespace {
void capture(void* out, const char* bytes, usize length) { static_cast<std::string*>(out)->append(bytes, length); }
} // namespace

TEST_CASE("Debugcon: the readback and the bytes written", "[devices]")
{
    std::string out;
    Debugcon con(capture, &out);
    CHECK(con.io_read(0x402, 1) == 0xE9);
    CHECK(con.io_read(0x402, 2) == 0xFFE9);
    for (char c : std::string("SeaBIOS\n"))
        con.io_write(0x402, static_cast<u8>(c), 1);
    con.io_write(0x402, 0x4241, 2); // a wider write sends its low byte
    CHECK(out == "SeaBIOS\nA");
    CHECK(con.bytes() == 9);

    StateWriter w;
    con.save(w);
    Debugcon other(nullptr, nullptr); // output=none: counted, not written
    std::vector<u8> bytes(w.data().begin(), w.data().end());
    StateReader in(bytes.data(), bytes.size());
    REQUIRE_FALSE(other.restore(in).is_error());
    CHECK(other.bytes() == 9);
    other.io_write(0x402, 'x', 1);
    CHECK(other.bytes() == 10);
    other.reset();
    CHECK(other.bytes() == 0);
}
