// PCI configuration mechanism #1 (PCI Local Bus Specification 3.0 §3.2.2.3.2) with the
// i440FX host bridge and PIIX3 ISA bridge: CONFIG_ADDRESS, absent functions, enumeration
// as Linux and SeaBIOS do it, sub-dword CONFIG_DATA accesses, BAR sizing (§6.2.5.1),
// read-only and write-one-to-clear fields, the PIRQ route registers, save/restore, reset.
#include <catch2/catch.hpp>
#include <string>
#include <vector>
#include "plugins/devices/pci/pci.h"

using namespace keel;
using keel::devices::I440fxHostBridge;
using keel::devices::PciBus;
using keel::devices::PciFunction;
using keel::devices::Piix3IsaBridge;

namespace {

// A function with one BAR of each kind (I/O 32 bytes, 32-bit memory 4 KiB, 64-bit
// prefetchable memory 8 GiB in BARs 2-3), INTA#, and a record of its hook calls.
struct TestFunction final : PciFunction {
    struct Write {
        u8 offset;
        u32 value;
        unsigned size;
        bool operator==(const Write&) const = default;
    };
    std::vector<Write> writes;
    unsigned reloads = 0;

    TestFunction() : PciFunction(0x1234, 0x5678, 0x020000, 0x07, 0x00)
    {
        define_bar(0, BarKind::Io, 0x20);
        define_bar(1, BarKind::Memory32, 0x1000);
        define_bar(2, BarKind::Memory64, 0x200000000ull, true);
        init_config(0x3D, 1, 1); // interrupt pin INTA#
    }
    void config_write_hook(u8 offset, u32 value, unsigned size) override { writes.push_back({ offset, value, size }); }
    void config_reloaded() override { ++reloads; }
};

struct Machine {
    PciBus bus;
    I440fxHostBridge host;
    Piix3IsaBridge isa;
    Machine()
    {
        REQUIRE(!bus.add_function(0, 0, &host).is_error());
        REQUIRE(!bus.add_function(1, 0, &isa).is_error());
    }

    static u32 address(u8 bus_number, u8 device, u8 function, u8 reg)
    {
        return 0x80000000u | bus_number << 16 | device << 11 | function << 8 | (reg & 0xFC);
    }
    // Linux's pci_conf1_read/write: CONFIG_ADDRESS, then CONFIG_DATA + (reg & 3).
    u32 read(u8 device, u8 function, u8 reg, unsigned size = 4)
    {
        bus.io_write(0xCF8, address(0, device, function, reg), 4);
        return bus.io_read(static_cast<u16>(0xCFC + (reg & 3)), size);
    }
    void write(u8 device, u8 function, u8 reg, u32 value, unsigned size = 4)
    {
        bus.io_write(0xCF8, address(0, device, function, reg), 4);
        bus.io_write(static_cast<u16>(0xCFC + (reg & 3)), value, size);
    }
};

std::vector<u8> saved(const PciBus& bus)
{
    StateWriter w;
    bus.save(w);
    return std::vector<u8>(w.data().begin(), w.data().end());
}

} // namespace

