// The ACPI tables keel builds for machines/pc.cfg (machine/acpi, docs/linux.md) as a guest
// reads them from guest memory, and the acpi_pm device they describe: PM timer, PM1
// registers, S5 power-off. ctest unit.machine.
#include <chrono>
#include <string>
#include <thread>
#include "guest_machine.h"
#include "machine/acpi/acpi_tables.h"

using namespace keel;
using namespace keel::unit;

namespace {

struct Tables {
    GuestMachine& m;
    u64 u(u64 address, unsigned size) { return m.read(address, size); }
    std::string text(u64 address, unsigned n)
    {
        std::string s;
        for (unsigned i = 0; i < n; ++i)
            s += static_cast<char>(u(address + i, 1));
        return s;
    }
    bool sums_to_zero(u64 address, u64 length)
    {
        u8 sum = 0;
        for (u64 i = 0; i < length; ++i)
            sum = static_cast<u8>(sum + u(address + i, 1));
        return sum == 0;
    }
    // The table with `signature` the XSDT lists, or 0.
    u64 find(u64 xsdt, const char* signature)
    {
        u64 length = u(xsdt + 4, 4);
        for (u64 at = xsdt + 36; at < xsdt + length; at += 8) {
            u64 table = u(at, 8);
            if (text(table, 4) == signature)
                return table;
        }
        return 0;
    }
};

} // namespace

