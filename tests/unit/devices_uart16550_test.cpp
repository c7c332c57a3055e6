// The 16550A UART (National Semiconductor PC16550D data sheet): registers and reset
// values (table II, table VIII), the divisor latch, transmit to the console, receive with
// and without FIFOs (8.4), the line status (8.6), the interrupt priorities of table IV,
// OUT2 gating the PC's IRQ, loopback (8.7), modem status deltas (8.8), save/restore, reset.
#include <catch2/catch.hpp>
#include <string>
#include <vector>
#include "plugins/devices/uart16550/uart16550.h"

using namespace keel;
using keel::devices::Uart16550;

namespace {

// Register offsets (table II).
enum : u16 { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

struct Irq final : InterruptSink {
    bool level = false;
    unsigned rises = 0;
    u32 line = 99;
    void set_irq_level(u32 l, bool v) override
    {
        line = l;
        rises += !level && v;
        level = v;
    }
};

struct Rig {
    std::string console;
    Irq irq;
    Uart16550 uart { output, this };
    Rig() { uart.set_irq_line({ &irq, 4 }); }

    static void output(void* self, const char* bytes, usize n) { static_cast<Rig*>(self)->console.append(bytes, n); }
    u8 in(u16 reg) { return static_cast<u8>(uart.io_read(Uart16550::com1_base + reg, 1)); }
    void out(u16 reg, u8 v) { uart.io_write(Uart16550::com1_base + reg, v, 1); }
    void receive(const std::string& s) { uart.receive(reinterpret_cast<const u8*>(s.data()), s.size()); }
    std::string drain()
    {
        std::string s;
        while (in(LSR) & 1)
            s += static_cast<char>(in(RBR));
        return s;
    }
    std::vector<u8> saved() const
    {
        StateWriter w;
        uart.save(w);
        return std::vector<u8>(w.data().data(), w.data().data() + w.data().size());
    }
    Result<void> restore(const std::vector<u8>& bytes)
    {
        StateReader r(bytes.data(), bytes.size());
        return uart.restore(r);
    }
};

} // namespace

TEST_CASE("Uart16550 (16550A): reset values", "[devices]")
{
    Rig r;
    CHECK(r.in(IER) == 0x00);
    CHECK(r.in(IIR) == 0x01); // no interrupt pending, FIFOs off
    CHECK(r.in(LCR) == 0x03); // as firmware leaves it: 8N1
    CHECK(r.in(MCR) == 0x00);
    CHECK(r.in(LSR) == 0x60); // THRE, TEMT
    CHECK(r.in(MSR) == 0xB0); // CTS, DSR, DCD; no deltas
    CHECK(r.in(SCR) == 0x00);
    CHECK(r.in(RBR) == 0x00);
    r.out(LCR, 0x83);
    CHECK(r.in(DLL) == 12); // 9600 baud
    CHECK(r.in(DLM) == 0);
    CHECK_FALSE(r.irq.level);
    CHECK(r.uart.wants_input());
    CHECK(std::string(r.uart.name()) == "uart16550");
}

TEST_CASE("Uart16550 (16550A): the COM port constants, and COM2 at 0x2F8", "[devices]")
{
    CHECK(Uart16550::com1_base == 0x3F8);
    CHECK(Uart16550::com2_base == 0x2F8);
    CHECK(Uart16550::com3_base == 0x3E8);
    CHECK(Uart16550::com4_base == 0x2E8);
    CHECK(Uart16550::com1_irq == 4);
    CHECK(Uart16550::com2_irq == 3);
    CHECK(Uart16550::com3_irq == 4);
    CHECK(Uart16550::com4_irq == 3);
    CHECK(Uart16550::port_count == 8);
    Rig r;
    r.uart.set_base(Uart16550::com2_base);
    r.uart.io_write(0x2F8, 'z', 1);
    CHECK(r.console == "z");
    r.uart.io_write(0x2FF, 0x42, 1);
    CHECK(r.uart.io_read(0x2FF, 1) == 0x42);
    r.uart.receive(reinterpret_cast<const u8*>("q"), 1);
    CHECK(r.uart.io_read(0x2FD, 1) == 0x61);
    CHECK(r.uart.io_read(0x2F8, 1) == 'q');
}

TEST_CASE("Uart16550 (16550A): the divisor latch behind DLAB", "[devices]")
{
    Rig r;
    r.out(IER, 0x05);
    r.out(LCR, 0x83);
    r.out(DLL, 0x01); // 115200 baud
    r.out(DLM, 0x02);
    CHECK(r.console.empty()); // not a character
    CHECK(r.in(DLL) == 0x01);
    CHECK(r.in(DLM) == 0x02);
    CHECK(r.in(IIR) == 0x01); // IIR is not behind DLAB
    r.out(LCR, 0x03);
    CHECK(r.in(IER) == 0x05); // IER kept
    r.out(IER, 0xFF);
    CHECK(r.in(IER) == 0x0F); // bits 7-4 are 0
    r.receive("a");
    r.out(LCR, 0x80);
    CHECK(r.in(DLL) == 0x01); // DLAB: the latch, not the received byte
    CHECK(r.in(LSR) & 1);
    r.out(LCR, 0x03);
    CHECK(r.in(RBR) == 'a');
}

TEST_CASE("Uart16550 (16550A): transmitting to the console", "[devices]")
{
    Rig r;
    r.out(THR, 'o');
    r.out(THR, 'k');
    r.uart.io_write(Uart16550::com1_base, 0x100 | '!', 1); // only the low byte is data
    CHECK(r.console == "ok!");
    CHECK(r.in(LSR) == 0x60); // sent at once: THRE and TEMT stay set
    r.out(LSR, 0x00);         // read-only
    CHECK(r.in(LSR) == 0x60);
    // The word length (LCR bits 1-0) limits the data bits sent.
    r.out(LCR, 0x02); // 7 bits
    r.out(THR, 0xC1);
    CHECK(r.console.back() == 0x41);
    r.out(LCR, 0x00); // 5 bits
    r.out(THR, 0xFF);
    CHECK(r.console.back() == 0x1F);
    // Without a console the bytes are dropped.
    Uart16550 quiet(nullptr, nullptr);
    quiet.io_write(Uart16550::com1_base, 'x', 1);
    CHECK(quiet.io_read(Uart16550::com1_base + LSR, 1) == 0x60);
}

TEST_CASE("Uart16550 (16550A): receiving without FIFOs, and overrun", "[devices]")
{
    Rig r;
    r.receive("h");
    CHECK_FALSE(r.uart.wants_input()); // the one-byte RBR is full
    CHECK(r.in(LSR) == 0x61);           // DR
    CHECK(r.in(RBR) == 'h');
    CHECK(r.in(LSR) == 0x60);
    CHECK(r.uart.wants_input());
    CHECK(r.in(RBR) == 'h'); // RBR keeps the last character
    r.receive("ab");         // 'b' destroys 'a' (16450 mode)
    CHECK(r.in(LSR) == 0x63); // DR, OE
    CHECK(r.in(LSR) == 0x61); // OE cleared by reading LSR
    CHECK(r.in(RBR) == 'b');
    CHECK(r.in(LSR) == 0x60);
    r.out(LCR, 0x02); // 7-bit words: the high bit is not received
    r.receive("\xE1");
    CHECK(r.in(RBR) == 0x61);
}

TEST_CASE("Uart16550 (16550A): receiving with FIFOs, overrun and FIFO clearing", "[devices]")
{
    Rig r;
    r.out(FCR, 0x01);
    CHECK(r.in(IIR) == 0xC1);
    r.receive("0123456789abcde");
    CHECK(r.uart.wants_input());
    r.receive("f");
    CHECK_FALSE(r.uart.wants_input());
    CHECK(r.in(LSR) == 0x61); // full, no error yet
    r.receive("XY");          // lost: the FIFO keeps its 16 characters
    CHECK(r.in(LSR) == 0x63);
    CHECK(r.in(LSR) == 0x61);
    CHECK(r.drain() == "0123456789abcdef");
    // FCR bit 1 clears the receiver FIFO; other bits are ignored without bit 0.
    r.receive("abc");
    r.out(FCR, 0x03);
    CHECK(r.in(LSR) == 0x60);
    CHECK(r.in(IIR) == 0xC1); // still enabled
    r.receive("abc");
    r.out(FCR, 0xC2); // bit 0 clear: FIFOs off, and cleared
    CHECK(r.in(IIR) == 0x01);
    CHECK(r.in(LSR) == 0x60);
    r.receive("z");
    r.out(FCR, 0x01); // turning them on clears too
    CHECK(r.in(LSR) == 0x60);
    // Ring wrap-around keeps the order.
    for (int round = 0; round < 3; ++round) {
        r.receive("0123456789");
        CHECK(r.drain() == "0123456789");
    }
}

TEST_CASE("Uart16550 (16550A): receive trigger levels and the character timeout", "[devices]")
{
    struct Case {
        u8 fcr;
        unsigned level;
    };
    for (Case c : { Case { 0x01, 1 }, Case { 0x41, 4 }, Case { 0x81, 8 }, Case { 0xC1, 14 } }) {
        INFO("FCR " << std::hex << unsigned(c.fcr));
        Rig r;
        r.out(MCR, 0x08); // OUT2
        r.out(FCR, c.fcr);
        r.out(IER, 0x01); // received data available (and timeout)
        CHECK(r.in(IIR) == 0xC1);
        r.receive(std::string(c.level - 1, 'x'));
        if (c.level > 1) {
            CHECK(r.in(IIR) == 0xCC); // below the trigger: character timeout
            CHECK(r.irq.level);
        }
        r.receive("y");
        CHECK(r.in(IIR) == 0xC4); // at the trigger: data available
        CHECK(r.irq.level);
        r.in(RBR);
        CHECK(r.in(IIR) == (c.level > 1 ? 0xCC : 0xC1));
        r.drain();
        CHECK(r.in(IIR) == 0xC1);
        CHECK_FALSE(r.irq.level);
    }
    // Without FIFOs one character is data available, never a timeout.
    Rig r;
    r.out(IER, 0x01);
    r.receive("a");
    CHECK(r.in(IIR) == 0x04);
    r.in(RBR);
    CHECK(r.in(IIR) == 0x01);
}

TEST_CASE("Uart16550 (16550A): interrupt priorities (table IV)", "[devices]")
{
    Rig r;
    r.out(MCR, 0x08);
    r.out(IER, 0x0F);
    CHECK(r.irq.level); // enabling ETBEI with THR empty
    r.uart.set_modem_inputs(0xA0); // CTS drops
    r.receive("ab");                // overrun in 16450 mode
    CHECK(r.in(IIR) == 0x06);       // receiver line status first
    CHECK(r.in(IIR) == 0x06);
    CHECK(r.in(LSR) == 0x63);
    CHECK(r.in(IIR) == 0x04); // then received data
    r.in(RBR);
    CHECK(r.in(IIR) == 0x02); // then THR empty; reading IIR clears it
    CHECK(r.in(IIR) == 0x00); // then modem status
    CHECK(r.irq.level);
    CHECK(r.in(MSR) == 0xA1); // DCTS; reading clears
    CHECK(r.in(IIR) == 0x01);
    CHECK_FALSE(r.irq.level);
    // Disabled sources do not show.
    r.out(IER, 0x00);
    r.receive("c");
    r.uart.set_modem_inputs(0xB0);
    CHECK(r.in(IIR) == 0x01);
    CHECK(r.in(LSR) == 0x61);
}

TEST_CASE("Uart16550 (16550A): the THRE interrupt's rules", "[devices]")
{
    Rig r;
    r.out(MCR, 0x08);
    r.out(IER, 0x02);
    CHECK(r.irq.level); // raised on enabling, THR being empty
    CHECK(r.irq.rises == 1);
    CHECK(r.in(IIR) == 0x02);
    CHECK_FALSE(r.irq.level); // cleared by reading IIR as its source
    CHECK(r.in(IIR) == 0x01);
    r.out(IER, 0x02); // still enabled: no new interrupt
    CHECK(r.in(IIR) == 0x01);
    r.out(THR, 'a'); // the write clears it; the byte leaves and THR is empty again
    CHECK(r.irq.level);
    CHECK(r.irq.rises == 2);
    r.out(THR, 'b'); // a fresh edge per byte, even while pending
    CHECK(r.irq.rises == 3);
    CHECK(r.in(IIR) == 0x02);
    // A higher-priority source hides THRE, and reading IIR then does not clear it.
    r.out(THR, 'c');
    r.out(IER, 0x03);
    r.receive("x");
    CHECK(r.in(IIR) == 0x04);
    r.in(RBR);
    CHECK(r.in(IIR) == 0x02);
    CHECK(r.in(IIR) == 0x01);
    // Disabling and enabling again raises it again.
    r.out(IER, 0x00);
    r.out(IER, 0x02);
    CHECK(r.in(IIR) == 0x02);
    CHECK(r.console == "abc");
}

TEST_CASE("Uart16550 (16550A): OUT2 gates the IRQ line", "[devices]")
{
    Rig r;
    r.out(IER, 0x01);
    r.receive("a");
    CHECK(r.in(IIR) == 0x04); // pending...
    CHECK_FALSE(r.irq.level); // ...but OUT2 is off
    r.out(MCR, 0x08);
    CHECK(r.irq.level);
    CHECK(r.irq.line == 4);
    r.out(MCR, 0x0B); // DTR, RTS, OUT2 as Linux sets them
    CHECK(r.irq.level);
    r.out(MCR, 0x18); // loopback forces the OUT2 pin inactive
    CHECK_FALSE(r.irq.level);
    r.out(MCR, 0x08);
    CHECK(r.irq.level);
    // A newly connected line is driven at once.
    Irq other;
    r.uart.set_irq_line({ &other, 3 });
    CHECK(other.level);
    CHECK(other.line == 3);
    r.in(RBR);
    CHECK_FALSE(other.level);
    CHECK(r.irq.level); // the old line is no longer driven
}

TEST_CASE("Uart16550 (16550A): loopback", "[devices]")
{
    Rig r;
    r.out(MCR, 0x10);
    CHECK_FALSE(r.uart.wants_input());
    r.out(THR, 'a'); // the transmitter feeds the receiver, not the console
    CHECK(r.console.empty());
    CHECK(r.in(LSR) == 0x61);
    CHECK(r.in(RBR) == 'a');
    r.receive("z"); // the serial input is disconnected
    r.uart.send_break();
    CHECK(r.in(LSR) == 0x60);
    r.out(FCR, 0x01);
    for (char c : std::string("loop"))
        r.out(THR, static_cast<u8>(c));
    CHECK(r.drain() == "loop");
    // The modem outputs drive the inputs: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD.
    struct Case {
        u8 mcr, msr;
    };
    r.in(MSR);
    for (Case c : { Case { 0x02, 0x10 }, Case { 0x01, 0x20 }, Case { 0x04, 0x40 }, Case { 0x08, 0x80 }, Case { 0x0F, 0xF0 } }) {
        r.out(MCR, 0x10 | c.mcr);
        CHECK((r.in(MSR) & 0xF0) == c.msr);
    }
    r.out(MCR, 0x00);
    CHECK(r.in(MSR) == 0xB4); // back to the terminal's lines; RI went off (TERI)
    r.out(THR, 'b');
    CHECK(r.console == "b");
    CHECK(r.uart.wants_input());
}

TEST_CASE("Uart16550 (16550A): MSR deltas and the modem status interrupt", "[devices]")
{
    Rig r;
    r.out(MCR, 0x08);
    r.out(IER, 0x08);
    r.uart.set_modem_inputs(0x00); // CTS, DSR, DCD drop
    CHECK(r.irq.level);
    CHECK(r.in(IIR) == 0x00);
    CHECK(r.in(MSR) == 0x0B); // DCTS, DDSR, DDCD
    CHECK(r.in(MSR) == 0x00); // cleared on read
    CHECK_FALSE(r.irq.level);
    r.uart.set_modem_inputs(0x40); // RI rises: no delta (TERI is the trailing edge)
    CHECK(r.in(MSR) == 0x40);
    CHECK(r.in(IIR) == 0x01);
    r.uart.set_modem_inputs(0x00); // RI falls
    CHECK(r.in(MSR) == 0x04);
    r.uart.set_modem_inputs(0x10);
    r.uart.set_modem_inputs(0x00); // deltas accumulate until read
    CHECK(r.in(MSR) == 0x01);
    r.uart.set_modem_inputs(0x0F); // bits 3-0 are not lines
    CHECK(r.in(MSR) == 0x00);
    // Loopback: MCR changes set deltas too.
    r.out(MCR, 0x10);
    r.in(MSR);
    r.out(MCR, 0x13);
    CHECK(r.in(MSR) == 0x33); // CTS, DSR, and their deltas
}

TEST_CASE("Uart16550 (16550A): breaks, BI and the FIFO error bit", "[devices]")
{
    Rig r;
    r.out(MCR, 0x08);
    r.out(IER, 0x04);
    r.uart.send_break();
    CHECK(r.irq.level); // receiver line status
    CHECK(r.in(IIR) == 0x06);
    CHECK(r.in(LSR) == 0x71); // DR, BI
    CHECK_FALSE(r.irq.level);
    CHECK(r.in(RBR) == 0x00);
    CHECK(r.in(LSR) == 0x60);
    // FIFO mode: BI shows when the break reaches the top; bit 7 while it is in the FIFO.
    r.out(FCR, 0x01);
    r.receive("ab");
    r.uart.send_break();
    r.receive("c");
    CHECK(r.in(LSR) == 0xE1); // FIFO error, no BI yet
    CHECK_FALSE(r.irq.level);
    CHECK(r.in(RBR) == 'a');
    CHECK(r.in(LSR) == 0xE1);
    CHECK(r.in(RBR) == 'b'); // the break is now at the top
    CHECK(r.irq.level);
    CHECK(r.in(LSR) == 0xF1);
    CHECK(r.in(LSR) == 0xE1); // BI cleared; the break is still in the FIFO
    CHECK(r.in(RBR) == 0x00);
    CHECK(r.in(LSR) == 0xE1); // sticky until the next LSR read without errors in the FIFO
    CHECK(r.in(LSR) == 0x61);
    CHECK(r.in(RBR) == 'c');
    CHECK(r.in(LSR) == 0x60);
}

TEST_CASE("Uart16550 (16550A): the scratch register", "[devices]")
{
    Rig r;
    for (u8 v : { 0x00, 0x5A, 0xA5, 0xFF }) {
        r.out(SCR, v);
        CHECK(r.in(SCR) == v);
    }
    r.out(LCR, 0x80); // not behind DLAB
    CHECK(r.in(SCR) == 0xFF);
}

TEST_CASE("Uart16550 (16550A): save and restore round-trip", "[devices]")
{
    Rig a;
    a.out(LCR, 0x83);
    a.out(DLL, 0x03);
    a.out(LCR, 0x1B);
    a.out(SCR, 0x77);
    a.out(FCR, 0x81);
    a.out(MCR, 0x0B);
    a.out(IER, 0x0F);
    a.receive("0123456789");
    a.drain(); // the ring head moves off slot 0
    a.receive("abcdefghijkl");
    a.uart.send_break();
    a.receive("xyzw"); // 'w' overruns the full FIFO
    a.uart.set_modem_inputs(0x30);
    std::vector<u8> bytes = a.saved();
    CHECK(bytes[0] == Uart16550::state_version);

    Rig b;
    CHECK_FALSE(b.irq.level);
    REQUIRE_FALSE(b.restore(bytes).is_error());
    CHECK(b.irq.level); // the restored line is driven
    CHECK(b.saved() == bytes);
    for (Rig* r : { &a, &b }) {
        CHECK(r->in(IIR) == 0xC6);
        CHECK(r->in(LSR) == 0xE3);
        CHECK(r->in(LCR) == 0x1B);
        CHECK(r->in(SCR) == 0x77);
        CHECK(r->in(MCR) == 0x0B);
        CHECK(r->in(MSR) == 0x38); // DCD dropped: DDCD
        std::string s = r->drain();
        CHECK(s == std::string("abcdefghijkl") + '\0' + "xyz");
        CHECK(r->in(IIR) == 0xC2);
        r->out(LCR, 0x80);
        CHECK(r->in(DLL) == 0x03);
    }
    CHECK(b.saved() == a.saved());
}

TEST_CASE("Uart16550 (16550A): restore refuses bad bytes and leaves the device unchanged", "[devices]")
{
    Rig r;
    r.out(FCR, 0x01);
    r.receive("hello");
    std::vector<u8> good = r.saved();
    Rig other;
    other.out(SCR, 0x12);
    other.receive("q");
    std::vector<u8> current = other.saved();
    auto with = [&](usize at, u8 v) {
        std::vector<u8> b = good;
        b[at] = v;
        return b;
    };
    // Layout: version, size (2), IER, LCR, MCR, SCR, FCR, DLL/DLM (2), RBR, LSR errors,
    // FIFO error, THRE pending, modem lines, MSR deltas, count, 16 characters, breaks (2).
    struct Case {
        std::vector<u8> bytes;
        const char* what;
    };
    std::vector<u8> truncated(good.begin(), good.end() - 1);
    std::vector<u8> longer = good;
    longer[1] += 1;
    longer.push_back(0);
    std::vector<Case> cases = {
        { with(0, Uart16550::state_version + 1), "version" },
        { truncated, "truncated" },
        { longer, "size field" },
        { {}, "empty" },
        { with(3, 0x10), "IER bit 4" },
        { with(5, 0x20), "MCR bit 5" },
        { with(7, 0x05), "FCR bit 2" },
        { with(7, 0xC0), "FCR trigger without enable" },
        { with(11, 0x01), "LSR DR as an error" },
        { with(13, 2), "THRE pending not a boolean" },
        { with(14, 0xB1), "modem lines bit 0" },
        { with(15, 0x10), "MSR delta bit 4" },
        { with(16, 17), "17 characters" },
        { with(33, 0x40), "break beyond the count" },
    };
    for (const Case& c : cases) {
        INFO(c.what);
        CHECK(other.restore(c.bytes).is_error());
        CHECK(other.saved() == current);
    }
    Rig plain;
    std::vector<u8> no_fifo = plain.saved();
    no_fifo[16] = 2; // two characters in a 16450-mode RBR
    CHECK(other.restore(no_fifo).is_error());
    no_fifo[16] = 0;
    no_fifo[12] = 1; // FIFO error bit without FIFOs
    CHECK(other.restore(no_fifo).is_error());
    CHECK(other.saved() == current);
    CHECK_FALSE(other.restore(good).is_error());
    CHECK(other.saved() == good);
    CHECK(other.drain() == "hello");
}

TEST_CASE("Uart16550 (16550A): reset restores the power-on state", "[devices]")
{
    Rig fresh;
    std::vector<u8> power_on = fresh.saved();
    Rig r;
    r.out(LCR, 0x80);
    r.out(DLL, 0x01);
    r.out(LCR, 0x07);
    r.out(FCR, 0xC1);
    r.out(MCR, 0x0F);
    r.out(SCR, 0x55);
    r.out(IER, 0x0F);
    r.receive("abc");
    r.uart.set_modem_inputs(0x00);
    r.in(RBR);
    REQUIRE(r.irq.level);
    REQUIRE(r.saved() != power_on);
    r.uart.reset();
    CHECK(r.saved() == power_on);
    CHECK_FALSE(r.irq.level); // lowered
    CHECK(r.in(IIR) == 0x01);
    CHECK(r.in(LSR) == 0x60);
    CHECK(r.in(MSR) == 0xB0);
    CHECK(r.in(RBR) == 0x00);
}
