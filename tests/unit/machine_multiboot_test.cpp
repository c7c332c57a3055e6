// The Multiboot loader (machine/multiboot, docs/multiboot.md): which images it takes,
// what it refuses, and the information structure it writes (Multiboot Specification
// 0.6.96 §3.1 and §3.3). The project's Multiboot kernel (tests/multiboot) runs the result.
#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>
#include "machine/multiboot/multiboot_loader.h"

namespace keel::unit {
namespace {

using namespace machine::multiboot;

void put32(std::vector<u8>& v, usize at, u32 value)
{
    if (v.size() < at + 4)
        v.resize(at + 4);
    for (unsigned i = 0; i < 4; ++i)
        v[at + i] = static_cast<u8>(value >> (8 * i));
}

// An a.out-kludge image (header flag 16): header at file offset 0x40, loaded at 1 MiB.
std::vector<u8> kludge_image(u32 flags = (1u << 16) | 3)
{
    std::vector<u8> v(0x200, 0x90);
    u32 header = 0x100040;
    put32(v, 0x40, header_magic);
    put32(v, 0x44, flags);
    put32(v, 0x48, static_cast<u32>(0u - header_magic - flags));
    put32(v, 0x4C, header);            // header_addr
    put32(v, 0x50, 0x100000);          // load_addr: the file's start
    put32(v, 0x54, 0x100200);          // load_end_addr
    put32(v, 0x58, 0x102000);          // bss_end_addr
    put32(v, 0x5C, 0x100100);          // entry_addr
    return v;
}

struct Ram {
    std::vector<u8> bytes = std::vector<u8>(8 * MiB, 0xAA); // not zero: bss must be cleared
    PhysicalMemory memory;
    Ram() { REQUIRE_FALSE(memory.add_ram(0, bytes.size(), bytes.data(), "ram").is_error()); }
    u32 u32_at(u64 a) const
    {
        u32 v;
        std::memcpy(&v, bytes.data() + a, 4);
        return v;
    }
    std::string string_at(u64 a) const { return std::string(reinterpret_cast<const char*>(bytes.data() + a)); }
};

} // namespace

TEST_CASE("multiboot: the header is found only with its checksum, in the first 8 KiB", "[multiboot]")
{
    std::vector<u8> image = kludge_image();
    CHECK(has_header(image.data(), image.size()));
    std::vector<u8> bad = image;
    bad[0x48] ^= 1; // checksum off by one
    CHECK_FALSE(has_header(bad.data(), bad.size()));
    std::vector<u8> late(9000, 0);
    put32(late, 8192, header_magic);
    put32(late, 8196, 0);
    put32(late, 8200, 0u - header_magic);
    CHECK_FALSE(has_header(late.data(), late.size()));
}

TEST_CASE("multiboot: an a.out-kludge image with a command line and a module", "[multiboot]")
{
    Ram ram;
    std::vector<u8> image = kludge_image();
    const char module_text[] = "module bytes";
    MultibootModule module_file { reinterpret_cast<const u8*>(module_text), sizeof(module_text) - 1, "mod.txt" };
    MultibootFiles files { image.data(), image.size(), "kernel.bin", &module_file, 1, "console=ttyS0 debug" };
    auto r = load_multiboot(ram.memory, ram.bytes.size(), files);
    REQUIRE_FALSE(r.is_error());
    MultibootLayout layout = r.value();
    CHECK(layout.entry == 0x100100);
    CHECK(layout.kernel_start == 0x100000);
    CHECK(layout.kernel_end == 0x102000);
    CHECK(ram.bytes[0x100000] == 0x90);
    CHECK(ram.bytes[0x101FFF] == 0); // bss cleared
    CHECK(layout.module_address == 0x102000); // page-aligned after the bss

    u32 flags = ram.u32_at(info_address);
    CHECK((flags & ((1u << 0) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9))) == ((1u << 0) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9)));
    CHECK(ram.u32_at(info_address + 4) == 640);                     // mem_lower: KiB below 640 KiB
    CHECK(ram.u32_at(info_address + 8) == (8 * MiB - MiB) / KiB);   // mem_upper: from 1 MiB
    CHECK(ram.string_at(ram.u32_at(info_address + 16)) == "kernel.bin console=ttyS0 debug");
    CHECK(ram.u32_at(info_address + 20) == 1);
    u32 module = ram.u32_at(info_address + 24);
    CHECK(ram.u32_at(module) == 0x102000);
    CHECK(ram.u32_at(module + 4) == 0x102000 + sizeof(module_text) - 1);
    CHECK(ram.string_at(ram.u32_at(module + 8)) == "mod.txt");
    CHECK(std::memcmp(ram.bytes.data() + 0x102000, module_text, sizeof(module_text) - 1) == 0);
    // The memory map: one entry of available RAM (type 1) covering all 8 MiB, size field 20.
    CHECK(ram.u32_at(info_address + 44) == 24);
    u32 mmap = ram.u32_at(info_address + 48);
    CHECK(ram.u32_at(mmap) == 20);
    CHECK(ram.u32_at(mmap + 4) == 0);
    CHECK(ram.u32_at(mmap + 12) == 8 * MiB);
    CHECK(ram.u32_at(mmap + 20) == 1);
    CHECK(ram.string_at(ram.u32_at(info_address + 64)) == "keel");
}

