// The devices: the 16550 UART's register file (National Semiconductor PC16550D data
// sheet, table II and §8), the debug-exit port (QEMU's isa-debug-exit), and the I/O
// port bus routing guest IN/OUT to them.
#include <catch2/catch.hpp>
#include <csignal>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include "guest_machine.h"
#include "plugins/devices/debug_exit/debug_exit.h"
#include "plugins/devices/uart16550/uart16550.h"

using namespace keel;
using keel::devices::Uart16550;

namespace {

struct Capture {
    std::string text;
    static void output(void* self, const char* bytes, usize length) { static_cast<Capture*>(self)->text.append(bytes, length); }
};

// Register offsets (data sheet table II).
enum : u16 { THR = 0x3F8, IER = 0x3F9, IIR_FCR = 0x3FA, LCR = 0x3FB, MCR = 0x3FC, LSR = 0x3FD, MSR = 0x3FE, SCR = 0x3FF };

} // namespace

TEST_CASE("Uart16550: transmitting, and the line status", "[devices]")
{
    Capture out;
    Uart16550 uart(Capture::output, &out);
    uart.io_write(THR, 'o', 1);
    uart.io_write(THR, 'k', 1);
    uart.io_write(THR, 0x100 | '!', 1); // only the low byte is data
    CHECK(out.text == "ok!");
    // THRE and TEMT: the transmitter is always empty (bytes leave at once).
    CHECK(uart.io_read(LSR, 1) == 0x60);
    CHECK(uart.io_read(THR, 1) == 0); // nothing received
    uart.io_write(LSR, 0, 1);           // read-only
    CHECK(uart.io_read(LSR, 1) == 0x60);
}

TEST_CASE("Uart16550: the divisor latch behind DLAB", "[devices]")
{
    Capture out;
    Uart16550 uart(Capture::output, &out);
    CHECK(uart.io_read(LCR, 1) == 0x03); // 8N1 after reset
    uart.io_write(IER, 0x05, 1);
    uart.io_write(LCR, 0x83, 1); // DLAB = 1
    CHECK(uart.io_read(LCR, 1) == 0x83);
    CHECK(uart.io_read(THR, 1) == 12); // divisor 12: 9600 baud
    CHECK(uart.io_read(IER, 1) == 0);
    uart.io_write(THR, 0x01, 1); // DLL: 115200 baud, not a character
    uart.io_write(IER, 0x02, 1); // DLM
    CHECK(out.text.empty());
    CHECK(uart.io_read(THR, 1) == 0x01);
    CHECK(uart.io_read(IER, 1) == 0x02);
    uart.io_write(LCR, 0x03, 1); // DLAB = 0: the data and interrupt-enable registers again
    CHECK(uart.io_read(IER, 1) == 0x05);
    uart.io_write(IER, 0xFF, 1);
    CHECK(uart.io_read(IER, 1) == 0x0F); // bits 7..4 are always 0
    uart.io_write(THR, 'x', 1);
    CHECK(out.text == "x");
    uart.io_write(LCR, 0x80, 1);
    CHECK(uart.io_read(THR, 1) == 0x01); // the latch kept its value
    CHECK(uart.io_read(IER, 1) == 0x02);
}

TEST_CASE("Uart16550: MCR, SCR, FCR/IIR and MSR", "[devices]")
{
    Capture out;
    Uart16550 uart(Capture::output, &out);
    for (u32 v : { 0x00u, 0x5Au, 0xA5u, 0xFFu }) {
        uart.io_write(SCR, v, 1);
        CHECK(uart.io_read(SCR, 1) == v);
    }
    uart.io_write(MCR, 0xFF, 1);
    CHECK(uart.io_read(MCR, 1) == 0x1F); // bits 7..5 are always 0
    uart.io_write(MCR, 0x03, 1);
    CHECK(uart.io_read(MCR, 1) == 0x03);
    // Leaving loopback (where OUT1 drove RI) turns RI off: TERI, cleared by the read.
    CHECK(uart.io_read(MSR, 1) == 0xB4);
    CHECK(uart.io_read(MSR, 1) == 0xB0); // not in loopback: CTS, DSR and DCD asserted
    CHECK(uart.io_read(IIR_FCR, 1) == 0x01); // no interrupt pending, FIFOs off
    uart.io_write(IIR_FCR, 0x01, 1);
    CHECK(uart.io_read(IIR_FCR, 1) == 0xC1); // FIFOs enabled
}

