// Machine descriptions (machine/machine_description.cpp): machines/pc.cfg itself, and the
// mistakes a user can make, with the messages they get. ctest unit.machine.
#include <catch2/catch.hpp>
#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include "machine/machine_description.h"

using namespace keel;
using namespace keel::machine;

namespace {

Result<MachineDescription> parse(const std::string& text) { return parse_machine_description(text.data(), text.size(), "m.cfg"); }

std::string error_of(const std::string& text)
{
    auto r = parse(text);
    REQUIRE(r.is_error());
    return r.error().message();
}

} // namespace

TEST_CASE("machine: machines/pc.cfg describes the PC", "[machine]")
{
    std::ifstream in(KEEL_SOURCE_DIR "/machines/pc.cfg");
    REQUIRE(in.good());
    std::string text((std::istreambuf_iterator<char>(in)), {});
    auto parsed = parse_machine_description(text.data(), text.size(), "pc.cfg");
    INFO((parsed.is_error() ? parsed.error().message() : ""));
    REQUIRE_FALSE(parsed.is_error());
    const MachineDescription& pc = parsed.value();
    CHECK(std::string(pc.arch) == "x86_64");

    const DeviceSpec* pic = pc.find("pic");
    REQUIRE(pic);
    CHECK(std::string(pic->type) == "pic8259");
    REQUIRE(pic->ports.size() == 3);
    CHECK(pic->ports[1].first == 0xA0);
    CHECK(std::string(pic->irqs[0].controller) == "cpu");

    const DeviceSpec* com1 = pc.find("com1");
    REQUIRE(com1);
    CHECK(com1->ports[0].first == 0x3F8);
    CHECK(com1->ports[0].count == 8);
    REQUIRE(com1->irqs.size() == 2);
    CHECK(std::string(com1->irqs[0].controller) == "pic");
    CHECK(com1->irqs[0].line == 4);
    CHECK(std::string(com1->options) == "console=stdio");

    const DeviceSpec* lapic = pc.find("lapic");
    REQUIRE(lapic);
    CHECK(lapic->mmio[0].base == 0xFEE00000);
    CHECK(lapic->mmio[0].size == 0x1000);

    for (const char* name : { "ioapic", "pit", "rtc", "com2", "kbd", "port92", "post", "pci", "vga", "debug-exit" })
        CHECK(pc.find(name));
}

TEST_CASE("machine: mistakes are refused with file, line and reason", "[machine]")
{
    CHECK(error_of("device a b\n") == "m.cfg: no 'arch' line");
    CHECK(error_of("arch x86_64\nmachine pc\n") == "m.cfg:2: unknown statement 'machine' (known: arch, device)");
    CHECK(error_of("arch x86_64\ndevice uart16550\n") == "m.cfg:2: expected 'device TYPE NAME [port=..] [mmio=..] [irq=..]'");
    CHECK(error_of("arch x\ndevice t a port=0x3f8\n") == "m.cfg:2: bad port range 'port=0x3f8' (FIRST+COUNT within 0-0xffff)");
    CHECK(error_of("arch x\ndevice t a port=0xffff+2\n") == "m.cfg:2: bad port range 'port=0xffff+2' (FIRST+COUNT within 0-0xffff)");
    // FIRST+COUNT must not pass the bound by wrapping around 2^64.
    CHECK(error_of("arch x\ndevice t a port=0x1000+0xffffffffffffffff\n")
        == "m.cfg:2: bad port range 'port=0x1000+0xffffffffffffffff' (FIRST+COUNT within 0-0xffff)");
    CHECK(error_of("arch x\ndevice t a port=0xffffffffffffffff+2\n")
        == "m.cfg:2: bad port range 'port=0xffffffffffffffff+2' (FIRST+COUNT within 0-0xffff)");
    CHECK(error_of("arch x\ndevice t a mmio=0xffffffffffff0000+0x20000\n")
        == "m.cfg:2: bad MMIO range 'mmio=0xffffffffffff0000+0x20000' (BASE+SIZE)");
    CHECK(error_of("arch x\ndevice t a mmio=0xzz+1\n") == "m.cfg:2: bad MMIO range 'mmio=0xzz+1' (BASE+SIZE)");
    CHECK(error_of("arch x\ndevice t a irq=pic\n") == "m.cfg:2: bad interrupt wiring 'irq=pic' (irq=CONTROLLER:LINE)");
    CHECK(error_of("arch x\ndevice t a\ndevice u a\n") == "m.cfg:3: a device named 'a' already exists");
    CHECK(error_of("arch x\ndevice t a port=0x3f8+8\ndevice t b port=0x3ff+1\n")
        == "m.cfg:3: ports 0x3ff+1 of b overlap a's (line 2)");
    CHECK(error_of("arch x\ndevice t a mmio=0x1000+0x1000\ndevice t b mmio=0x1800+0x10\n")
        == "m.cfg:3: MMIO 0x1800+0x10 of b overlaps a's (line 2)");
    CHECK(error_of("arch x\ndevice t a irq=nowhere:3\n") == "m.cfg:2: a's interrupt goes to 'nowhere', which is not a device of this machine");
    CHECK(error_of("arch x\ndevice t a speed\n") == "m.cfg:2: expected key=value, got 'speed'");
}