TEST_CASE("PciBus: CONFIG_ADDRESS read-back and the enable bit", "[devices]")
{
    Machine m;
    CHECK(m.bus.io_read(0xCF8, 4) == 0);
    m.bus.io_write(0xCF8, 0x80001234, 4);
    CHECK(m.bus.io_read(0xCF8, 4) == 0x80001234);
    // Reserved bits 30:24 and bits 1:0 read 0.
    m.bus.io_write(0xCF8, 0xFFFFFFFF, 4);
    CHECK(m.bus.io_read(0xCF8, 4) == 0x80FFFFFC);
    CHECK(m.bus.config_address() == 0x80FFFFFC);
    // Byte and word accesses at 0xCF8-0xCFB are not CONFIG_ADDRESS.
    m.bus.io_write(0xCF8, 0x00, 1);
    m.bus.io_write(0xCF8, 0x0000, 2);
    CHECK(m.bus.io_read(0xCF8, 4) == 0x80FFFFFC);
    CHECK(m.bus.io_read(0xCF8, 1) == 0xFF);
    CHECK(m.bus.io_read(0xCFA, 2) == 0xFFFF);

    // Enable bit clear: CONFIG_DATA is ordinary I/O (nothing): all ones, writes dropped.
    m.bus.io_write(0xCF8, 0x00000000, 4); // 00:00.0 register 0, disabled
    CHECK(m.bus.io_read(0xCFC, 4) == 0xFFFFFFFF);
    CHECK(m.bus.io_read(0xCFE, 2) == 0xFFFF);
    m.bus.io_write(0xCF8, 0x00000000 | 0x3C, 4);
    m.bus.io_write(0xCFC, 0x0B, 1);
    CHECK(m.read(0, 0, 0x3C, 1) == 0x00); // interrupt line unchanged
    m.bus.io_write(0xCF8, 0x80000000, 4);
    CHECK(m.bus.io_read(0xCFC, 4) == 0x12378086);
}

TEST_CASE("PciBus: absent functions and other buses read all ones", "[devices]")
{
    Machine m;
    CHECK(m.read(2, 0, 0x00) == 0xFFFFFFFF);
    CHECK(m.read(31, 7, 0x08) == 0xFFFFFFFF);
    CHECK(m.read(0, 1, 0x00) == 0xFFFFFFFF); // the host bridge is single-function
    CHECK(m.read(2, 0, 0x00, 2) == 0xFFFF);
    CHECK(m.read(2, 0, 0x03, 1) == 0xFF);
    m.write(2, 0, 0x3C, 0x0B); // no one there
    m.bus.io_write(0xCF8, Machine::address(1, 0, 0, 0), 4); // bus 1: no bridge leads there
    CHECK(m.bus.io_read(0xCFC, 4) == 0xFFFFFFFF);

    // Slots: out of range, taken.
    TestFunction t;
    CHECK(m.bus.add_function(32, 0, &t).is_error());
    CHECK(m.bus.add_function(3, 8, &t).is_error());
    CHECK(m.bus.add_function(1, 0, &t).is_error());
    CHECK(m.bus.add_function(3, 0, nullptr).is_error());
    CHECK(m.bus.function(1, 0) == &m.isa);
    CHECK(m.bus.function(3, 0) == nullptr);
    CHECK(!m.bus.add_function(3, 0, &t).is_error());
    CHECK(m.read(3, 0, 0x00) == 0x56781234);
}

TEST_CASE("PciBus: enumerating bus 0 as Linux and SeaBIOS do", "[devices]")
{
    Machine m;
    struct Found {
        u8 device, function;
        u16 vendor, id;
        u32 class_revision;
        u8 header_type;
    };
    std::vector<Found> found;
    // pci_scan_slot: function 0's vendor ID; functions 1-7 only if its header type has bit 7.
    for (u8 dev = 0; dev < 32; ++dev) {
        for (u8 fn = 0; fn < 8; ++fn) {
            u32 id = m.read(dev, fn, 0x00);
            if ((id & 0xFFFF) == 0xFFFF) {
                if (fn == 0)
                    break;
                continue;
            }
            u8 header = static_cast<u8>(m.read(dev, fn, 0x0E, 1));
            found.push_back({ dev, fn, static_cast<u16>(id), static_cast<u16>(id >> 16), m.read(dev, fn, 0x08), header });
            if (fn == 0 && !(header & 0x80))
                break;
        }
    }
    REQUIRE(found.size() == 2);
    CHECK(found[0].device == 0);
    CHECK(found[0].function == 0);
    CHECK(found[0].vendor == 0x8086);
    CHECK(found[0].id == 0x1237);
    CHECK(found[0].class_revision == 0x06000002); // host bridge, revision 2
    CHECK(found[0].header_type == 0x00);
    CHECK(found[1].device == 1);
    CHECK(found[1].function == 0);
    CHECK(found[1].vendor == 0x8086);
    CHECK(found[1].id == 0x7000);
    CHECK(found[1].class_revision == 0x06010000); // PCI-to-ISA bridge
    CHECK(found[1].header_type == 0x80);           // multi-function
    CHECK(m.isa.multi_function());
    CHECK(!m.host.multi_function());
    CHECK(m.read(0, 0, 0x04) == 0x02800000); // command 0, status: medium DEVSEL, fast back-to-back
    CHECK(m.read(0, 0, 0x3C) == 0);          // no interrupt pin

    StringBuilder text;
    m.bus.describe(text);
    std::string s = text.c_str();
    INFO(s);
    CHECK(s == "00:00.0 8086:1237 class 060000 rev 02 irq 0 pin -\n"
               "00:01.0 8086:7000 class 060100 rev 00 irq 0 pin -\n");
}

