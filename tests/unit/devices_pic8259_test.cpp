// The 8259A interrupt controller pair (Intel 8259A data sheet, 231468) with the PIIX ELCR:
// initialization as Linux and SeaBIOS do it, masking, priorities, EOI, rotation, AEOI,
// cascade, edge and level triggering, spurious vectors, polling, status reads, special
// mask and special fully nested modes, save/restore and reset.
#include <catch2/catch.hpp>
#include <string>
#include <vector>
#include "plugins/devices/pic8259/pic8259.h"

using namespace keel;
using keel::devices::Pic8259Pair;

namespace {

// The CPU's INTR pin: records every level the PIC drives.
struct CpuPin : InterruptSink {
    std::vector<bool> levels;
    void set_irq_level(u32 line, bool level) override
    {
        CHECK(line == 0);
        levels.push_back(level);
    }
    bool high() const { return !levels.empty() && levels.back(); }
};

struct Machine {
    CpuPin cpu;
    Pic8259Pair pic { InterruptLine { &cpu, 0 } };

    void out(u16 port, u8 v) { pic.io_write(port, v, 1); }
    u8 in(u16 port) { return static_cast<u8>(pic.io_read(port, 1)); }
    // Linux's init_8259A(): vectors 0x20/0x28 (modern kernels use 0x30; same bytes otherwise).
    void init(u8 master_base = 0x20, u8 slave_base = 0x28, u8 icw4 = 0x01)
    {
        out(0x20, 0x11), out(0x21, master_base), out(0x21, 0x04), out(0x21, icw4);
        out(0xA0, 0x11), out(0xA1, slave_base), out(0xA1, 0x02), out(0xA1, icw4);
    }
    void eoi_master() { out(0x20, 0x20); }
    void eoi_slave() { out(0xA0, 0x20); }
    void raise(u32 irq) { pic.set_irq_level(irq, true); }
    void lower(u32 irq) { pic.set_irq_level(irq, false); }
    void pulse(u32 irq) { raise(irq), lower(irq); }
};

std::vector<u8> saved(const Pic8259Pair& pic)
{
    StateWriter w;
    pic.save(w);
    return std::vector<u8>(w.data().begin(), w.data().end());
}

} // namespace

TEST_CASE("Pic8259Pair: power-on state and the Linux initialization sequence", "[devices]")
{
    Machine m;
    CHECK(m.pic.imr() == 0xFFFF); // all masked before ICW1 (the data sheet leaves it undefined)
    CHECK(m.pic.irr() == 0);
    CHECK(m.pic.isr() == 0);
    m.pulse(0);
    CHECK(m.pic.irr() == 0x0001);
    CHECK_FALSE(m.pic.has_interrupt());
    CHECK(m.cpu.levels.empty()); // INTR never went high

    m.init();
    // ICW1 reset the edge sense latch and cleared IMR.
    CHECK(m.pic.irr() == 0);
    CHECK(m.pic.imr() == 0);
    CHECK(m.in(0x21) == 0x00);
    m.out(0x21, 0xFB); // Linux masks everything but the cascade
    m.out(0xA1, 0xFF);
    CHECK(m.in(0x21) == 0xFB);
    CHECK(m.in(0xA1) == 0xFF);
    CHECK(m.pic.imr() == 0xFFFB);

    m.out(0x21, 0xFA); // unmask IRQ 0
    m.pulse(0);
    CHECK(m.pic.has_interrupt());
    CHECK(m.cpu.high());
    CHECK(m.pic.acknowledge() == 0x20);
    CHECK_FALSE(m.cpu.high());
    CHECK(m.pic.isr() == 0x0001);
    CHECK(m.pic.irr() == 0);
    m.eoi_master();
    CHECK(m.pic.isr() == 0);
}