TEST_CASE("multiboot: what the loader refuses, naming the file", "[multiboot]")
{
    Ram ram;
    auto error = [&](const std::vector<u8>& image) {
        MultibootFiles files { image.data(), image.size(), "k.bin" };
        auto r = load_multiboot(ram.memory, ram.bytes.size(), files);
        return r.is_error() ? std::string(r.error().message()) : std::string("(loaded)");
    };
    CHECK(error(kludge_image((1u << 16) | (1u << 2)))
        == "k.bin: the multiboot header requires a video mode (flags 0x10004), which keel does not provide");
    CHECK(error(kludge_image(3)) == "k.bin: a multiboot image without address fields (header flag 16) must be an ELF executable");
    std::vector<u8> low = kludge_image();
    put32(low, 0x4C, 0x8040); // header_addr
    put32(low, 0x50, 0x8000); // load_addr below 1 MiB
    put32(low, 0x54, 0x8200);
    put32(low, 0x58, 0x8200);
    put32(low, 0x5C, 0x8100);
    CHECK(error(low) == "k.bin: a multiboot image part at 0x8000-0x8200 lies outside RAM from 1 MiB to 0x800000");
    std::vector<u8> elf64(0x200, 0);
    const u8 ident[] = { 0x7F, 'E', 'L', 'F', 2, 1, 1 };
    std::memcpy(elf64.data(), ident, sizeof(ident));
    put32(elf64, 0x40, header_magic);
    put32(elf64, 0x44, 3);
    put32(elf64, 0x48, 0u - header_magic - 3);
    CHECK(error(elf64) == "k.bin: a multiboot ELF must be a 32-bit little-endian i386 executable");
}


TEST_CASE("multiboot: several modules, each page-aligned after the one before, with their strings", "[multiboot]")
{
    // Multiboot 0.6.96 §3.3 (mods_count, mods_addr: 16-byte entries, mod_start, mod_end,
    // string); QEMU's -initrd "a args,b" passes each item whole as the string.
    Ram ram;
    std::vector<u8> image = kludge_image();
    std::vector<u8> first(5000, 0xAA), second(3, 0xBB);
    MultibootModule modules[] = { { first.data(), first.size(), "a.bin arg=1" }, { second.data(), second.size(), "b.bin" } };
    MultibootFiles files { image.data(), image.size(), "kernel.bin", modules, 2, "" };
    auto r = load_multiboot(ram.memory, ram.bytes.size(), files);
    REQUIRE_FALSE(r.is_error());
    CHECK(r.value().module_address == 0x102000);
    CHECK(ram.u32_at(info_address + 20) == 2);
    u32 list = ram.u32_at(info_address + 24);
    CHECK(ram.u32_at(list) == 0x102000);
    CHECK(ram.u32_at(list + 4) == 0x102000 + 5000);
    CHECK(ram.string_at(ram.u32_at(list + 8)) == "a.bin arg=1");
    CHECK(ram.u32_at(list + 16) == 0x104000); // the next page after the first module's end
    CHECK(ram.u32_at(list + 20) == 0x104003);
    CHECK(ram.string_at(ram.u32_at(list + 24)) == "b.bin");
    CHECK(ram.bytes[0x104000] == 0xBB);

    std::vector<MultibootModule> too_many(max_modules + 1, modules[1]);
    MultibootFiles crowded { image.data(), image.size(), "kernel.bin", too_many.data(), too_many.size(), "" };
    auto refused = load_multiboot(ram.memory, ram.bytes.size(), crowded);
    REQUIRE(refused.is_error());
    CHECK(std::string(refused.error().message()) == "kernel.bin: 33 modules, more than the 32 keel passes");
}

} // namespace keel::unit