TEST_CASE("PciBus: byte and word accesses anywhere in CONFIG_DATA", "[devices]")
{
    Machine m;
    m.bus.io_write(0xCF8, Machine::address(0, 1, 0, 0x00), 4);
    CHECK(m.bus.io_read(0xCFC, 1) == 0x86);
    CHECK(m.bus.io_read(0xCFD, 1) == 0x80);
    CHECK(m.bus.io_read(0xCFE, 1) == 0x00);
    CHECK(m.bus.io_read(0xCFF, 1) == 0x70);
    CHECK(m.bus.io_read(0xCFC, 2) == 0x8086);
    CHECK(m.bus.io_read(0xCFD, 2) == 0x0080);
    CHECK(m.bus.io_read(0xCFE, 2) == 0x7000);
    // Past 0xCFF there is no CONFIG_DATA byte: all ones.
    CHECK(m.bus.io_read(0xCFF, 2) == 0xFF70);
    CHECK(m.bus.io_read(0xCFE, 4) == 0xFFFF7000);

    // Byte writes at 0xCFD-0xCFF land at register + 1..3: PIRQRC[B..D].
    m.bus.io_write(0xCF8, Machine::address(0, 1, 0, 0x60), 4);
    m.bus.io_write(0xCFD, 0x0A, 1);
    m.bus.io_write(0xCFE, 0x0B, 1);
    m.bus.io_write(0xCFF, 0x05, 1);
    CHECK(m.bus.io_read(0xCFC, 4) == 0x050B0A80);
    m.bus.io_write(0xCFE, 0x0909, 2);
    CHECK(m.bus.io_read(0xCFC, 4) == 0x09090A80);
    m.bus.io_write(0xCFD, 0x0B0B, 2);
    CHECK(m.bus.io_read(0xCFC, 4) == 0x090B0B80);
    // A word write at 0xCFF only reaches register + 3.
    m.bus.io_write(0xCFF, 0x0A0A, 2);
    CHECK(m.bus.io_read(0xCFC, 4) == 0x0A0B0B80);
    CHECK(m.read(1, 0, 0x64) == 0); // untouched neighbour
}

