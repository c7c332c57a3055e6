// load_elf_executable() on ELF64 images built in memory: a valid two-segment executable
// (file bytes copied to p_paddr, .bss zeroed), and every rejection with the message that
// names the file and the problem (docs/test-guest-entry-state.md: "a one-line error
// naming the file and the problem"). Then one image run end to end through machine::Machine.
#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>
#include "dbt/loader/elf.h"
#include "dbt/loader/elf_loader.h"
#include "guest_machine.h"

using namespace keel;

namespace {

// An ELF64 image: header, program headers right after it, then segment contents.
struct ElfImage {
    elf::Header header {};
    std::vector<elf::ProgramHeader> phdrs;
    std::vector<std::vector<u8>> contents; // file bytes of each program header's segment

    ElfImage()
    {
        std::memcpy(header.ident, elf::magic, 4);
        header.ident[4] = elf::class64;
        header.ident[5] = elf::data_little_endian;
        header.ident[6] = 1; // EV_CURRENT
        header.type = elf::type_exec;
        header.machine = elf::machine_x86_64;
        header.version = 1;
        header.entry = 0x100000;
        header.phoff = sizeof(elf::Header);
        header.ehsize = sizeof(elf::Header);
        header.phentsize = sizeof(elf::ProgramHeader);
    }
    void add_segment(u32 type, u64 paddr, std::vector<u8> bytes, u64 memsz)
    {
        elf::ProgramHeader ph {};
        ph.type = type;
        ph.flags = 5;
        ph.vaddr = ph.paddr = paddr;
        ph.filesz = bytes.size();
        ph.memsz = memsz;
        ph.align = 0x1000;
        phdrs.push_back(ph);
        contents.push_back(std::move(bytes));
    }
    std::vector<u8> build()
    {
        header.phnum = static_cast<u16>(phdrs.size());
        u64 offset = sizeof(elf::Header) + phdrs.size() * sizeof(elf::ProgramHeader);
        for (size_t i = 0; i < phdrs.size(); ++i) {
            phdrs[i].offset = offset;
            offset += contents[i].size();
        }
        std::vector<u8> out(sizeof(elf::Header));
        std::memcpy(out.data(), &header, sizeof(header));
        for (const auto& ph : phdrs) {
            const u8* p = reinterpret_cast<const u8*>(&ph);
            out.insert(out.end(), p, p + sizeof(ph));
        }
        for (const auto& c : contents)
            out.insert(out.end(), c.begin(), c.end());
        return out;
    }
};

ElfImage two_segments()
{
    ElfImage img;
    img.add_segment(elf::pt_load, 0x100000, { 0x90, 0x90, 0xF4 }, 3);
    img.add_segment(elf::pt_load, 0x200000, { 1, 2, 3, 4, 5, 6, 7, 8 }, 0x2000); // 8 data bytes + .bss
    return img;
}

struct Ram {
    std::vector<u8> bytes = std::vector<u8>(4 * MiB, 0xAA); // not zero: .bss must be cleared
    PhysicalMemory memory;
    Ram() { REQUIRE_FALSE(memory.add_ram(0, bytes.size(), bytes.data(), "ram").is_error()); }
};

std::string load_error(const std::vector<u8>& image, u64 limit = 4 * MiB)
{
    Ram ram;
    auto r = load_elf_executable(image.data(), image.size(), "guest.elf", ram.memory, limit);
    return r.is_error() ? std::string(r.error().message()) : std::string("(loaded)");
}

} // namespace