TEST_CASE("Pic8259Pair: SeaBIOS's vectors 0x08 and 0x70, and a slave IRQ", "[devices]")
{
    Machine m;
    m.init(0x08, 0x70);
    m.pulse(1);
    CHECK(m.pic.acknowledge() == 0x09);
    m.eoi_master();
    m.pulse(14);
    CHECK(m.pic.acknowledge() == 0x76);
    m.eoi_slave();
    m.eoi_master();
    CHECK(m.pic.isr() == 0);
    // ICW2's low three bits are the IR number in 8086 mode, not part of the base.
    m.out(0x20, 0x11), m.out(0x21, 0x0F), m.out(0x21, 0x04), m.out(0x21, 0x01);
    m.pulse(3);
    CHECK(m.pic.acknowledge() == 0x0B);
}

TEST_CASE("Pic8259Pair: ICW1 without IC4 or in single mode, and a line high during ICW1", "[devices]")
{
    Machine m;
    m.raise(4);
    // Single, no ICW4: ICW2 ends the sequence, so the next port-1 write is OCW1.
    m.out(0x20, 0x12), m.out(0x21, 0x40);
    m.out(0x21, 0xAA);
    CHECK(m.in(0x21) == 0xAA);
    // Single with ICW4 (no ICW3); ICW4 AEOI is taken.
    m.out(0x20, 0x13), m.out(0x21, 0x40), m.out(0x21, 0x03);
    m.out(0x21, 0x00);
    CHECK(m.in(0x21) == 0x00);
    // IR4 was already high: after ICW1 it needs a new rising edge.
    CHECK_FALSE(m.pic.has_interrupt());
    m.raise(4);
    CHECK_FALSE(m.pic.has_interrupt());
    m.lower(4), m.raise(4);
    CHECK(m.pic.acknowledge() == 0x44);
    CHECK(m.pic.isr() == 0); // AEOI from ICW4
    // Cascade with IC4 = 0: ICW3 ends it; ICW4's functions are zero (no AEOI).
    m.out(0x20, 0x10), m.out(0x21, 0x50), m.out(0x21, 0x04);
    m.out(0x21, 0x00);
    m.pulse(5);
    CHECK(m.pic.acknowledge() == 0x55);
    CHECK(m.pic.isr() == 0x0020);
}

TEST_CASE("Pic8259Pair: masking holds a request in IRR", "[devices]")
{
    Machine m;
    m.init();
    m.out(0x21, 0x08);
    m.pulse(3);
    CHECK(m.pic.irr() == 0x0008);
    CHECK_FALSE(m.pic.has_interrupt());
    CHECK_FALSE(m.cpu.high());
    m.out(0x21, 0x00);
    CHECK(m.cpu.high());
    m.out(0x21, 0x08); // masked again before INTA: INTR falls
    CHECK_FALSE(m.cpu.high());
    m.out(0x21, 0x00);
    CHECK(m.pic.acknowledge() == 0x23);
    // A masked slave keeps its request from the master; masking IR2 hides the whole slave.
    m.out(0x21, 0x04);
    m.pulse(9);
    CHECK_FALSE(m.pic.has_interrupt());
    CHECK(m.pic.irr() == 0x0204);
    m.out(0x21, 0x00);
    CHECK(m.pic.acknowledge() == 0x29);
}

TEST_CASE("Pic8259Pair: fixed priority, nesting and the two kinds of EOI", "[devices]")
{
    Machine m;
    m.init();
    m.pulse(5), m.pulse(3), m.pulse(6);
    CHECK(m.pic.irr() == 0x0068);
    CHECK(m.pic.acknowledge() == 0x23); // IR3 before IR5 and IR6
    CHECK_FALSE(m.pic.has_interrupt()); // lower levels wait for the EOI
    m.pulse(1);
    CHECK(m.pic.has_interrupt()); // a higher level nests
    CHECK(m.pic.acknowledge() == 0x21);
    CHECK(m.pic.isr() == 0x000A);
    // Non-specific EOI clears the highest-priority ISR bit (IR1).
    m.eoi_master();
    CHECK(m.pic.isr() == 0x0008);
    CHECK_FALSE(m.pic.has_interrupt());
    // Specific EOI of a level not in service changes nothing; of IR3 it ends it.
    m.out(0x20, 0x65);
    CHECK(m.pic.isr() == 0x0008);
    m.out(0x20, 0x63);
    CHECK(m.pic.isr() == 0);
    CHECK(m.pic.acknowledge() == 0x25);
    m.eoi_master();
    CHECK(m.pic.acknowledge() == 0x26);
    m.out(0x20, 0x40); // OCW2 no-op
    CHECK(m.pic.isr() == 0x0040);
    m.eoi_master();
    m.eoi_master(); // with nothing in service: harmless
    CHECK(m.pic.isr() == 0);
    CHECK_FALSE(m.pic.has_interrupt());
}