TEST_CASE("PciBus: BAR sizing for I/O, 32-bit and 64-bit memory BARs", "[devices]")
{
    Machine m;
    TestFunction t;
    REQUIRE(!m.bus.add_function(3, 0, &t).is_error());
    // Power-on: the type bits only.
    CHECK(m.read(3, 0, 0x10) == 0x00000001);
    CHECK(m.read(3, 0, 0x14) == 0x00000000);
    CHECK(m.read(3, 0, 0x18) == 0x0000000C); // 64-bit, prefetchable
    CHECK(m.read(3, 0, 0x1C) == 0x00000000);
    CHECK(m.read(3, 0, 0x20) == 0);          // BAR 4, 5: not implemented, hardwired 0
    CHECK(m.read(3, 0, 0x24) == 0);

    // The sizing sequence (Linux __pci_read_base): save, write all ones, read, restore.
    auto size_of = [&](u8 reg) {
        u32 old = m.read(3, 0, reg);
        m.write(3, 0, reg, 0xFFFFFFFF);
        u32 mask = m.read(3, 0, reg);
        m.write(3, 0, reg, old);
        CHECK(m.read(3, 0, reg) == old);
        return mask;
    };
    CHECK(size_of(0x10) == 0xFFFFFFE1);            // I/O, 32 bytes
    CHECK(size_of(0x14) == 0xFFFFF000);            // memory, 4 KiB
    CHECK(size_of(0x18) == 0x0000000C);            // 8 GiB: no address bits in the low half
    CHECK(size_of(0x1C) == 0xFFFFFFFE);            // ... the high half: size 2^33
    CHECK(size_of(0x20) == 0);

    // Assigning addresses (SeaBIOS pci_bios_map_devices); the low bits are dropped.
    m.write(3, 0, 0x10, 0xC0FF);
    m.write(3, 0, 0x14, 0xFEBF1234);
    m.write(3, 0, 0x18, 0xFFFFFFFF);
    m.write(3, 0, 0x1C, 0x00000002);
    CHECK(m.read(3, 0, 0x10) == 0xC0E1);
    CHECK(m.read(3, 0, 0x14) == 0xFEBF1000);
    CHECK(m.read(3, 0, 0x18) == 0x0000000C);
    CHECK(m.read(3, 0, 0x1C) == 0x00000002);
    PciFunction::Bar b = t.bar(0);
    CHECK(b.kind == PciFunction::BarKind::Io);
    CHECK(b.size == 0x20);
    CHECK(b.address == 0xC0E0);
    b = t.bar(1);
    CHECK(b.kind == PciFunction::BarKind::Memory32);
    CHECK(b.size == 0x1000);
    CHECK(b.address == 0xFEBF1000);
    CHECK(!b.prefetchable);
    b = t.bar(2);
    CHECK(b.kind == PciFunction::BarKind::Memory64);
    CHECK(b.size == 0x200000000ull);
    CHECK(b.address == 0x200000000ull);
    CHECK(b.prefetchable);
    CHECK(t.bar(3).kind == PciFunction::BarKind::None);
    CHECK(t.bar(6).kind == PciFunction::BarKind::None);

    // Byte-wise sizing of the I/O BAR reaches the same bits.
    m.write(3, 0, 0x10, 0xFF, 1);
    CHECK(m.read(3, 0, 0x10) == 0xC0E1);
    m.write(3, 0, 0x11, 0x12, 1);
    CHECK(m.read(3, 0, 0x10) == 0x12E1);

    StringBuilder text;
    m.bus.describe(text);
    std::string s = text.c_str();
    INFO(s);
    CHECK(s.find("00:03.0 1234:5678 class 020000 rev 07 irq 0 pin A\n"
                 "    BAR0: I/O at 0x12e0 [0x12ff]\n"
                 "    BAR1: 32-bit memory at 0xfebf1000 [0xfebf1fff]\n"
                 "    BAR2: 64-bit memory prefetchable at 0x200000000 [0x3ffffffff]\n") != std::string::npos);
}