TEST_CASE("loader: a valid ELF64 executable with two PT_LOAD segments", "[loader]")
{
    Ram ram;
    ElfImage img = two_segments();
    img.add_segment(4 /* PT_NOTE */, 0x300000, { 9, 9, 9 }, 3); // not loaded
    img.add_segment(elf::pt_load, 0x380000, {}, 0);             // empty: skipped
    img.header.entry = 0x100001;
    std::vector<u8> bytes = img.build();
    auto r = load_elf_executable(bytes.data(), bytes.size(), "guest.elf", ram.memory, 4 * MiB);
    REQUIRE_FALSE(r.is_error());
    LoadedImage li = r.release_value();
    CHECK(li.entry == 0x100001);
    CHECK(li.lowest == 0x100000);
    CHECK(li.highest == 0x202000);
    CHECK(ram.bytes[0x100000] == 0x90);
    CHECK(ram.bytes[0x100002] == 0xF4);
    CHECK(ram.bytes[0x100003] == 0xAA); // past the segment: untouched
    CHECK(ram.bytes[0x200000] == 1);
    CHECK(ram.bytes[0x200007] == 8);
    bool bss_zero = true;
    for (u64 a = 0x200008; a < 0x202000; ++a)
        bss_zero &= ram.bytes[a] == 0;
    CHECK(bss_zero);
    CHECK(ram.bytes[0x202000] == 0xAA);
    CHECK(ram.bytes[0x300000] == 0xAA); // PT_NOTE not loaded
}

TEST_CASE("loader: a later segment's .bss clears what an earlier one wrote", "[loader]")
{
    ElfImage img;
    img.add_segment(elf::pt_load, 0x100000, std::vector<u8>(0x100, 0x11), 0x100);
    img.add_segment(elf::pt_load, 0x100080, { 0x22 }, 0x100);
    std::vector<u8> bytes = img.build();
    Ram ram;
    REQUIRE_FALSE(load_elf_executable(bytes.data(), bytes.size(), "g", ram.memory, 4 * MiB).is_error());
    CHECK(ram.bytes[0x10007F] == 0x11);
    CHECK(ram.bytes[0x100080] == 0x22);
    CHECK(ram.bytes[0x100081] == 0);
    CHECK(ram.bytes[0x1000FF] == 0);
}

TEST_CASE("loader: each malformed image is rejected with a message naming the file and the problem", "[loader]")
{
    SECTION("not ELF")
    {
        std::vector<u8> bytes = two_segments().build();
        bytes[1] = 'X';
        CHECK(load_error(bytes) == "guest.elf: not an ELF file");
        CHECK(load_error(std::vector<u8>(10, 0x7F)) == "guest.elf: not an ELF file"); // shorter than a header
        CHECK(load_error({}) == "guest.elf: not an ELF file");
    }
    SECTION("32-bit")
    {
        ElfImage img = two_segments();
        img.header.ident[4] = 1; // ELFCLASS32
        CHECK(load_error(img.build()) == "guest.elf: not a 64-bit ELF file (ELF class 1)");
    }
    SECTION("big-endian")
    {
        ElfImage img = two_segments();
        img.header.ident[5] = 2; // ELFDATA2MSB
        CHECK(load_error(img.build()) == "guest.elf: not a little-endian ELF file");
    }
    SECTION("wrong machine")
    {
        ElfImage img = two_segments();
        img.header.machine = 183; // EM_AARCH64
        CHECK(load_error(img.build()) == "guest.elf: ELF machine 183 is not x86-64");
    }
    SECTION("position-independent (ET_DYN) gets the -no-pie hint; a relocatable object does not")
    {
        ElfImage img = two_segments();
        img.header.type = elf::type_dyn;
        CHECK(load_error(img.build()) == "guest.elf: ELF type 3 is not an executable (ET_EXEC); link it with -no-pie");
        img.header.type = 1; // ET_REL
        CHECK(load_error(img.build()) == "guest.elf: ELF type 1 is not an executable (ET_EXEC)");
    }
    SECTION("program headers missing or truncated")
    {
        ElfImage img = two_segments();
        std::vector<u8> bytes = img.build();
        bytes.resize(sizeof(elf::Header) + sizeof(elf::ProgramHeader) + 10); // second header cut
        CHECK(load_error(bytes) == "guest.elf: program headers are missing or truncated");
        ElfImage none;
        CHECK(load_error(none.build()) == "guest.elf: program headers are missing or truncated"); // phnum 0
        ElfImage far = two_segments();
        far.header.phoff = 1ull << 62;
        CHECK(load_error(far.build()) == "guest.elf: program headers are missing or truncated");
        ElfImage size = two_segments();
        size.header.phentsize = 32;
        CHECK(load_error(size.build()) == "guest.elf: program headers are missing or truncated");
    }
    SECTION("a segment outside the file")
    {
        ElfImage img = two_segments();
        std::vector<u8> bytes = img.build();
        elf::ProgramHeader ph;
        u64 at = sizeof(elf::Header) + sizeof(elf::ProgramHeader);
        std::memcpy(&ph, bytes.data() + at, sizeof(ph));
        ph.filesz = 0x10000; // runs past the end of the file
        ph.memsz = 0x10000;
        std::memcpy(bytes.data() + at, &ph, sizeof(ph));
        CHECK(load_error(bytes) == "guest.elf: segment 1 lies outside the file");
        ph.offset = ~0ull - 4; // offset + filesz would wrap around
        ph.filesz = 8;
        std::memcpy(bytes.data() + at, &ph, sizeof(ph));
        CHECK(load_error(bytes) == "guest.elf: segment 1 lies outside the file");
        ElfImage bigger = two_segments();
        bigger.phdrs[0].memsz = 2; // filesz 3 > memsz 2
        CHECK(load_error(bigger.build()) == "guest.elf: segment 0 lies outside the file");
    }
    SECTION("a segment beyond the RAM limit")
    {
        ElfImage img = two_segments();
        CHECK(load_error(img.build(), 0x201000) == "guest.elf: segment 1 at 0x200000+0x2000 does not fit in guest RAM below 0x201000");
        ElfImage wrap = two_segments();
        wrap.phdrs[1].paddr = ~0ull - 0xFF; // paddr + memsz wraps
        CHECK(load_error(wrap.build(), ~0ull).find("guest.elf: segment 1 at 0xffffffffffffff00+0x2000 does not fit") == 0);
        // Below the limit but not RAM: the copy's own error, with the segment named.
        ElfImage hole = two_segments();
        hole.phdrs[1].paddr = 0x500000;
        CHECK(load_error(hole.build(), 8 * MiB) == "guest.elf: segment 1: guest-physical 0x500000 is not RAM or ROM");
    }
    SECTION("no PT_LOAD segment")
    {
        ElfImage img;
        img.add_segment(4, 0x100000, { 1 }, 1);
        img.add_segment(elf::pt_load, 0x100000, {}, 0); // empty loads do not count
        CHECK(load_error(img.build()) == "guest.elf: no loadable (PT_LOAD) segment");
    }
}