TEST_CASE("acpi: the PC's tables, found as an OS finds them", "[machine][acpi]")
{
    GuestMachine m;
    Tables t { m };
    // The RSDP on a 16-byte boundary in 0xE0000-0xFFFFF (ACPI 6.5 §5.2.5.1).
    u64 rsdp = 0;
    for (u64 a = 0xE0000; a < 0x100000 && !rsdp; a += 16)
        if (t.text(a, 8) == "RSD PTR ")
            rsdp = a;
    REQUIRE(rsdp);
    CHECK(rsdp == m.pc().machine().acpi_rsdp());
    CHECK(t.sums_to_zero(rsdp, 20));
    CHECK(t.sums_to_zero(rsdp, 36));
    CHECK(t.u(rsdp + 15, 1) == 2);
    u64 rsdt = t.u(rsdp + 16, 4), xsdt = t.u(rsdp + 24, 8);
    CHECK(t.text(rsdt, 4) == "RSDT");
    CHECK(t.text(xsdt, 4) == "XSDT");
    CHECK(t.sums_to_zero(rsdt, t.u(rsdt + 4, 4)));
    CHECK(t.sums_to_zero(xsdt, t.u(xsdt + 4, 4)));

    u64 fadt = t.find(xsdt, "FACP");
    REQUIRE(fadt);
    CHECK(t.sums_to_zero(fadt, t.u(fadt + 4, 4)));
    CHECK(t.u(fadt + 46, 2) == 9);         // SCI_INT
    CHECK(t.u(fadt + 48, 4) == 0);         // no SMI_CMD: ACPI mode is on
    CHECK(t.u(fadt + 56, 4) == 0x600);     // PM1a_EVT_BLK
    CHECK(t.u(fadt + 64, 4) == 0x604);     // PM1a_CNT_BLK
    CHECK(t.u(fadt + 76, 4) == 0x608);     // PM_TMR_BLK
    CHECK(t.u(fadt + 116 + 4, 8) == 0xCF9); // RESET_REG
    CHECK(t.u(fadt + 128, 1) == 0x06);
    u64 dsdt = t.u(fadt + 140, 8);
    CHECK(dsdt == t.u(fadt + 40, 4));
    CHECK(t.text(dsdt, 4) == "DSDT");
    CHECK(t.sums_to_zero(dsdt, t.u(dsdt + 4, 4)));
    CHECK(t.text(dsdt + 37, 4) == "_S5_");
    // \_TTS's operation region: SystemIO at the acpi_pm block's transition register.
    u64 region = 0;
    for (u64 at = dsdt + 36; at + 11 <= dsdt + t.u(dsdt + 4, 4) && !region; ++at)
        if (t.u(at, 2) == 0x805B && t.text(at + 2, 4) == "KTTS")
            region = at;
    REQUIRE(region);
    CHECK(t.u(region + 6, 1) == 1);          // SystemIO
    CHECK(t.u(region + 8, 2) == 0x60C);      // WordPrefix operand
    CHECK(t.text(region + 26, 4) == "_TTS"); // the method follows the field
    CHECK(t.text(t.u(fadt + 36, 4), 4) == "FACS");
    // The keyboard controller (PNP0303) with pc.cfg's ports and IRQ, and no mouse (PNP0F13).
    u64 kbd = 0;
    for (u64 at = dsdt + 36; at + 47 <= dsdt + t.u(dsdt + 4, 4) && !kbd; ++at)
        if (t.u(at, 2) == 0x825B && t.text(at + 3, 4) == "KBD_")
            kbd = at;
    REQUIRE(kbd);
    CHECK(t.u(kbd + 13, 4) == 0x0303D041);                         // _HID EisaId ("PNP0303")
    CHECK(t.text(kbd + 18, 4) == "_CRS");
    CHECK(t.u(kbd + 28, 4) == 0x00600060);                         // IO 0x60-0x60
    CHECK(t.u(kbd + 36, 4) == 0x00640064);                         // IO 0x64-0x64
    CHECK(t.u(kbd + 42, 3) == 0x000222);                           // IRQNoFlags {1}
    CHECK(t.u(kbd + 45, 2) == 0x0079);                             // end tag
    for (u64 at = dsdt + 36; at + 4 <= dsdt + t.u(dsdt + 4, 4); ++at)
        CHECK(t.u(at, 4) != 0x130FD041); // no EisaId ("PNP0F13")

    // MADT: the LAPIC, the IOAPIC, and pc.cfg's wiring: the PIT (8259 line 0) on pin 2,
    // the SCI (line 9) level-triggered active high; the other ISA lines are identity.
    u64 madt = t.find(xsdt, "APIC");
    REQUIRE(madt);
    CHECK(t.sums_to_zero(madt, t.u(madt + 4, 4)));
    CHECK(t.u(madt + 36, 4) == 0xFEE00000);
    CHECK(t.u(madt + 40, 4) == 1); // PCAT_COMPAT
    std::string entries;
    for (u64 at = madt + 44; at < madt + t.u(madt + 4, 4); at += t.u(at + 1, 1)) {
        switch (t.u(at, 1)) {
        case 0: entries += "lapic " + std::to_string(t.u(at + 3, 1)) + "; "; break;
        case 1: entries += "ioapic " + std::to_string(t.u(at + 4, 4)) + "; "; break;
        case 2:
            entries += "iso " + std::to_string(t.u(at + 3, 1)) + "->" + std::to_string(t.u(at + 4, 4)) + " flags "
                + std::to_string(t.u(at + 8, 2)) + "; ";
            break;
        case 4: entries += "nmi lint" + std::to_string(t.u(at + 5, 1)) + "; "; break;
        default: entries += "?; ";
        }
    }
    CHECK(entries == "lapic 0; ioapic 4273995776; iso 0->2 flags 0; iso 9->9 flags 13; nmi lint1; ");

    // The e820 map a Linux boot gets lists the area as reserved (machine/linux).
    const MemoryRegion* bios = m.engine().memory().find(0xE0000);
    REQUIRE(bios);
    CHECK(bios->kind == RegionKind::Rom);
}

TEST_CASE("acpi_pm: the PM timer counts at 3.579545 MHz of virtual time, 24 bits wide", "[machine][acpi]")
{
    // The bus directly, not the guest's IN (Engine::port_read): that would bring the clock
    // up to the host's time, and this test moves it by hand.
    GuestMachine m;
    TimerQueue& clock = m.engine().clock();
    u64 start = clock.now_ns();
    u32 first = m.engine().io().read(0x608, 4);
    CHECK(first < (1u << 24));
    clock.advance_to(start + 2000000); // 2 ms: 7159.09 ticks
    u32 ticks = (m.engine().io().read(0x608, 4) - first) & 0xFFFFFF;
    CHECK((ticks == 7159 || ticks == 7160));
    // Absolute: 5 s is 17897725 ticks, which the 24-bit counter shows as 1120509.
    clock.advance_to(5000000000ull);
    CHECK(m.engine().io().read(0x608, 4) == 1120509);
    CHECK(m.engine().io().read(0x60A, 1) == (1120509 >> 16)); // a byte of it
}