TEST_CASE("PciBus: read-only, writable and write-one-to-clear header fields", "[devices]")
{
    Machine m;
    TestFunction t;
    REQUIRE(!m.bus.add_function(3, 0, &t).is_error());
    // IDs, class, revision, header type, interrupt pin: read-only.
    m.write(3, 0, 0x00, 0);
    m.write(3, 0, 0x08, 0);
    m.write(3, 0, 0x0C, 0xFFFFFFFF);
    m.write(3, 0, 0x3C, 0xFFFFFFFF);
    m.write(3, 0, 0x2C, 0xFFFFFFFF); // subsystem IDs
    m.write(3, 0, 0x30, 0xFFFFFFFF); // expansion ROM BAR: not implemented
    CHECK(m.read(3, 0, 0x00) == 0x56781234);
    CHECK(m.read(3, 0, 0x08) == 0x02000007);
    CHECK(m.read(3, 0, 0x0C) == 0x0000FFFF); // cache line size, latency timer writable; BIST 0
    CHECK(m.read(3, 0, 0x3C) == 0x000001FF); // interrupt line writable, pin stays INTA#
    CHECK(m.read(3, 0, 0x2C) == 0);
    CHECK(m.read(3, 0, 0x30) == 0);
    // Command: only the implemented bits (§6.2.2).
    m.write(3, 0, 0x04, 0xFFFF, 2);
    CHECK(m.read(3, 0, 0x04, 2) == 0x0547);
    m.write(3, 0, 0x04, 0x0003, 2);
    CHECK(m.read(3, 0, 0x04, 2) == 0x0003);
    // The hook sees the write as the guest made it (after the masks applied).
    REQUIRE(!t.writes.empty());
    CHECK(t.writes.back() == TestFunction::Write { 0x04, 0x0003, 2 });
    // Status: writing ones to the error bits clears them; the others are read-only.
    CHECK(m.read(0, 0, 0x06, 2) == 0x0280);
    m.write(0, 0, 0x06, 0xFFFF, 2);
    CHECK(m.read(0, 0, 0x06, 2) == 0x0280);
    u8 config[256];
    for (unsigned i = 0; i < 256; ++i)
        config[i] = t.config_byte(static_cast<u8>(i));
    config[0x07] = 0xF9; // as if the device had signalled errors
    REQUIRE(t.accepts(config));
    t.load(config);
    CHECK(m.read(3, 0, 0x06, 2) == 0xF900);
    m.write(3, 0, 0x06, 0x2000, 2); // clear received master abort only
    CHECK(m.read(3, 0, 0x06, 2) == 0xD900);
    m.write(3, 0, 0x07, 0xFF, 1);
    CHECK(m.read(3, 0, 0x06, 2) == 0x0000);
    // The host bridge's PAM registers (82441FX): only the enable bits stick.
    m.write(0, 0, 0x58, 0xFFFFFFFF);
    CHECK(m.read(0, 0, 0x58) == 0x33333000);
    CHECK(m.read(0, 0, 0x5C) == 0x00000000);
    m.write(0, 0, 0x5C, 0xFFFFFFFF);
    CHECK(m.read(0, 0, 0x5C) == 0x33333333);
    m.write(0, 0, 0x00, 0);
    CHECK(m.read(0, 0, 0x00) == 0x12378086);
}

TEST_CASE("Piix3IsaBridge: PIRQ route control registers", "[devices]")
{
    Machine m;
    std::vector<std::pair<unsigned, int>> routes;
    m.isa.set_route_listener([](void* ctx, unsigned pirq, int irq) {
        static_cast<std::vector<std::pair<unsigned, int>>*>(ctx)->push_back({ pirq, irq });
    }, &routes);
    CHECK(m.read(1, 0, 0x60) == 0x80808080); // all disabled at reset
    for (unsigned p = 0; p < 4; ++p)
        CHECK(m.isa.pirq_irq(p) == -1);
    // SeaBIOS's piix_isa_bridge_setup: PIRQA-D to IRQ 10, 10, 11, 11.
    m.write(1, 0, 0x60, 0x0B0B0A0A);
    CHECK(m.read(1, 0, 0x60) == 0x0B0B0A0A);
    CHECK(m.isa.pirq_irq(0) == 10);
    CHECK(m.isa.pirq_irq(1) == 10);
    CHECK(m.isa.pirq_irq(2) == 11);
    CHECK(m.isa.pirq_irq(3) == 11);
    CHECK(routes == std::vector<std::pair<unsigned, int>> { { 0, 10 }, { 1, 10 }, { 2, 11 }, { 3, 11 } });
    // Reserved bits 6:4 read 0; bit 7 disables; reserved IRQ numbers route nowhere.
    m.write(1, 0, 0x61, 0xFF, 1);
    CHECK(m.read(1, 0, 0x61, 1) == 0x8F);
    CHECK(m.isa.pirq_irq(1) == -1);
    for (u8 irq : { 0, 1, 2, 8, 13 }) {
        m.write(1, 0, 0x62, irq, 1);
        CHECK(m.isa.pirq_irq(2) == -1);
    }
    m.write(1, 0, 0x62, 0x05, 1);
    CHECK(m.isa.pirq_irq(2) == 5);
    CHECK(routes.back() == std::pair<unsigned, int> { 2, 5 });
    // A write elsewhere does not notify.
    size_t n = routes.size();
    m.write(1, 0, 0x64, 0xFFFFFFFF);
    m.write(1, 0, 0x5C, 0xFFFFFFFF);
    CHECK(routes.size() == n);
    // Reset: disabled again, and the listener hears it.
    m.bus.reset();
    CHECK(m.read(1, 0, 0x60) == 0x80808080);
    CHECK(routes.size() == n + 4);
    CHECK(routes.back() == std::pair<unsigned, int> { 3, -1 });
}