TEST_CASE("machine: comments, blank lines, options, forward interrupt references", "[machine]")
{
    auto r = parse("# a machine\n\narch x86_64   # the CPU\n"
                   "device t dev irq=ctl:9 a=1 b=two   # wired to a controller declared later\n"
                   "device c ctl port=0x10+2\n");
    REQUIRE_FALSE(r.is_error());
    const DeviceSpec* dev = r.value().find("dev");
    REQUIRE(dev);
    CHECK(std::string(dev->options) == "a=1 b=two");
    CHECK(dev->irqs[0].line == 9);
    CHECK(r.value().devices.size() == 2);
}

#include "dbt/engine/memory_tree.h"
#include "guest_machine.h"

TEST_CASE("machine: info mtree lists every region and port range of machines/pc.cfg with its owner", "[machine]")
{
    unit::GuestMachine m(32 * MiB);
    StringBuilder tree;
    describe_memory_tree(m.pc().engine().memory(), m.pc().engine().io(), tree);
    CHECK(std::string(tree.c_str())
        == "address-space: memory\n"
           "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
           "    0000000000000000-000000000009ffff (prio 0, ram): ram-low\n"
           "    00000000000b8000-00000000000bffff (prio 0, i/o): vga\n"
           "    00000000000e0000-00000000000fffff (prio 0, rom): bios\n"
           "    0000000000100000-0000000001ffffff (prio 0, ram): ram\n"
           "    00000000fec00000-00000000fec00fff (prio 0, i/o): ioapic\n"
           "    00000000fee00000-00000000fee00fff (prio 0, i/o): lapic\n"
           "\n"
           "address-space: I/O\n"
           "  0000000000000000-000000000000ffff (prio 0, i/o): io\n"
           "    0000000000000020-0000000000000021 (prio 0, i/o): pic\n"
           "    0000000000000040-0000000000000043 (prio 0, i/o): pit\n"
           "    0000000000000060-0000000000000060 (prio 0, i/o): kbd\n"
           "    0000000000000061-0000000000000061 (prio 0, i/o): pit\n"
           "    0000000000000064-0000000000000064 (prio 0, i/o): kbd\n"
           "    0000000000000070-0000000000000071 (prio 0, i/o): rtc\n"
           "    0000000000000080-0000000000000080 (prio 0, i/o): post\n"
           "    0000000000000092-0000000000000092 (prio 0, i/o): port92\n"
           "    00000000000000a0-00000000000000a1 (prio 0, i/o): pic\n"
           "    00000000000000f4-00000000000000f4 (prio 0, i/o): debug-exit\n"
           "    00000000000002f8-00000000000002ff (prio 0, i/o): com2\n"
           "    00000000000003d4-00000000000003d5 (prio 0, i/o): vga\n"
           "    00000000000003da-00000000000003da (prio 0, i/o): vga\n"
           "    00000000000003f8-00000000000003ff (prio 0, i/o): com1\n"
           "    0000000000000402-0000000000000402 (prio 0, i/o): debugcon\n"
           "    00000000000004d0-00000000000004d1 (prio 0, i/o): pic\n"
           "    0000000000000600-000000000000060f (prio 0, i/o): pm\n"
           "    0000000000000cf8-0000000000000cff (prio 0, i/o): pci\n");

    // A window IA32_APIC_BASE moved lies over the RAM, one priority up.
    MmioHandler* lapic = m.pc().engine().memory().find(0xFEE00000)->mmio;
    REQUIRE_FALSE(m.pc().engine().move_mmio_window(lapic, 0xFEE00000, 0x200000).is_error());
    StringBuilder moved;
    describe_memory_tree(m.pc().engine().memory(), m.pc().engine().io(), moved);
    std::string text = moved.c_str();
    CHECK(text.find("    0000000000100000-0000000001ffffff (prio 0, ram): ram\n") != std::string::npos);
    CHECK(text.find("    0000000000200000-0000000000200fff (prio 1, i/o): lapic\n") != std::string::npos);
    CHECK(text.find("fee00000") == std::string::npos);
}