TEST_CASE("Pic8259Pair: rotation on EOI and set priority", "[devices]")
{
    Machine m;
    m.init();
    // Rotate on non-specific EOI: the level just served becomes the lowest.
    m.pulse(1);
    CHECK(m.pic.acknowledge() == 0x21);
    m.out(0x20, 0xA0);
    m.pulse(0), m.pulse(1), m.pulse(3); // priority now 2,3,...,7,0,1
    CHECK(m.pic.acknowledge() == 0x23);
    m.out(0x20, 0xA0); // now 4,...,7,0,1,2,3
    CHECK(m.pic.acknowledge() == 0x20);
    m.out(0x20, 0xA0); // 1,...,7,0
    CHECK(m.pic.acknowledge() == 0x21);
    // Rotate on specific EOI: IR1 ends, and IR5 is made the lowest.
    m.pulse(6), m.pulse(4);
    m.out(0x20, 0xE1);
    CHECK(m.pic.isr() == 0);
    m.out(0x20, 0xE5);
    CHECK(m.pic.acknowledge() == 0x26); // order 6,7,0,...,5
    m.eoi_master();
    // Set priority: IR6 lowest, so IR7 highest; nesting follows the rotated order.
    m.out(0x20, 0xC6);
    m.pulse(6), m.pulse(7);
    CHECK(m.pic.acknowledge() == 0x27); // before the pending IR4 and IR6
    m.pulse(0);
    CHECK(m.pic.has_interrupt() == false); // IR0 is below IR7 now
    m.eoi_master();
    CHECK(m.pic.acknowledge() == 0x20);
    m.eoi_master();
    CHECK(m.pic.acknowledge() == 0x24);
    m.eoi_master();
    CHECK(m.pic.acknowledge() == 0x26); // the lowest, last
}

TEST_CASE("Pic8259Pair: automatic EOI, with and without rotation", "[devices]")
{
    Machine m;
    m.init(0x20, 0x28, 0x03); // ICW4: 8086 mode, AEOI
    m.pulse(3);
    CHECK(m.pic.acknowledge() == 0x23);
    CHECK(m.pic.isr() == 0);
    m.pulse(5), m.pulse(3);
    CHECK(m.pic.acknowledge() == 0x23); // no rotation: IR3 stays above IR5
    CHECK(m.pic.acknowledge() == 0x25);
    // Rotate in AEOI mode (OCW2 0x80): each served level becomes the lowest.
    m.out(0x20, 0x80);
    m.pulse(3);
    CHECK(m.pic.acknowledge() == 0x23);
    m.pulse(3), m.pulse(5);
    CHECK(m.pic.acknowledge() == 0x25);
    CHECK(m.pic.acknowledge() == 0x23);
    m.out(0x20, 0x00); // rotate in AEOI off: order stays 4,...,3
    m.pulse(3), m.pulse(5);
    CHECK(m.pic.acknowledge() == 0x25);
    CHECK(m.pic.acknowledge() == 0x23);
}