TEST_CASE("PciBus: save/restore round-trip and refusal", "[devices]")
{
    Machine m;
    TestFunction t;
    REQUIRE(!m.bus.add_function(3, 0, &t).is_error());
    m.write(1, 0, 0x60, 0x0B0B0A0A);
    m.write(3, 0, 0x10, 0xC000);
    m.write(3, 0, 0x04, 0x0001, 2);
    m.write(3, 0, 0x3C, 0x0B, 1);
    m.write(0, 0, 0x59, 0x30, 1);
    m.bus.io_write(0xCF8, Machine::address(0, 3, 0, 0x14), 4);
    std::vector<u8> bytes = saved(m.bus);
    CHECK(bytes[0] == PciBus::state_version);
    CHECK(bytes.size() == 1 + 4 + 4 + 2 + 3 * 257);

    Machine n;
    TestFunction u;
    REQUIRE(!n.bus.add_function(3, 0, &u).is_error());
    std::vector<std::pair<unsigned, int>> routes;
    n.isa.set_route_listener([](void* ctx, unsigned pirq, int irq) {
        static_cast<std::vector<std::pair<unsigned, int>>*>(ctx)->push_back({ pirq, irq });
    }, &routes);
    StateReader in(bytes.data(), bytes.size());
    REQUIRE(!n.bus.restore(in).is_error());
    CHECK(in.remaining() == 0);
    CHECK(saved(n.bus) == bytes);
    CHECK(n.bus.config_address() == Machine::address(0, 3, 0, 0x14));
    CHECK(n.bus.io_read(0xCFC, 4) == 0);
    CHECK(u.bar(0).address == 0xC000);
    CHECK(u.reloads == 1);
    CHECK(n.isa.pirq_irq(2) == 11);
    CHECK(routes.size() == 4);

    auto refused = [&](std::vector<u8> bad) {
        std::vector<u8> before = saved(n.bus);
        unsigned reloads = u.reloads;
        StateReader r(bad.data(), bad.size());
        bool error = n.bus.restore(r).is_error();
        CHECK(saved(n.bus) == before);
        CHECK(u.reloads == reloads);
        return error;
    };
    std::vector<u8> bad = bytes;
    bad[0] = 2; // version
    CHECK(refused(bad));
    bad = bytes;
    bad[1] ^= 1; // length
    CHECK(refused(bad));
    bad = bytes;
    bad.pop_back(); // truncated
    CHECK(refused(bad));
    bad = bytes;
    bad[8] = 0x7F; // CONFIG_ADDRESS reserved bits 30:24
    CHECK(refused(bad));
    bad = bytes;
    bad[11 + 257] = 9; // the second function saved at 00:01.1
    CHECK(refused(bad));
    bad = bytes;
    bad[11 + 2 * 257 + 1 + 0x00] = 0x35; // 00:03.0 vendor ID: another device's state
    CHECK(refused(bad));
    bad = bytes;
    bad[11 + 2 * 257 + 1 + 0x10] = 0x11; // I/O BAR: bit 4 is below the 32-byte size
    CHECK(refused(bad));
    // A state from a bus with another population (no 00:03.0).
    Machine other;
    std::vector<u8> fewer = saved(other.bus);
    CHECK(refused(fewer));
    // ... and the other way round.
    StateReader r(bytes.data(), bytes.size());
    CHECK(other.bus.restore(r).is_error());
}

