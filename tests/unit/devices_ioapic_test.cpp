// The I/O APIC (Intel 82093AA data sheet, 290566): reset state, the ID/version/arbitration
// registers, the IOREGSEL/IOWIN window and read-only entry bits, edge and level delivery,
// remote IRR and EOI, polarity, unmasking an asserted level input, save/restore and reset.
#include <catch2/catch.hpp>
#include <string>
#include <vector>
#include "plugins/devices/ioapic/ioapic.h"

using namespace keel;
using keel::ApicBus;
using keel::devices::IoApic;

namespace {

struct Message {
    u8 vector, mode, destination;
    bool logical, level;
    bool operator==(const Message&) const = default;
};

// The local APIC side: records every message.
struct Bus : ApicBus {
    std::vector<Message> sent;
    void deliver(u8 vector, u8 mode, u8 destination, bool logical, bool level) override
    {
        sent.push_back({ vector, mode, destination, logical, level });
    }
    void set_eoi_listener(EoiListener, void*) override {}
};

struct Machine {
    Bus bus;
    IoApic ioapic { bus };

    u32 read(u8 index)
    {
        ioapic.mmio_write(0x00, index, 4);
        return static_cast<u32>(ioapic.mmio_read(0x10, 4));
    }
    void write(u8 index, u32 value)
    {
        ioapic.mmio_write(0x00, index, 4);
        ioapic.mmio_write(0x10, value, 4);
    }
    // Programs pin's entry as Linux does: high dword (destination) first, then the low dword.
    void route(unsigned pin, u32 low, u8 destination = 0)
    {
        write(static_cast<u8>(0x10 + 2 * pin + 1), static_cast<u32>(destination) << 24);
        write(static_cast<u8>(0x10 + 2 * pin), low);
    }
    void set(unsigned pin, bool level) { ioapic.set_irq_level(pin, level); }
};

constexpr u32 level = 1u << 15, active_low = 1u << 13, masked = 1u << 16, remote_irr = 1u << 14, logical = 1u << 11;

std::vector<u8> saved(const IoApic& ioapic)
{
    StateWriter w;
    ioapic.save(w);
    return std::vector<u8>(w.data().begin(), w.data().end());
}

} // namespace

TEST_CASE("IoApic: reset state, ID, version and arbitration registers", "[devices]")
{
    Machine m;
    CHECK(m.read(0x00) == 0);          // ID 0
    CHECK(m.read(0x01) == 0x00170011); // 24 entries, version 0x11
    CHECK(m.read(0x02) == 0);
    for (unsigned pin = 0; pin < IoApic::pin_count; ++pin) {
        CHECK(m.read(static_cast<u8>(0x10 + 2 * pin)) == masked); // §3.2.4: masked at reset
        CHECK(m.read(static_cast<u8>(0x11 + 2 * pin)) == 0);
    }
    CHECK(m.read(0x40) == 0); // past the table: reads 0
    CHECK(m.read(0x03) == 0);

    // The ID is bits 27:24; the arbitration ID follows it; version and arbitration are read-only.
    m.write(0x00, 0xFFFFFFFF);
    CHECK(m.read(0x00) == 0x0F000000);
    CHECK(m.read(0x02) == 0x0F000000);
    m.write(0x01, 0);
    m.write(0x02, 0);
    CHECK(m.read(0x01) == 0x00170011);
    CHECK(m.read(0x02) == 0x0F000000);
    CHECK(m.ioapic.id() == 0x0F);

    // The reset ID comes from the constructor.
    Bus bus;
    IoApic other(bus, 2);
    other.mmio_write(0, 0, 4);
    CHECK(other.mmio_read(0x10, 4) == 0x02000000);
    CHECK(bus.sent.empty());
}