TEST_CASE("Pic8259Pair: the cascade through master IR2", "[devices]")
{
    Machine m;
    m.init();
    m.pulse(12);
    CHECK(m.pic.irr() == 0x1004); // the slave's INT latched master IR2
    CHECK(m.cpu.high());
    CHECK(m.pic.acknowledge() == 0x2C);
    CHECK(m.pic.isr() == 0x1004);
    CHECK(m.pic.irr() == 0);
    // IRQ 0 and 1 are above the whole slave, IRQ 3 below it.
    m.pulse(3);
    CHECK_FALSE(m.pic.has_interrupt());
    m.pulse(1);
    CHECK(m.pic.acknowledge() == 0x21);
    m.eoi_master();
    // A higher slave IRQ waits for the master's EOI of IR2 (fully nested mode).
    m.pulse(8);
    CHECK_FALSE(m.pic.has_interrupt());
    m.eoi_slave();
    CHECK_FALSE(m.pic.has_interrupt());
    m.eoi_master();
    CHECK(m.pic.acknowledge() == 0x28);
    m.eoi_slave(), m.eoi_master();
    CHECK(m.pic.acknowledge() == 0x23);
    m.eoi_master();
    // Two slave requests: the second comes once the slave's EOI re-raises its INT.
    m.pulse(15), m.pulse(10);
    CHECK(m.pic.acknowledge() == 0x2A);
    m.eoi_slave(), m.eoi_master();
    CHECK(m.pic.acknowledge() == 0x2F);
    m.eoi_slave(), m.eoi_master();
    CHECK(m.pic.isr() == 0);
    CHECK_FALSE(m.cpu.high());
    // IRQ 2 itself is the cascade, not a device line.
    m.pulse(2);
    CHECK(m.pic.irr() == 0);
}

TEST_CASE("Pic8259Pair: a slave in AEOI mode with two requests", "[devices]")
{
    Machine m;
    m.init(0x20, 0x28, 0x03);
    m.pulse(9), m.pulse(11);
    CHECK(m.pic.acknowledge() == 0x29);
    // The slave's INT stays high; the INTA is taken as its falling edge, so IR2 re-latches.
    CHECK(m.pic.has_interrupt());
    CHECK(m.pic.acknowledge() == 0x2B);
    CHECK_FALSE(m.pic.has_interrupt());
}

TEST_CASE("Pic8259Pair: the ELCR, and level against edge triggering", "[devices]")
{
    Machine m;
    m.init();
    CHECK(m.in(0x4D0) == 0);
    // IRQ 0, 1, 2, 8 and 13 are edge-only.
    m.out(0x4D0, 0xFF), m.out(0x4D1, 0xFF);
    CHECK(m.in(0x4D0) == 0xF8);
    CHECK(m.in(0x4D1) == 0xDE);
    CHECK(m.pic.io_read(0x4D0, 2) == 0xDEF8);
    m.pic.io_write(0x4D0, 0x0A20, 2); // IRQ 5, 9, 11 level-triggered
    CHECK(m.pic.elcr() == 0x0A20);

    // Level: IRR follows the pin, and a pin still high after EOI interrupts again.
    m.raise(5);
    CHECK(m.pic.irr() == 0x0020);
    CHECK(m.pic.acknowledge() == 0x25);
    CHECK(m.pic.irr() == 0x0020);
    m.eoi_master();
    CHECK(m.pic.acknowledge() == 0x25);
    m.lower(5);
    CHECK(m.pic.irr() == 0);
    m.eoi_master();
    CHECK_FALSE(m.pic.has_interrupt());
    // Level on the slave: the same through the cascade.
    m.raise(11);
    CHECK(m.pic.acknowledge() == 0x2B);
    m.eoi_slave(), m.eoi_master();
    CHECK(m.pic.acknowledge() == 0x2B);
    m.lower(11);
    m.eoi_slave(), m.eoi_master();
    CHECK_FALSE(m.pic.has_interrupt());

    // Edge: a pin held high interrupts once; a pulse latches until acknowledged.
    m.raise(3);
    CHECK(m.pic.acknowledge() == 0x23);
    m.eoi_master();
    CHECK_FALSE(m.pic.has_interrupt());
    m.lower(3);
    CHECK_FALSE(m.pic.has_interrupt());
    m.raise(3);
    CHECK(m.pic.has_interrupt());
    m.lower(3);
    CHECK(m.pic.has_interrupt());
    CHECK(m.pic.acknowledge() == 0x23);
    m.eoi_master();

    // Switching a high line to level makes IRR follow it at once.
    m.raise(6);
    CHECK(m.pic.acknowledge() == 0x26);
    m.eoi_master();
    CHECK(m.pic.irr() == 0);
    m.out(0x4D0, 0x60);
    CHECK(m.pic.irr() == 0x0040);
    m.lower(6);
    CHECK(m.pic.irr() == 0);
    // ICW1 keeps the ELCR.
    m.init();
    CHECK(m.pic.elcr() == 0x0A60);
}