TEST_CASE("acpi_pm: SLP_TYP 5 with SLP_EN powers off; PM1 registers read back", "[machine][acpi]")
{
    GuestMachine m;
    CHECK((m.engine().port_read(0x604, 2) & 1) == 1); // SCI_EN: ACPI mode already on
    m.engine().port_write(0x602, 0x0121, 2);          // PM1_EN
    CHECK(m.engine().port_read(0x602, 2) == 0x0121);
    // mov dx, 0x604 / mov ax, SLP_TYP 5 | SLP_EN / out dx, ax / hlt
    m.load(0x10000, { 0x66, 0xBA, 0x04, 0x06, 0x66, 0xB8, 0x00, 0x34, 0x66, 0xEF, 0xF4 });
    RunResult r = m.engine().run();
    REQUIRE(r.kind == RunResult::Kind::Shutdown);
    CHECK(r.exit_code == 0);
}

namespace {

// mov dx, PORT / mov al, VALUE / out dx, al
std::vector<u8> out_byte(u16 port, u8 value)
{
    return { 0x66, 0xBA, static_cast<u8>(port), static_cast<u8>(port >> 8), 0xB0, value, 0xEE };
}

RunResult reset_through_cf9(GuestMachine& m, bool announce)
{
    std::vector<u8> code;
    if (announce) // what the DSDT's \_TTS(5) does
        code = out_byte(0x60C, 5);
    for (u8 byte : out_byte(0xCF9, 0x06)) // RESET_VALUE to RESET_REG (the FADT's)
        code.push_back(byte);
    code.push_back(0xF4); // hlt (not reached)
    m.load(0x10000, code);
    return m.engine().run();
}

} // namespace

TEST_CASE("acpi_pm: a reset after \\_TTS is an orderly reboot (status 10), one without it an emergency (12)", "[machine][acpi]")
{
    {
        GuestMachine m;
        RunResult r = reset_through_cf9(m, true);
        REQUIRE(r.kind == RunResult::Kind::Shutdown);
        CHECK(r.exit_code == machine::reset_status);
        CHECK(m.engine().port_read(0x60C, 1) == 5); // reads back what \_TTS wrote
    }
    {
        GuestMachine m;
        CHECK(m.engine().port_read(0x60C, 1) == 0);
        CHECK(m.engine().port_read(0x60C, 2) == 0xFF00); // the byte past it reads as ones
        RunResult r = reset_through_cf9(m, false);
        REQUIRE(r.kind == RunResult::Kind::Shutdown);
        CHECK(r.exit_code == machine::emergency_reset_status);
    }
}

namespace {

struct RecordingTimer final : TimerClient {
    u64 fired_at = 0;
    void timer_expired(u32, u64 now_ns) override { fired_at = now_ns; }
};

} // namespace

// Engine::before_device_access: a guest polling a device in a loop that never returns to the
// dispatcher (Linux's PIT and PM-timer TSC calibration) must see the device's time move as
// its TSC does, so every port and MMIO access first brings the virtual clock up to the
// host's time, firing the timers due by then. (Only lower bounds on time: no flakiness.)
TEST_CASE("engine: a port or MMIO access brings the virtual clock up to the host's time first", "[machine][acpi]")
{
    GuestMachine m;
    TimerQueue& clock = m.engine().clock();
    RecordingTimer timer;
    u64 start = clock.now_ns();
    clock.arm(&timer, 0, start + 1000000);
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    CHECK(clock.now_ns() == start); // nothing advanced it yet
    m.engine().port_read(0x608, 4); // through ArchServices, as the guest's IN
    CHECK(clock.now_ns() >= start + 3000000);
    CHECK(timer.fired_at == start + 1000000);

    u64 before_mmio = clock.now_ns();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    m.engine().memory().read(0xFEE00030, 4); // the local APIC's version register
    CHECK(clock.now_ns() >= before_mmio + 2000000);
}