#include "dbt/engine/monitor.h"

TEST_CASE("machine: the monitor answers info and x/ about a stopped guest", "[machine]")
{
    unit::GuestMachine m(32 * MiB);
    // mov rax, 0x1122334455667788; mov [0x200000], rax; hlt
    std::vector<u8> code = { 0x48, 0xB8 };
    unit::append_le(code, 0x1122334455667788ull, 8);
    code.insert(code.end(), { 0x48, 0x89, 0x04, 0x25, 0x00, 0x00, 0x20, 0x00, 0xF4 });
    m.load(0x100000, code);
    m.require_halted(m.run_to_halt());

    Monitor monitor(m.engine());
    auto run = [&](const char* line) {
        StringBuilder out;
        CHECK(monitor.execute(line, out));
        return std::string(out.c_str());
    };
    CHECK(run("x/2xg 0x200000") == "0000000000200000: 0x1122334455667788 0x0000000000000000\n");
    CHECK(run("xp/4xb 0x200000") == "0000000000200000: 0x88 0x77 0x66 0x55\n");
    CHECK(run("x/2dw 0x200004") == "0000000000200004: 287454020 0\n");
    CHECK(run("x/1xg 0x7fffffff0000") == "00007fffffff0000: <cannot read virtual address 0x7fffffff0000>\n");
    CHECK(run("info registers").find("RAX=1122334455667788") != std::string::npos);
    // The test-guest entry state maps the low 4 GiB, supervisor, writable.
    CHECK(run("info mem") == "0000000000000000-0000000100000000 0000000100000000 -rw\n");
    // info tlb: the same map as 2048 2 MiB leaves; the guest's store set the accessed and
    // dirty bits of the one it wrote (Intel SDM vol. 3 §4.8), its fetch the accessed bit of
    // the code's (0-2 MiB); pages it never touched have neither.
    std::string tlb = run("info tlb");
    CHECK(std::count(tlb.begin(), tlb.end(), '\n') == 2048);
    CHECK(tlb.rfind("0000000000000000: 0000000000000000 --P-A---W\n", 0) == 0);
    CHECK(tlb.find("0000000000200000: 0000000000200000 --PDA---W\n") != std::string::npos);
    CHECK(tlb.find("0000000000400000: 0000000000400000 --P-----W\n") != std::string::npos);
    CHECK(tlb.find("00000000ffe00000: 00000000ffe00000 --P-----W\n") != std::string::npos);
    CHECK(run("info blocks").rfind("translated blocks   1 (1 live", 0) == 0);
    CHECK(run("info mtree").find("(prio 0, i/o): com1\n") != std::string::npos);
    CHECK(run("info nothing") == "info: unknown item 'nothing' (registers, mtree, mem, blocks, devices, or a device name)\n");
    CHECK(run("frobnicate") == "unknown command: 'frobnicate' (try help)\n");
    CHECK(run("x/2q 0x0") == "x: unknown format 'q' (use x or d, and b h w g)\n");
    CHECK(run("help").find("info mtree") != std::string::npos);
    StringBuilder out;
    CHECK_FALSE(monitor.execute("quit", out));
}

// info irq: the machine counts each device output's assertions (machine.cpp IrqOutput) and
// the engine the vectors the CPU took. COM1's transmitter-empty interrupt, through the
// 8259 (vector base 0x20, line 4), to a 64-bit interrupt gate whose handler debug-exits.
TEST_CASE("machine: info irq shows device outputs, their wiring and assertions, and the vectors taken", "[machine]")
{
    unit::GuestMachine m;
    Monitor monitor(m.engine());
    m.pc().machine().attach(monitor);
    auto run = [&](const char* line) {
        StringBuilder out;
        CHECK(monitor.execute(line, out));
        return std::string(out.c_str());
    };
    std::string before = run("info irq");
    CHECK(before.find("com1         pic:4 ioapic:4             low    0\n") != std::string::npos);
    CHECK(before.find("pit          pic:0 ioapic:2             low    0\n") != std::string::npos);
    CHECK(before.find("  none yet\n") != std::string::npos);
    CHECK(run("help").find("info irq ") != std::string::npos);

    constexpr u64 idt = 0x20000, handler = 0x30000;
    // sti; hlt; jmp back to the hlt
    m.load(0x10000, { 0xFB, 0xF4, 0xEB, 0xFD });
    // mov al, 0x21; out 0xF4, al (debug exit: status 0x43)
    m.write(handler, { 0xB0, 0x21, 0xE6, 0xF4 });
    // Gate 0x24: offset `handler`, selector 0x08, present 64-bit interrupt gate (SDM vol. 3 §6.14.1).
    m.write(idt + 0x24 * 16, { u8(handler), u8(handler >> 8), 0x08, 0x00, 0x00, 0x8E, u8(handler >> 16), u8(handler >> 24),
                                 0, 0, 0, 0, 0, 0, 0, 0 });
    m.cpu().idtr = { idt, 0xFFF };
    // The 8259 as a PC BIOS leaves it, but with vectors at 0x20 and only line 4 unmasked.
    for (auto [port, value] : std::initializer_list<std::pair<u16, u8>> { { 0x20, 0x11 }, { 0x21, 0x20 }, { 0x21, 0x04 }, { 0x21, 0x01 }, { 0x21, 0xEF } })
        m.engine().port_write(port, value, 1);
    m.engine().port_write(0x3FC, 0x08, 1); // MCR: OUT2, which gates a PC UART's interrupt
    m.engine().port_write(0x3F9, 0x02, 1); // IER: transmitter holding register empty
    RunResult r = m.engine().run();
    REQUIRE(r.kind == RunResult::Kind::Shutdown);
    CHECK(r.exit_code == 0x43);
    std::string after = run("info irq");
    INFO(after);
    CHECK(after.find("com1         pic:4 ioapic:4             high   1\n") != std::string::npos);
    CHECK(after.find("  0x24: 1         \n") != std::string::npos);
}