TEST_CASE("Uart16550: loopback suppresses output", "[devices]")
{
    Capture out;
    Uart16550 uart(Capture::output, &out);
    uart.io_write(MCR, 0x10, 1);
    uart.io_write(THR, 'a', 1);
    CHECK(out.text.empty());
    uart.io_write(MCR, 0x00, 1);
    uart.io_write(THR, 'b', 1);
    CHECK(out.text == "b");
}

TEST_CASE("Uart16550: another base port", "[devices]")
{
    Capture out;
    Uart16550 uart(Capture::output, &out);
    uart.set_base(0x2F8); // COM2
    uart.io_write(0x2F8, 'z', 1);
    CHECK(out.text == "z");
    CHECK(uart.io_read(0x2FD, 1) == 0x60);
    uart.io_write(0x2FF, 0x42, 1);
    CHECK(uart.io_read(0x2FF, 1) == 0x42);
}

// In loopback the modem outputs drive the inputs crosswise: MSR bit 4 (CTS) = MCR bit 1
// (RTS), bit 5 (DSR) = bit 0 (DTR), bit 6 (RI) = bit 2 (OUT1), bit 7 (DCD) = bit 3 (OUT2)
// (PC16550D data sheet, MODEM Status Register bits 4-7: "If bit 4 (LOOP) of the MCR is
// set to a 1, this bit is equivalent to RTS/DTR/OUT 1/OUT 2 in the MCR"; QEMU's
// hw/char/serial.c does the same). keel maps MCR bits 3..0 straight to MSR bits 7..4
// (uart16550.cpp: `(m_mcr & 0x0F) << 4`), swapping CTS and DSR.
TEST_CASE("Uart16550: loopback reflects RTS as CTS and DTR as DSR", "[devices]")
{
    Capture out;
    Uart16550 uart(Capture::output, &out);
    uart.io_write(MCR, 0x10 | 0x01, 1); // loopback, DTR
    CHECK((uart.io_read(MSR, 1) & 0xF0) == 0x20); // DSR
    uart.io_write(MCR, 0x10 | 0x02, 1); // loopback, RTS
    CHECK((uart.io_read(MSR, 1) & 0xF0) == 0x10); // CTS
}

TEST_CASE("Uart16550 in the machine: guest OUT to COM1 reaches the console", "[devices]")
{
    unit::GuestMachine m;
    // mov dx, 0x3f8 / mov al, 'h' / out dx, al / mov al, 'i' / out dx, al / in al, dx (LSR: add dx, 5) / hlt
    m.load(0x10000, { 0x66, 0xBA, 0xF8, 0x03, 0xB0, 'h', 0xEE, 0xB0, 'i', 0xEE, 0x66, 0x83, 0xC2, 0x05, 0xEC, 0xF4 });
    m.require_halted(m.run_to_halt());
    CHECK(m.console == "hi");
    CHECK((m.gpr(x86::RAX) & 0xFF) == 0x60);
}

TEST_CASE("DebugExit: (v << 1) | 1 for 1-, 2- and 4-byte writes, ending the run", "[devices]")
{
    struct Case {
        u32 value;
        unsigned size;
        int status;
    };
    const Case cases[] = {
        { 0, 1, 1 }, { 0x2A, 1, 0x55 }, { 0x1FF, 1, 0x1FF }, // only the access's bytes count
        { 0x12345, 2, 0x468B }, { 0x10000, 4, 0x20001 }, { 3, 4, 7 },
    };
    for (const Case& c : cases) {
        INFO("value 0x" << std::hex << c.value << " size " << c.size);
        unit::GuestMachine m;
        m.load(0x10000, { 0xF4 });
        m.engine().io().write(devices::DebugExit::default_port, c.value, c.size);
        RunResult r = m.engine().run();
        CHECK(r.kind == RunResult::Kind::Shutdown);
        CHECK(r.exit_code == c.status);
    }
    unit::GuestMachine m;
    CHECK(m.engine().io().read(devices::DebugExit::default_port, 1) == 0xFFu); // all ones, as the access is wide
}