TEST_CASE("IoApic: IOREGSEL, IOWIN and the read-only entry bits", "[devices]")
{
    Machine m;
    m.ioapic.mmio_write(0x00, 0x12345613, 4);
    CHECK(m.ioapic.mmio_read(0x00, 4) == 0x13); // only bits 7:0 select

    // Every writable bit of the low dword; delivery status (12) and remote IRR (14) and the
    // reserved bits 31:17 stay 0.
    m.write(0x10, 0xFFFFFFFF);
    CHECK(m.read(0x10) == 0x0001AFFF);
    m.write(0x10, 0x00000000);
    CHECK(m.read(0x10) == 0);
    // The high dword: only the destination (bits 63:56).
    m.write(0x11, 0xFFFFFFFF);
    CHECK(m.read(0x11) == 0xFF000000);
    CHECK(m.ioapic.redirection_entry(0) == 0xFF00000000000000ull);
    // Writing one half keeps the other.
    m.write(0x2F, 0x03000000); // entry 15 high
    m.write(0x2E, 0x0001A931); // entry 15 low: vector 0x31, lowest priority, logical, level, active low, masked
    CHECK(m.ioapic.redirection_entry(15) == 0x030000000001A931ull);
    m.write(0x2F, 0x05000000);
    CHECK(m.ioapic.redirection_entry(15) == 0x050000000001A931ull);

    // Sub-dword and other offsets do not reach the registers.
    m.ioapic.mmio_write(0x00, 0x2F, 4);
    m.ioapic.mmio_write(0x10, 0x07, 1);
    CHECK(m.ioapic.mmio_read(0x10, 1) == 0);
    CHECK(m.ioapic.mmio_read(0x10, 4) == 0x05000000);
    m.ioapic.mmio_write(0x20, 0xFFFFFFFF, 4);
    CHECK(m.ioapic.mmio_read(0x20, 4) == 0);
    CHECK(m.bus.sent.empty());
}

TEST_CASE("IoApic: edge-triggered entries deliver once per rising edge; masked edges are lost", "[devices]")
{
    Machine m;
    m.route(2, 0x30 | logical, 0x01); // fixed, logical destination 1, edge, active high
    m.set(2, true);
    REQUIRE(m.bus.sent.size() == 1);
    CHECK(m.bus.sent[0] == Message { 0x30, 0, 0x01, true, false });
    m.set(2, true); // still high: no new edge
    CHECK(m.bus.sent.size() == 1);
    m.set(2, false);
    CHECK(m.bus.sent.size() == 1);
    m.set(2, true);
    CHECK(m.bus.sent.size() == 2);
    m.set(2, false);

    // Masked: the edge is discarded, and unmasking does not bring it back (§3.2.4 bit 16).
    m.route(2, 0x30 | masked);
    m.set(2, true);
    m.set(2, false);
    m.route(2, 0x30);
    CHECK(m.bus.sent.size() == 2);
    // Masked while high, unmasked, then lowered: no edge ever seen while unmasked.
    m.route(2, 0x30 | masked);
    m.set(2, true);
    m.route(2, 0x30);
    m.set(2, false);
    CHECK(m.bus.sent.size() == 2);
    m.set(2, true);
    CHECK(m.bus.sent.size() == 3);
    // Edge entries never set remote IRR, and their EOI (none comes, but) changes nothing.
    CHECK((m.ioapic.redirection_entry(2) & IoApic::entry_remote_irr) == 0);
    m.ioapic.end_of_interrupt(0x30);
    CHECK(m.bus.sent.size() == 3);

    // Delivery mode and physical destination pass through (NMI to APIC 3).
    m.route(5, 0x02 | 0x400, 0x03);
    m.set(5, true);
    REQUIRE(m.bus.sent.size() == 4);
    CHECK(m.bus.sent[3] == Message { 0x02, 4, 0x03, false, false });
    // Other pins are unaffected; a pin past 23 is ignored.
    m.set(24, true);
    m.set(31, true);
    CHECK(m.bus.sent.size() == 4);
    CHECK(m.ioapic.pin_levels() == ((1u << 2) | (1u << 5)));
}