TEST_CASE("loader: Machine::load_elf sets up the test-guest entry state and the image runs", "[loader]")
{
    unit::GuestMachine m;
    ElfImage img;
    // mov eax, [0x200000] / hlt: reads the data segment.
    img.add_segment(elf::pt_load, 0x100000, { 0x8B, 0x04, 0x25, 0x00, 0x00, 0x20, 0x00, 0xF4 }, 8);
    img.add_segment(elf::pt_load, 0x200000, { 0x78, 0x56, 0x34, 0x12 }, 0x1000);
    std::vector<u8> bytes = img.build();
    auto loaded = m.pc().load_elf(bytes.data(), bytes.size(), "run.elf");
    REQUIRE_FALSE(loaded.is_error());
    u64 limit = x86::test_entry_area(m.engine().ram_below_4g());
    CHECK(m.ctx().hot.pc == 0x100000);
    CHECK(m.gpr(x86::RSP) == limit); // docs/test-guest-entry-state.md: RSP = the reserved area
    CHECK(m.cpu().cr0 == 0x80010033);
    CHECK(m.cpu().efer == 0xD00);
    m.require_halted(m.run_to_halt());
    CHECK(m.gpr(x86::RAX) == 0x12345678);
    // An image reaching into the reserved area is refused.
    ElfImage top;
    top.add_segment(elf::pt_load, limit - 4, { 1, 2, 3, 4, 5, 6, 7, 8 }, 8);
    std::vector<u8> top_bytes = top.build();
    auto refused = m.pc().load_elf(top_bytes.data(), top_bytes.size(), "top.elf");
    REQUIRE(refused.is_error());
    CHECK(std::string(refused.error().message()).find("top.elf: segment 0 at") == 0);
    // A file that does not exist: the OS error, with the path.
    auto missing = m.pc().load_elf_file("/nonexistent/keel-unit.elf");
    REQUIRE(missing.is_error());
    CHECK(std::string(missing.error().message()) == "/nonexistent/keel-unit.elf: No such file or directory");
}