TEST_CASE("PciBus: reset", "[devices]")
{
    Machine m;
    TestFunction t;
    REQUIRE(!m.bus.add_function(3, 0, &t).is_error());
    std::vector<u8> power_on = saved(m.bus);
    m.write(3, 0, 0x10, 0xC000);
    m.write(3, 0, 0x1C, 0x1);
    m.write(3, 0, 0x04, 0x0007, 2);
    m.write(3, 0, 0x3C, 0x0B, 1);
    m.write(1, 0, 0x60, 0x0B0B0A0A);
    m.write(0, 0, 0x5A, 0x33, 1);
    CHECK(saved(m.bus) != power_on);
    m.bus.reset();
    CHECK(saved(m.bus) == power_on);
    CHECK(m.bus.config_address() == 0);
    CHECK(t.reloads == 1);
    CHECK(t.bar(2).address == 0);
    CHECK(m.read(3, 0, 0x04) == 0);
    CHECK(m.read(1, 0, 0x60) == 0x80808080);
}

TEST_CASE("I440fxHostBridge: PAM registers name the BIOS segments the machine shadows", "[devices]")
{
    // 82441FX §3.2.15: PAM0 bits 5:4 for 0xF0000-0xFFFFF; PAMn (n = 1-6) bits 1:0 and 5:4
    // for the two 16 KiB segments at 0xC0000 + (n - 1) * 32 KiB. Bit 0 of a pair: reads
    // from DRAM, bit 1: writes to DRAM.
    struct Shadow {
        u64 base, size;
        bool read_dram, write_dram;
        bool operator==(const Shadow&) const = default;
    };
    Machine m;
    std::vector<Shadow> calls;
    m.host.set_shadow_listener([](void* ctx, u64 base, u64 size, bool r, bool w) {
        static_cast<std::vector<Shadow>*>(ctx)->push_back({ base, size, r, w });
    }, &calls);
    m.write(0, 0, 0x59, 0x30, 1); // SeaBIOS: 0xF0000 read/write DRAM
    CHECK(calls == std::vector<Shadow> { { 0xF0000, 0x10000, true, true } });
    calls.clear();
    m.write(0, 0, 0x5E, 0x31, 1); // PAM5: 0xE0000 read-only DRAM, 0xE4000 read/write
    CHECK(calls == std::vector<Shadow> { { 0xE0000, 0x4000, true, false }, { 0xE4000, 0x4000, true, true } });
    calls.clear();
    m.write(0, 0, 0x5C, 0x00330000, 4); // PAM3-PAM6 in one dword write
    REQUIRE(calls.size() == 8);
    CHECK(calls[0] == Shadow { 0xD0000, 0x4000, false, false });
    CHECK(calls[4] == Shadow { 0xE0000, 0x4000, true, true });
    CHECK(calls[5] == Shadow { 0xE4000, 0x4000, true, true });
    CHECK(calls[7] == Shadow { 0xEC000, 0x4000, false, false });
    CHECK(m.read(0, 0, 0x59, 1) == 0x30);
    m.write(0, 0, 0x59, 0xFF, 1);
    CHECK(m.read(0, 0, 0x59, 1) == 0x30); // the reserved bits stay 0
    calls.clear();
    m.bus.reset(); // every segment back to the bus, and the machine told so
    CHECK(calls.size() == 13);
    CHECK(calls.back() == Shadow { 0xE8000 + 0x4000, 0x4000, false, false });
}
