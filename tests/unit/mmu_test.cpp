// The guest-physical address space (PhysicalMemory): RAM, ROM and MMIO regions, overlap
// checks, unassigned addresses (reads all ones, writes dropped, as on a PC bus), accesses
// that straddle region ends, and the byte-range copies loaders use. The x86 page walk
// and the soft TLB are in mmu_walk_test.cpp (same ctest, unit.mmu).
#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>
#include "dbt/mmu/physical_memory.h"

using namespace keel;

namespace {

// Records every MMIO access; reads return a pattern made of the offset and size.
class RecordingDevice final : public MmioHandler {
public:
    struct Access {
        bool write;
        u64 offset;
        u64 value;
        unsigned size;
    };
    u64 mmio_read(u64 offset, unsigned size) override
    {
        log.push_back({ false, offset, 0, size });
        return 0xA0 + offset + (u64(size) << 56);
    }
    void mmio_write(u64 offset, u64 value, unsigned size) override { log.push_back({ true, offset, value, size }); }
    std::vector<Access> log;
};

} // namespace

TEST_CASE("PhysicalMemory: regions are sorted, found, and never overlap", "[mmu]")
{
    PhysicalMemory mem;
    static u8 ram[0x2000], rom[0x1000];
    RecordingDevice dev;
    REQUIRE_FALSE(mem.add_ram(0x10000, sizeof(ram), ram, "ram").is_error());
    REQUIRE_FALSE(mem.add_mmio(0x1000, 0x100, &dev, "uart").is_error());
    REQUIRE_FALSE(mem.add_rom(0xF0000, sizeof(rom), rom, "bios").is_error());
    REQUIRE(mem.regions().size() == 3);
    CHECK(mem.regions()[0].base == 0x1000);
    CHECK(mem.regions()[1].base == 0x10000);
    CHECK(mem.regions()[2].base == 0xF0000);
    CHECK(mem.find(0x10000) == &mem.regions()[1]);
    CHECK(mem.find(0x11FFF) == &mem.regions()[1]);
    CHECK(mem.find(0x12000) == nullptr);
    CHECK(mem.find(0x10FF) == &mem.regions()[0]);
    CHECK(mem.find(0x1100) == nullptr);
    CHECK(mem.find(0) == nullptr);

    auto overlap = mem.add_ram(0x11000, 0x2000, ram, "second");
    REQUIRE(overlap.is_error());
    CHECK(std::string(overlap.error().message()) == "memory region second at 0x11000 overlaps ram");
    auto below = mem.add_mmio(0xFFF0, 0x20, &dev, "edge"); // ends inside "ram"
    REQUIRE(below.is_error());
    CHECK(std::string(below.error().message()) == "memory region edge at 0xfff0 overlaps ram");
    auto empty = mem.add_ram(0x50000, 0, ram, "empty");
    REQUIRE(empty.is_error());
    CHECK(std::string(empty.error().message()).find("memory region empty: bad range") == 0);
    auto wraps = mem.add_ram(~0ull - 0xFFF, 0x2000, ram, "wraps");
    CHECK(wraps.is_error());
    // Touching, not overlapping: fine.
    CHECK_FALSE(mem.add_ram(0x12000, 0x1000, ram, "adjacent").is_error());
    CHECK(mem.regions().size() == 4);
}

TEST_CASE("PhysicalMemory: unassigned addresses read all ones and ignore writes", "[mmu]")
{
    PhysicalMemory mem;
    static u8 ram[0x1000];
    REQUIRE_FALSE(mem.add_ram(0x1000, sizeof(ram), ram, "ram").is_error());
    CHECK(mem.read(0x5000, 1) == 0xFF);
    CHECK(mem.read(0x5000, 2) == 0xFFFF);
    CHECK(mem.read(0x5000, 4) == 0xFFFFFFFF);
    CHECK(mem.read(0x5000, 8) == ~0ull);
    mem.write(0x5000, 0x1234, 4); // dropped, and nothing else changes
    CHECK(mem.read(0x5000, 4) == 0xFFFFFFFF);
    CHECK(mem.host_pointer(0x5000, 1, false) == nullptr);

    // Straddling the end of RAM: the RAM bytes, then 0xFF for the unassigned ones.
    ram[0xFFE] = 0x11;
    ram[0xFFF] = 0x22;
    CHECK(mem.read(0x1FFE, 4) == 0xFFFF2211);
    mem.write(0x1FFF, 0xAABB, 2); // the RAM byte is written, the other dropped
    CHECK(ram[0xFFF] == 0xBB);
    CHECK(mem.read(0x1FFE, 2) == 0xBB11);
}