TEST_CASE("Pic8259Pair: spurious IRQ 7 and IRQ 15", "[devices]")
{
    Machine m;
    m.init();
    m.out(0x4D0, 0x20);
    // A level-triggered request withdrawn between INTR and INTA: the master answers IR7.
    m.raise(5);
    CHECK(m.cpu.high());
    m.lower(5);
    CHECK_FALSE(m.cpu.high());
    CHECK(m.pic.acknowledge() == 0x27);
    CHECK(m.pic.isr() == 0); // no ISR bit for a spurious interrupt
    // The same on the slave: IR2 was latched, the slave answers IR7 and the master's ISR2
    // is set (the handler EOIs only the master).
    m.out(0x4D1, 0x02);
    m.raise(9);
    m.lower(9);
    CHECK(m.pic.irr() == 0x0004);
    CHECK(m.pic.has_interrupt());
    CHECK(m.pic.acknowledge() == 0x2F);
    CHECK(m.pic.isr() == 0x0004);
    m.eoi_master();
    CHECK(m.pic.isr() == 0);
    // With SeaBIOS's bases the spurious vectors are 0x0F and 0x77.
    m.init(0x08, 0x70);
    CHECK(m.pic.acknowledge() == 0x0F);
}

TEST_CASE("Pic8259Pair: the poll command", "[devices]")
{
    Machine m;
    m.init();
    m.pulse(6), m.pulse(4);
    m.out(0x20, 0x0C); // OCW3 P = 1
    CHECK(m.in(0x20) == 0x84);
    CHECK(m.pic.isr() == 0x0010); // the read acknowledged IR4
    CHECK(m.in(0x20) == 0x40);    // one read only: then IRR again (IR6 pending)
    m.out(0x20, 0x0C);
    CHECK(m.in(0x21) == 0x00); // IR6 is below IR4 in service: I = 0 (either port polls)
    m.eoi_master();
    m.out(0x20, 0x0C);
    CHECK(m.in(0x21) == 0x86);
    m.eoi_master();
    // Polling a slave request: the master says IR2, the slave says its level.
    m.pulse(13);
    m.out(0x20, 0x0C);
    CHECK(m.in(0x20) == 0x82);
    m.out(0xA0, 0x0C);
    CHECK(m.in(0xA0) == 0x85);
    CHECK(m.pic.isr() == 0x2004);
}

TEST_CASE("Pic8259Pair: reading IRR and ISR through OCW3", "[devices]")
{
    Machine m;
    m.init();
    m.pulse(1), m.pulse(4), m.pulse(10);
    CHECK(m.in(0x20) == 0x16); // IRR is read after ICW1
    CHECK(m.in(0xA0) == 0x04);
    CHECK(m.pic.acknowledge() == 0x21);
    m.out(0x20, 0x0B); // RR = 1, RIS = 1: ISR
    CHECK(m.in(0x20) == 0x02);
    CHECK(m.in(0x21) == 0x00); // port 1 is always IMR
    m.out(0x20, 0x08); // RR = 0: selection unchanged
    CHECK(m.in(0x20) == 0x02);
    m.out(0x20, 0x0A); // RR = 1, RIS = 0: IRR
    CHECK(m.in(0x20) == 0x14);
    m.out(0xA0, 0x0B);
    CHECK(m.in(0xA0) == 0x00);
    CHECK(m.in(0x20) == 0x14); // the selection is per chip
    m.out(0x20, 0x0B);
    m.init(); // ICW1 resets the selection to IRR
    m.pulse(7);
    CHECK(m.in(0x20) == 0x80);
}