namespace {

// Builds a machine from `text` with the built-in device types; the error, or "" if it built.
std::string build_error(const std::string& text)
{
    x86::X86Arch arch;
    hosted::HostedPcConfig config;
    config.machine.types = &hosted::builtin_types();
    config.machine.arch = &arch;
    config.machine.ram_size = 16 * MiB;
    config.code_cache_size = 16 * MiB;
    config.machine.description = text.data();
    config.machine.description_length = text.size();
    config.machine.description_name = "m.cfg";
    auto created = hosted::HostedPc::create(config);
    if (!created.is_error()) {
        delete created.release_value();
        return "";
    }
    return created.error().message();
}

} // namespace

TEST_CASE("machine: building refuses what the registry and the devices cannot make", "[machine]")
{
    CHECK(build_error("arch x86_64\ndevice uart16550 com1 port=0x3f8+8\n") == "");
    CHECK(build_error("arch arm64\n") == "m.cfg: the machine is for the arm64 architecture, the CPU keel has is x86_64");
    CHECK(build_error("arch x86_64\ndevice floppy fd0 port=0x3f0+6\n")
        == "m.cfg:2: no device type 'floppy' (its plugin, floppy.so, is not loaded)");
    // The IRQ must name an interrupt controller declared earlier in the file.
    CHECK(build_error("arch x86_64\ndevice uart16550 com1 port=0x3f8+8 irq=pic:4\ndevice pic8259 pic port=0x20+2 port=0xa0+2\n")
        == "m.cfg:2: com1: 'pic' is not declared before it");
    CHECK(build_error("arch x86_64\ndevice post_code post port=0x80+1\ndevice uart16550 com1 port=0x3f8+8 irq=post:4\n")
        == "m.cfg:3: com1: 'post' takes no interrupt inputs");
    CHECK(build_error("arch x86_64\ndevice pic8259 pic port=0x20+2 port=0xa0+2 irq=cpu:1\n")
        == "m.cfg:2: pic: the CPU has one interrupt input (cpu:0)");
    // Options are checked by the device types: unknown keys and bad values are errors.
    CHECK(build_error("arch x86_64\ndevice uart16550 com1 port=0x3f8+8 speed=9600\n")
        == "m.cfg:2: com1: unknown option 'speed' (uart16550 takes: console)");
    CHECK(build_error("arch x86_64\ndevice uart16550 com1 port=0x3f8+8 console=tty\n")
        == "m.cfg:2: com1: console=tty: only 'stdio' or 'none'");
    CHECK(build_error("arch x86_64\ndevice lapic lapic mmio=0xfee00000+0x1000 id=0x100\n")
        == "m.cfg:2: lapic: option id=0x100 is above 255");
    CHECK(build_error("arch x86_64\ndevice lapic lapic mmio=0xfee00000+0x1000 id=one\n")
        == "m.cfg:2: lapic: option id=one is not a number");
    // Two devices may be wired to one input (as ISA cards configured alike would be).
    CHECK(build_error("arch x86_64\ndevice pic8259 pic port=0x20+2 port=0xa0+2 irq=cpu:0\n"
                      "device uart16550 com1 port=0x3f8+8 irq=pic:4\ndevice uart16550 com3 port=0x3e8+8 irq=pic:4\n")
        == "");
}