TEST_CASE("DebugExit in the machine: the guest's OUT ends the run at once", "[devices]")
{
    unit::GuestMachine m;
    // mov eax, 0x21 / out 0xf4, eax / mov ebx, 1 / hlt: the instruction after the OUT never runs.
    m.load(0x10000, { 0xB8, 0x21, 0x00, 0x00, 0x00, 0xE7, 0xF4, 0xBB, 0x01, 0x00, 0x00, 0x00, 0xF4 });
    RunResult r = m.engine().run();
    CHECK(r.kind == RunResult::Kind::Shutdown);
    CHECK(r.exit_code == 0x43);
    CHECK(m.gpr(x86::RBX) == 0);
    CHECK(m.ctx().hot.pc == 0x10007); // after the OUT
}

TEST_CASE("IoBus: unclaimed ports read all ones; ranges may not overlap", "[devices]")
{
    IoBus bus;
    Capture out;
    Uart16550 uart(Capture::output, &out);
    REQUIRE_FALSE(bus.add(0x3F8, 8, &uart, "com1").is_error());
    auto overlap = bus.add(0x3FF, 2, &uart, "other");
    REQUIRE(overlap.is_error());
    CHECK(std::string(overlap.error().message()) == "I/O ports 0x3ff-0x400 of other overlap com1");
    CHECK_FALSE(bus.add(0x3F0, 8, &uart, "below").is_error()); // adjacent
    CHECK(bus.read(0x80, 1) == 0xFF);
    CHECK(bus.read(0x80, 2) == 0xFFFF);
    CHECK(bus.read(0x80, 4) == 0xFFFFFFFFu);
    bus.write(0x80, 1, 1); // ignored
    bus.write(0x3F8, 'q', 1);
    CHECK(out.text == "q");
    CHECK(bus.read(0x3FD, 1) == 0x60);
}

// machine::MachineConfig::console defaults to null ("where COM1 output goes"), and the UART calls
// it without a check (uart16550.cpp, io_write: `m_output(m_output_context, &c, 1)`), so a
// guest that prints on a machine made without a console crashes the host process (the
// differential tester's KeelRunner builds one so). Run in a child process: a crash there
// fails this test instead of the whole run.
TEST_CASE("Uart16550: a machine without a console drops COM1 output", "[devices]")
{
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // Not Catch's handlers: a crash here must simply end the child.
        for (int sig : { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT })
            signal(sig, SIG_DFL);
        hosted::HostedPcConfig config;
        static x86::X86Arch arch;
        config.machine.types = &hosted::builtin_types();
        config.machine.arch = &arch;
        config.machine.ram_size = 16 * MiB;
        config.code_cache_size = 16 * MiB;
        auto created = hosted::HostedPc::create(config);
        if (created.is_error())
            _exit(2);
        hosted::HostedPc* pc = created.release_value();
        const u8 code[] = { 0x66, 0xBA, 0xF8, 0x03, 0xB0, 'x', 0xEE, 0xF4 }; // mov dx, 0x3f8 / mov al, 'x' / out dx, al / hlt
        if (pc->engine().memory().write_bytes(0x10000, code, sizeof(code)).is_error()
            || x86::setup_test_entry_state(pc->engine().context(), 0x10000).is_error())
            _exit(2);
        Engine::RunOptions options;
        options.stop_on_halt = true;
        _exit(pc->engine().run(options).kind == RunResult::Kind::Stopped ? 0 : 3);
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    INFO("child " << (WIFSIGNALED(status) ? "killed by signal " : "exited with ") << (WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status)));
    CHECK(WIFEXITED(status));
    CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
}