TEST_CASE("IoApic: level-triggered entries, remote IRR and EOI", "[devices]")
{
    Machine m;
    m.route(9, 0x41 | level);
    m.set(9, true);
    REQUIRE(m.bus.sent.size() == 1);
    CHECK(m.bus.sent[0] == Message { 0x41, 0, 0, false, true });
    CHECK(m.read(0x10 + 18) == (0x41 | level | remote_irr));
    // Re-driving the asserted line or writing the entry again does not deliver again.
    m.set(9, true);
    m.route(9, 0x41 | level);
    CHECK(m.bus.sent.size() == 1);
    // Remote IRR is read-only: writing 0 there does not clear it.
    CHECK(m.read(0x10 + 18) & remote_irr);

    // An EOI for another vector changes nothing.
    m.ioapic.end_of_interrupt(0x42);
    CHECK(m.bus.sent.size() == 1);
    // The EOI with the line still asserted: remote IRR cleared, then set again by a new message.
    m.ioapic.end_of_interrupt(0x41);
    CHECK(m.bus.sent.size() == 2);
    CHECK(m.read(0x10 + 18) & remote_irr);
    // The line falls (the handler serviced the device), then the EOI: no new message.
    m.set(9, false);
    m.ioapic.end_of_interrupt(0x41);
    CHECK(m.bus.sent.size() == 2);
    CHECK((m.read(0x10 + 18) & remote_irr) == 0);
    // Next assertion delivers again.
    m.set(9, true);
    CHECK(m.bus.sent.size() == 3);

    // Two pins sharing a vector: one EOI serves both.
    m.route(10, 0x41 | level);
    m.set(10, true);
    CHECK(m.bus.sent.size() == 4);
    m.set(9, false);
    m.ioapic.end_of_interrupt(0x41);
    CHECK(m.bus.sent.size() == 5); // pin 10 still asserted
    CHECK((m.ioapic.redirection_entry(9) & IoApic::entry_remote_irr) == 0);
    CHECK(m.ioapic.redirection_entry(10) & IoApic::entry_remote_irr);

    // Switching an entry to edge clears remote IRR (undefined for edge; as QEMU).
    m.route(10, 0x41);
    CHECK((m.ioapic.redirection_entry(10) & IoApic::entry_remote_irr) == 0);
}

TEST_CASE("IoApic: level entries masked while asserted deliver when unmasked", "[devices]")
{
    Machine m;
    m.route(11, 0x51 | level | masked);
    m.set(11, true);
    CHECK(m.bus.sent.empty());
    CHECK((m.read(0x10 + 22) & remote_irr) == 0);
    m.route(11, 0x51 | level);
    REQUIRE(m.bus.sent.size() == 1);
    CHECK(m.bus.sent[0].vector == 0x51);
    CHECK(m.read(0x10 + 22) & remote_irr);
    // Masking with remote IRR set, an EOI, then unmasking: delivered again on unmask.
    m.route(11, 0x51 | level | masked);
    m.ioapic.end_of_interrupt(0x51);
    CHECK(m.bus.sent.size() == 1);
    m.route(11, 0x51 | level);
    CHECK(m.bus.sent.size() == 2);
    // An input deasserted while masked: nothing on unmask.
    m.route(11, 0x51 | level | masked);
    m.ioapic.end_of_interrupt(0x51);
    m.set(11, false);
    m.route(11, 0x51 | level);
    CHECK(m.bus.sent.size() == 2);
}

TEST_CASE("IoApic: active-low polarity inverts the input", "[devices]")
{
    Machine m;
    // Level, active low (as PCI INTx# behind an ACPI _PRS): asserted while the pin is low.
    m.set(16, true); // idle high
    m.route(16, 0x61 | level | active_low);
    CHECK(m.bus.sent.empty());
    m.set(16, false);
    REQUIRE(m.bus.sent.size() == 1);
    CHECK(m.bus.sent[0] == Message { 0x61, 0, 0, false, true });
    m.set(16, true);
    m.ioapic.end_of_interrupt(0x61);
    CHECK(m.bus.sent.size() == 1);

    // Edge, active low: a falling pin is the edge.
    m.set(17, true);
    m.route(17, 0x62 | active_low);
    m.set(17, true);
    CHECK(m.bus.sent.size() == 1);
    m.set(17, false);
    CHECK(m.bus.sent.size() == 2);
    m.set(17, true);
    CHECK(m.bus.sent.size() == 2);

    // Flipping the polarity of a level entry whose pin is low asserts it.
    m.set(18, false);
    m.route(18, 0x63 | level);
    CHECK(m.bus.sent.size() == 2);
    m.route(18, 0x63 | level | active_low);
    CHECK(m.bus.sent.size() == 3);
    CHECK(m.bus.sent[2].vector == 0x63);
}

