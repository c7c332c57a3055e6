// The PC's RAM layout around the PCI hole (docs/machines.md#memory-map): with 3.5 GiB of
// RAM or more, RAM below 4 GiB ends at 3 GiB and the rest is mapped from 4 GiB, so the
// IOAPIC and LAPIC never overlap it (-m 4076M and more were refused before, the LAPIC
// overlapping RAM). ctest unit.machine.
#include <string>
#include "dbt/engine/memory_tree.h"
#include "guest_machine.h"

using namespace keel;
using namespace keel::unit;

namespace {

struct Piece {
    u64 base, size;
    std::string name;
};

std::vector<Piece> ram_pieces(Engine& engine)
{
    std::vector<Piece> pieces;
    for (const MemoryRegion& r : engine.memory().regions())
        if (r.kind == RegionKind::Ram)
            pieces.push_back({ r.base, r.size, r.name });
    return pieces;
}

u8 cmos(Engine& engine, u8 index)
{
    engine.port_write(0x70, index, 1);
    return static_cast<u8>(engine.port_read(0x71, 1));
}

} // namespace

TEST_CASE("memory map: RAM that fits below the PCI hole stays in one piece past the legacy window", "[machine][memory]")
{
    GuestMachine m(0xDFF00000); // just below 3.5 GiB
    auto pieces = ram_pieces(m.engine());
    REQUIRE(pieces.size() == 2);
    CHECK((pieces[0].base == 0 && pieces[0].size == 0xA0000));
    CHECK((pieces[1].base == 0x100000 && pieces[1].size == 0xDFF00000 - 0x100000));
    CHECK(m.engine().ram_below_4g() == 0xDFF00000);
}

TEST_CASE("memory map: 4 GiB and more split around the PCI hole, the rest at 4 GiB", "[machine][memory]")
{
    for (u64 size : { u64 { 0xE0000000 }, 4076 * MiB, 4 * GiB, 5 * GiB }) {
        INFO("-m " << size / MiB << "M");
        GuestMachine m(size);
        Engine& engine = m.engine();
        auto pieces = ram_pieces(engine);
        REQUIRE(pieces.size() == 3);
        CHECK((pieces[0].base == 0 && pieces[0].size == 0xA0000));
        CHECK((pieces[1].base == 0x100000 && pieces[1].base + pieces[1].size == 0xC0000000));
        CHECK(pieces[2].base == 4 * GiB);
        CHECK(pieces[2].size == size - 0xC0000000);
        CHECK(pieces[2].name == "ram-high");
        CHECK(engine.ram_size() == size);
        CHECK(engine.ram_below_4g() == 0xC0000000);
        if (size == 5 * GiB) { // what info mtree shows
            StringBuilder tree;
            describe_memory_tree(engine.memory(), engine.io(), tree);
            std::string text = tree.c_str();
            CHECK(text.find("    0000000000100000-00000000bfffffff (prio 0, ram): ram\n"
                            "    00000000fec00000-00000000fec00fff (prio 0, i/o): ioapic\n"
                            "    00000000fee00000-00000000fee00fff (prio 0, i/o): lapic\n"
                            "    0000000100000000-000000017fffffff (prio 0, ram): ram-high\n")
                != std::string::npos);
        }

        // The hole is not RAM: the LAPIC answers at 0xFEE00000 (its version register), and
        // an address no device claims reads all ones.
        const MemoryRegion* lapic = engine.memory().find(0xFEE00000);
        REQUIRE(lapic);
        CHECK(lapic->kind == RegionKind::Mmio);
        CHECK((engine.memory().read(0xFEE00030, 4) & 0xFF) == 0x14);
        CHECK(engine.memory().read(0xC0000000, 4) == 0xFFFFFFFF);

        // The CMOS reports the same split (SeaBIOS reads it): 0x34/0x35 RAM between 16 MiB
        // and the hole in 64 KiB units, 0x5B-0x5D RAM above 4 GiB in 64 KiB units.
        u64 below_hole = cmos(engine, 0x34) | cmos(engine, 0x35) << 8;
        CHECK(below_hole == (0xC0000000 - 16 * MiB) / (64 * KiB));
        u64 above_4g = cmos(engine, 0x5B) | cmos(engine, 0x5C) << 8 | cmos(engine, 0x5D) << 16;
        CHECK(above_4g == (size - 0xC0000000) / (64 * KiB));
    }
}