TEST_CASE("Pic8259Pair: special mask mode", "[devices]")
{
    Machine m;
    m.init();
    m.pulse(3);
    CHECK(m.pic.acknowledge() == 0x23);
    m.pulse(5);
    CHECK_FALSE(m.pic.has_interrupt());
    // The handler masks its own level and sets SMM: lower levels may interrupt.
    m.out(0x21, 0x08);
    m.out(0x20, 0x68); // ESMM, SMM
    CHECK(m.pic.has_interrupt());
    CHECK(m.pic.acknowledge() == 0x25);
    // A non-specific EOI ends the highest unmasked level (IR5), not the masked IR3.
    m.eoi_master();
    CHECK(m.pic.isr() == 0x0008);
    // Leaving SMM: IR3 in service blocks IR6 again.
    m.out(0x20, 0x48); // ESMM, SMM = 0
    m.pulse(6);
    CHECK_FALSE(m.pic.has_interrupt());
    m.out(0x20, 0x28); // SMM without ESMM changes nothing
    CHECK_FALSE(m.pic.has_interrupt());
    m.out(0x20, 0x63);
    CHECK(m.pic.acknowledge() == 0x26);
}

TEST_CASE("Pic8259Pair: special fully nested mode on the master", "[devices]")
{
    Machine m;
    m.init(0x20, 0x28, 0x11); // master ICW4: SFNM
    m.out(0xA0, 0x11), m.out(0xA1, 0x28), m.out(0xA1, 0x02), m.out(0xA1, 0x01);
    m.pulse(12);
    CHECK(m.pic.acknowledge() == 0x2C);
    // A higher slave level gets through although master IR2 is in service...
    m.pulse(9);
    CHECK(m.pic.acknowledge() == 0x29);
    CHECK(m.pic.isr() == 0x1204);
    // ...but a lower master level does not, nor a lower slave level.
    m.pulse(4), m.pulse(14);
    CHECK_FALSE(m.pic.has_interrupt());
    m.eoi_slave();
    m.eoi_slave();
    m.eoi_master();
    CHECK(m.pic.acknowledge() == 0x2E);
    // Without SFNM (normal init) the higher slave level waits.
    m.init();
    m.pulse(12);
    CHECK(m.pic.acknowledge() == 0x2C);
    m.pulse(9);
    CHECK_FALSE(m.pic.has_interrupt());
}

TEST_CASE("Pic8259Pair: save and restore", "[devices]")
{
    Machine a;
    a.init();
    a.out(0x4D0, 0x20), a.out(0x4D1, 0x0A);
    a.out(0x21, 0x10);
    a.out(0x20, 0xC4); // set priority: IR5 highest
    a.pulse(12);
    CHECK(a.pic.acknowledge() == 0x2C);
    a.raise(5), a.pulse(4); // IR5 (level) above the IR2 in service; IR4 masked
    CHECK(a.pic.has_interrupt());
    a.out(0xA0, 0x0B); // the slave reads ISR
    a.out(0x20, 0x0C); // a poll is pending
    std::vector<u8> bytes = saved(a.pic);
    REQUIRE(bytes.size() == 23);
    CHECK(bytes[0] == Pic8259Pair::state_version);

    Machine b;
    StateReader in(bytes.data(), bytes.size());
    REQUIRE_FALSE(b.pic.restore(in).is_error());
    CHECK(in.remaining() == 0);
    CHECK(saved(b.pic) == bytes);
    CHECK(b.cpu.high()); // INTR driven from the restored state
    CHECK(b.pic.elcr() == 0x0A20);
    CHECK(b.pic.isr() == 0x1004);
    CHECK(b.in(0xA0) == 0x10); // the slave's status selection survived
    CHECK(b.in(0x20) == 0x85); // the pending poll survived, with the rotated priority
    CHECK(a.in(0x20) == 0x85);
    CHECK(saved(a.pic) == saved(b.pic));
    // The input levels came back too: IRQ 5 is level-triggered and still high.
    CHECK(b.pic.irr() == 0x0030);
    b.lower(5);
    CHECK(b.pic.irr() == 0x0010);
}