TEST_CASE("PhysicalMemory: RAM is little-endian, ROM is not writable", "[mmu]")
{
    PhysicalMemory mem;
    static u8 ram[0x1000], rom[0x1000];
    REQUIRE_FALSE(mem.add_ram(0, sizeof(ram), ram, "ram").is_error());
    REQUIRE_FALSE(mem.add_rom(0x1000, sizeof(rom), rom, "rom").is_error());
    mem.write(0x10, 0x0807060504030201ull, 8);
    CHECK(ram[0x10] == 0x01);
    CHECK(ram[0x17] == 0x08);
    CHECK(mem.read(0x12, 2) == 0x0403);
    CHECK(mem.read(0x10, 1) == 0x01);

    rom[0] = 0x5A;
    CHECK(mem.read(0x1000, 1) == 0x5A);
    mem.write(0x1000, 0xFF, 1);
    CHECK(rom[0] == 0x5A);
    CHECK(mem.read(0x1000, 1) == 0x5A);
    CHECK(mem.host_pointer(0x1000, 4, false) == rom);
    CHECK(mem.host_pointer(0x1000, 4, true) == nullptr); // no direct writes to ROM
    CHECK(mem.host_pointer(0x10, 8, true) == ram + 0x10);
    CHECK(mem.host_pointer(0xFFC, 8, false) == nullptr); // crosses from RAM into ROM
    // Loaders may fill ROM (write_bytes is the "flash programmer"), byte ranges may cross regions.
    u8 bytes[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    REQUIRE_FALSE(mem.write_bytes(0xFFC, bytes, 8).is_error());
    CHECK(ram[0xFFF] == 4);
    CHECK(rom[0] == 5);
    u8 back[8] = {};
    REQUIRE_FALSE(mem.read_bytes(0xFFC, back, 8).is_error());
    CHECK(std::vector<u8>(back, back + 8) == std::vector<u8>(bytes, bytes + 8));
    auto outside = mem.write_bytes(0x1FFE, bytes, 4);
    REQUIRE(outside.is_error());
    CHECK(std::string(outside.error().message()) == "guest-physical 0x2000 is not RAM or ROM");
}

TEST_CASE("PhysicalMemory: MMIO reaches the device with the access's offset and size", "[mmu]")
{
    PhysicalMemory mem;
    RecordingDevice dev;
    static u8 ram[0x1000];
    REQUIRE_FALSE(mem.add_mmio(0xFEE00000, 0x1000, &dev, "apic").is_error());
    REQUIRE_FALSE(mem.add_ram(0xFEE01000, sizeof(ram), ram, "after").is_error());
    for (unsigned size : { 1u, 2u, 4u, 8u }) {
        dev.log.clear();
        u64 v = mem.read(0xFEE00020, size);
        REQUIRE(dev.log.size() == 1);
        CHECK_FALSE(dev.log[0].write);
        CHECK(dev.log[0].offset == 0x20);
        CHECK(dev.log[0].size == size);
        // The device's value cut to the access's size and zero-extended (the device puts
        // the size in bits 63..56, which only an 8-byte read keeps).
        u64 device_value = 0xA0 + 0x20 + (u64(size) << 56);
        CHECK(v == (size == 8 ? device_value : device_value & ((1ull << (8 * size)) - 1)));
        mem.write(0xFEE00030, 0x1122334455667788ull, size);
        REQUIRE(dev.log.size() == 2);
        CHECK(dev.log[1].write);
        CHECK(dev.log[1].offset == 0x30);
        CHECK(dev.log[1].size == size);
        CHECK(dev.log[1].value == 0x1122334455667788ull);
    }
    // An access straddling MMIO and RAM is split into bytes.
    dev.log.clear();
    ram[0] = 0x77;
    u64 v = mem.read(0xFEE00FFF, 2);
    REQUIRE(dev.log.size() == 1);
    CHECK(dev.log[0].offset == 0xFFF);
    CHECK(dev.log[0].size == 1);
    CHECK(v == (0x77ull << 8 | ((0xA0 + 0xFFF + (1ull << 56)) & 0xFF)));
    CHECK(mem.host_pointer(0xFEE00000, 4, false) == nullptr);
    u8 byte = 0;
    auto r = mem.read_bytes(0xFEE00000, &byte, 1);
    REQUIRE(r.is_error());
    CHECK(std::string(r.error().message()) == "guest-physical 0xfee00000 is not RAM or ROM");
}

namespace {
// Says every page holds code and records what was invalidated.
class RecordingCodePages final : public CodePageTracker {
public:
    bool page_has_code(u64) override { return true; }
    bool code_written(u64 paddr, u64 size) override
    {
        written.push_back({ paddr, size });
        return false;
    }
    std::vector<std::pair<u64, u64>> written;
};
} // namespace

// The local APIC's IA32_APIC_BASE relocation (SDM vol. 3A §10.4.5) moves a device's window
// anywhere, over RAM too: there the window answers and hides the RAM until it moves on.
TEST_CASE("PhysicalMemory: a moved MMIO window lies over RAM and hides it until it moves on", "[mmu]")
{
    PhysicalMemory mem;
    static u8 ram[0x4000];
    for (usize i = 0; i < sizeof(ram); ++i)
        ram[i] = static_cast<u8>(i * 7 + 1);
    RecordingDevice dev, other;
    RecordingCodePages code;
    REQUIRE_FALSE(mem.add_ram(0x10000, sizeof(ram), ram, "ram").is_error());
    REQUIRE_FALSE(mem.add_mmio(0xFEE00000, 0x1000, &dev, "lapic").is_error());
    REQUIRE_FALSE(mem.add_mmio(0xFEC00000, 0x1000, &other, "ioapic").is_error());
    mem.set_code_pages(&code);

    REQUIRE_FALSE(mem.move_mmio(&dev, 0xFEE00000, 0x11000).is_error());
    CHECK(code.written == std::vector<std::pair<u64, u64>> { { 0x11000, 0x1000 } }); // code it hides is stale
    CHECK(mem.find(0xFEE00000) == nullptr); // the old place is unassigned
    CHECK(mem.read(0xFEE00030, 4) == 0xFFFFFFFF);
    REQUIRE(mem.find(0x11030) != nullptr);
    CHECK(mem.find(0x11030)->mmio == &dev);
    CHECK(mem.read(0x11030, 4) == 0xD0); // RecordingDevice's pattern for offset 0x30
    mem.write(0x11080, 0x20, 4);
    REQUIRE(dev.log.size() == 2);
    CHECK((dev.log[1].write && dev.log[1].offset == 0x80 && dev.log[1].value == 0x20));
    CHECK(ram[0x1080] == static_cast<u8>(0x1080 * 7 + 1)); // the RAM under it is untouched
    // RAM around the window is still RAM, but no host pointer or copy reaches into it.
    CHECK(mem.host_pointer(0x10000, 0x1000, true) == ram);
    CHECK(mem.host_pointer(0x10F00, 0x200, false) == nullptr);
    CHECK(mem.host_pointer(0x12000, 0x10, false) == ram + 0x2000);
    CHECK(mem.read(0x10FFE, 4) == (u64(ram[0xFFE]) | u64(ram[0xFFF]) << 8 | 0xA0ull << 16 | 0xA1ull << 24)); // 2 RAM bytes, 2 window bytes
    u8 buffer[0x20];
    auto across = mem.read_bytes(0x10FF0, buffer, sizeof(buffer));
    REQUIRE(across.is_error());
    CHECK(std::string(across.error().message()) == "guest-physical 0x11000 is not RAM or ROM");
    CHECK(mem.write_bytes(0x10FF0, buffer, sizeof(buffer)).is_error());

    // Moved on: the RAM shows again; the window answers at its new place.
    REQUIRE_FALSE(mem.move_mmio(&dev, 0x11000, 0xFED40000).is_error());
    CHECK(mem.read(0x11030, 1) == static_cast<u8>(0x1030 * 7 + 1));
    CHECK(mem.host_pointer(0x10F00, 0x200, false) == ram + 0xF00);
    CHECK(mem.find(0xFED40010)->mmio == &dev);
    // Over another device's window: the moved one answers.
    REQUIRE_FALSE(mem.move_mmio(&dev, 0xFED40000, 0xFEC00000).is_error());
    usize before = other.log.size();
    mem.read(0xFEC00010, 4);
    CHECK(other.log.size() == before);
    REQUIRE_FALSE(mem.move_mmio(&dev, 0xFEC00000, 0xFEE00000).is_error());
    mem.read(0xFEC00010, 4);
    CHECK(other.log.size() == before + 1);

    auto misaligned = mem.move_mmio(&dev, 0xFEE00000, 0xFEE00800);
    REQUIRE(misaligned.is_error());
    CHECK(std::string(misaligned.error().message()) == "memory region lapic: cannot move to 0xfee00800 (page-aligned whole pages only)");
    auto not_there = mem.move_mmio(&dev, 0xFED40000, 0x20000);
    REQUIRE(not_there.is_error());
    CHECK(std::string(not_there.error().message()) == "no MMIO window at 0xfed40000 to move");
    auto not_its = mem.move_mmio(&other, 0xFEE00000, 0x20000);
    CHECK(not_its.is_error());
    CHECK(mem.find(0xFEE00000)->mmio == &dev);
}