TEST_CASE("IoApic: save/restore round-trip and refusal", "[devices]")
{
    Machine m;
    m.write(0x00, 0x05000000);
    m.route(1, 0x31, 0x02);
    m.route(9, 0x41 | level);
    m.set(9, true);  // remote IRR set
    m.set(16, true); // masked, but the pin level is state
    m.ioapic.mmio_write(0x00, 0x22, 4);
    std::vector<u8> bytes = saved(m.ioapic);
    CHECK(bytes[0] == IoApic::state_version);
    CHECK(bytes.size() == 3 + 6 + 8 * 24);

    Machine n;
    StateReader in(bytes.data(), bytes.size());
    REQUIRE(!n.ioapic.restore(in).is_error());
    CHECK(in.remaining() == 0);
    CHECK(saved(n.ioapic) == bytes);
    CHECK(n.bus.sent.empty()); // restore delivers nothing
    CHECK(n.ioapic.mmio_read(0x00, 4) == 0x22);
    CHECK(n.read(0x00) == 0x05000000);
    // Behaviour continues: the EOI re-delivers pin 9, still asserted.
    n.ioapic.end_of_interrupt(0x41);
    CHECK(n.bus.sent.size() == 1);
    n.set(1, true);
    REQUIRE(n.bus.sent.size() == 2);
    CHECK(n.bus.sent[1] == Message { 0x31, 0, 0x02, false, false });

    // Refusals leave the device unchanged.
    auto refused = [&](std::vector<u8> bad) {
        std::vector<u8> before = saved(n.ioapic);
        StateReader r(bad.data(), bad.size());
        bool error = n.ioapic.restore(r).is_error();
        if (error)
            CHECK(saved(n.ioapic) == before);
        return error;
    };
    std::vector<u8> bad = bytes;
    bad[0] = 2; // version
    CHECK(refused(bad));
    bad = bytes;
    bad[1] = 0; // length
    CHECK(refused(bad));
    bad = bytes;
    bad.pop_back(); // truncated
    CHECK(refused(bad));
    bad = bytes;
    bad[4] = 0x10; // ID past 4 bits
    CHECK(refused(bad));
    bad = bytes;
    bad[8] = 0x01; // pin 24
    CHECK(refused(bad));
    bad = bytes;
    bad[9 + 8 * 3 + 1] = 0x10; // entry 3: delivery status set
    CHECK(refused(bad));
    bad = bytes;
    bad[9 + 8 * 3 + 4] = 0x01; // entry 3: reserved bit 32
    CHECK(refused(bad));
    bad = bytes;
    bad[9 + 8 * 3 + 1] = 0x40; // entry 3: remote IRR on an edge entry
    CHECK(refused(bad));
    bad = bytes;
    bad[9 + 8 * 3 + 1] = 0xC0; // remote IRR on a level entry is fine
    CHECK(!refused(bad));
}

TEST_CASE("IoApic: reset", "[devices]")
{
    Bus bus;
    IoApic ioapic(bus, 1);
    ioapic.mmio_write(0, 0x00, 4);
    ioapic.mmio_write(0x10, 0x0A000000, 4);
    ioapic.mmio_write(0, 0x12, 4);
    ioapic.mmio_write(0x10, 0x41 | level, 4);
    ioapic.set_irq_level(1, true);
    CHECK(bus.sent.size() == 1);
    ioapic.reset();
    CHECK(ioapic.id() == 1);
    CHECK(ioapic.mmio_read(0x00, 4) == 0);
    for (unsigned pin = 0; pin < IoApic::pin_count; ++pin)
        CHECK(ioapic.redirection_entry(pin) == IoApic::entry_masked);
    CHECK(ioapic.pin_levels() == 2); // the pins belong to the devices
    // Nothing is delivered until reprogrammed; then the still-asserted level line is.
    ioapic.end_of_interrupt(0x41);
    CHECK(bus.sent.size() == 1);
    ioapic.mmio_write(0, 0x12, 4);
    ioapic.mmio_write(0x10, 0x41 | level, 4);
    CHECK(bus.sent.size() == 2);

    StringBuilder text;
    ioapic.describe(text);
    std::string s = text.c_str();
    INFO(s);
    CHECK(s.find("ioapic0: ver=0x11 id=0x01") == 0);
    CHECK(s.find("pin 1  0x000000000000c041 dest=0 vec=65  active-hi level remote-irr fixed physical") != std::string::npos);
}