TEST_CASE("memory map: a guest reaches RAM above 4 GiB, and the test entry tables sit below the hole", "[machine][memory]")
{
    GuestMachine m(5 * GiB);
    u64 area = x86::test_entry_area(m.engine().ram_below_4g());
    CHECK(area < 0xC0000000);
    u64 pdpt = area + 0x2000; // docs/test-guest-entry-state.md: PML4, then the PDPT
    // mov rax, &pdpt[4] / mov rbx, 4 GiB | PS | RW | P (a 1 GiB page) / mov [rax], rbx /
    // mov rcx, cr3 / mov cr3, rcx / mov rdx, 4 GiB + 0x1234 / mov dword [rdx], 0x600df00d /
    // mov esi, [rdx] / hlt
    auto code = concat({ enc::mov_r64_imm(0, pdpt + 4 * 8), enc::mov_r64_imm(3, 4 * GiB | 0x83), { 0x48, 0x89, 0x18 },
        { 0x0F, 0x20, 0xD9, 0x0F, 0x22, 0xD9 }, enc::mov_r64_imm(2, 4 * GiB + 0x1234),
        { 0xC7, 0x02, 0x0D, 0xF0, 0x0D, 0x60, 0x8B, 0x32 }, enc::hlt() });
    m.load(0x10000, code);
    m.require_halted(m.run_to_halt());
    CHECK(m.gpr(x86::RSI) == 0x600DF00D);
    CHECK(m.read(4 * GiB + 0x1234, 4) == 0x600DF00D);
    CHECK(m.read(0x1234, 4) != 0x600DF00D);        // nor in low RAM
    CHECK(m.read(0xC0001234, 4) == 0xFFFFFFFF); // nor in the hole
}

TEST_CASE("memory map: -bios maps the image below 4 GiB and its tail below 1 MiB through PAM segments", "[machine][memory]")
{
    // 128 KiB of image: byte i is i / 4096 (so each 4 KiB page names itself), the reset
    // vector's page last.
    std::vector<u8> image(128 * KiB);
    for (usize i = 0; i < image.size(); ++i)
        image[i] = static_cast<u8>(i / 4096);
    GuestMachine m(16 * MiB, 16 * MiB, false, &image);
    PhysicalMemory& memory = m.engine().memory();
    CHECK(memory.read(0xFFFE0000, 1) == 0);
    CHECK(memory.read(0xFFFFFFF0, 1) == 31);
    CHECK(memory.read(0xE0000, 1) == 0);  // the image's last 128 KiB end at 1 MiB
    CHECK(memory.read(0xFF000, 1) == 31);
    CHECK(memory.read(0xC0000, 1) == 0xFF); // the bus: nothing below the image
    // At reset every segment reads the bus and ignores writes.
    memory.write(0xF0000, 0xAA, 1);
    CHECK(memory.read(0xF0000, 1) == 16);
    // PAM0 = 0x30: 0xF0000-0xFFFFF read and written in DRAM, which starts out zero; a
    // firmware copies itself there from the 4 GiB alias, as SeaBIOS does.
    m.pc().machine().set_memory_shadow(0xF0000, 64 * KiB, true, true);
    CHECK(memory.read(0xF0000, 1) == 0);
    memory.write(0xF0000, 0xAA, 1);
    CHECK(memory.read(0xF0000, 1) == 0xAA);
    CHECK(memory.read(0xFFFF0000, 1) == 16); // the flash is unchanged
    // Read-only DRAM (SeaBIOS's make_bios_readonly): what was written stays, writes drop.
    m.pc().machine().set_memory_shadow(0xF0000, 64 * KiB, true, false);
    memory.write(0xF0000, 0x55, 1);
    CHECK(memory.read(0xF0000, 1) == 0xAA);
    // Back to the bus: the image again.
    m.pc().machine().set_memory_shadow(0xF0000, 64 * KiB, false, false);
    CHECK(memory.read(0xF0000, 1) == 16);
    // Segment sizes other than the chipset's are not segments: nothing changes.
    m.pc().machine().set_memory_shadow(0xE0000, 64 * KiB, true, true);
    CHECK(memory.read(0xE0000, 1) == 0);
    memory.write(0xE0000, 0xAA, 1);
    CHECK(memory.read(0xE0000, 1) == 0);
}

TEST_CASE("memory map: without -bios, PAM writes leave keel's ACPI ROM alone", "[machine][memory]")
{
    GuestMachine m;
    u64 rsdp = m.pc().machine().acpi_rsdp();
    REQUIRE(rsdp != 0);
    u64 signature = m.engine().memory().read(rsdp, 8);
    m.pc().machine().set_memory_shadow(0xF0000, 64 * KiB, true, true);
    CHECK(m.engine().memory().read(rsdp, 8) == signature);
}