TEST_CASE("Pic8259Pair: restore refuses bad bytes and changes nothing", "[devices]")
{
    Machine a;
    a.init();
    a.out(0x4D0, 0x08);
    a.raise(3);
    std::vector<u8> good = saved(a.pic);

    Machine b;
    b.init(0x08, 0x70);
    b.out(0x21, 0x5A);
    const std::vector<u8> before = saved(b.pic);
    auto refuse = [&](std::vector<u8> bytes, const char* why) {
        INFO(why);
        StateReader in(bytes.data(), bytes.size());
        Result<void> r = b.pic.restore(in);
        CHECK(r.is_error());
        CHECK(saved(b.pic) == before);
    };
    auto with = [&](usize at, u8 v) {
        std::vector<u8> bytes = good;
        bytes[at] = v;
        return bytes;
    };
    constexpr usize master = 3, slave = 13; // offsets of each chip's bytes
    refuse(with(0, 2), "version");
    refuse(with(1, 19), "length");
    refuse(std::vector<u8>(good.begin(), good.end() - 1), "truncated");
    refuse({}, "empty");
    refuse(with(master + 4, 0x04), "master ELCR on IRQ 2");
    refuse(with(slave + 4, 0x20), "slave ELCR on IRQ 13");
    refuse(with(master + 0, 0x00), "level IRR without its pin");
    refuse(with(master + 5, 8), "priority");
    refuse(with(slave + 6, 0x71), "vector base");
    refuse(with(master + 8, 4), "init step");
    refuse(with(slave + 9, 0x10), "SFNM on the slave");
    // The good bytes are taken.
    StateReader in(good.data(), good.size());
    REQUIRE_FALSE(b.pic.restore(in).is_error());
    CHECK(saved(b.pic) == good);
}

TEST_CASE("Pic8259Pair: reset", "[devices]")
{
    Machine fresh;
    Machine m;
    m.init();
    m.out(0x4D0, 0x20);
    m.out(0x20, 0xC3);
    m.pulse(4), m.pulse(9);
    CHECK(m.pic.acknowledge() == 0x24);
    m.out(0x20, 0x0E); // poll pending, ISR selected
    m.out(0x21, 0x10), m.out(0x20, 0x68); // special mask mode lets IR5 past IR4
    m.raise(5);
    CHECK(m.cpu.high());
    m.pic.reset();
    CHECK_FALSE(m.cpu.high());
    CHECK(m.pic.irr() == 0);
    // The input pins are the devices' and are kept; once IRQ 5's device lets go, the state
    // is that of a new pair.
    CHECK(m.pic.master().level == 0x20);
    m.lower(5);
    CHECK(saved(m.pic) == saved(fresh.pic));
    CHECK(m.pic.imr() == 0xFFFF);
    CHECK(m.pic.elcr() == 0);
    CHECK(m.in(0x20) == 0x00); // no poll pending; IRR read
    // Programmed again, it works as before.
    m.init();
    m.pulse(9);
    CHECK(m.pic.acknowledge() == 0x29);
}

TEST_CASE("Pic8259Pair: ports outside its ranges and the INTR pin's transitions", "[devices]")
{
    Machine m;
    CHECK(m.pic.io_read(0x22, 1) == 0xFF);
    CHECK(m.pic.io_read(0x4D2, 1) == 0xFF);
    m.pic.io_write(0x4D2, 0xFF, 1);
    CHECK(m.pic.elcr() == 0);
    CHECK(std::string(m.pic.name()) == "pic8259");
    m.init();
    m.pulse(0);
    m.pulse(1); // still high: no second call
    m.pic.acknowledge();
    m.eoi_master();
    m.pic.acknowledge();
    m.eoi_master();
    CHECK(m.cpu.levels == std::vector<bool> { true, false, true, false });
}
