#include "machine/multiboot/multiboot_loader.h"
#include "dbt/base/string.h"
#include "machine/linux/linux_loader.h"

namespace keel::machine::multiboot {
namespace {

u32 le32(const u8* p) { return u32(p[0]) | u32(p[1]) << 8 | u32(p[2]) << 16 | u32(p[3]) << 24; }
u16 le16(const u8* p) { return static_cast<u16>(p[0] | p[1] << 8); }
void put32(u8* p, u32 v)
{
    for (unsigned i = 0; i < 4; ++i)
        p[i] = static_cast<u8>(v >> (8 * i));
}
void put64(u8* p, u64 v)
{
    put32(p, static_cast<u32>(v));
    put32(p + 4, static_cast<u32>(v >> 32));
}

constexpr u64 search_length = 8192; // the header lies in the first 8 KiB (§3.1.1)
constexpr u64 page = 4096;

// Header flags (§3.1.2): bits 0-15 are requirements the loader must meet or refuse.
constexpr u32 flag_page_align = 1u << 0; // modules page-aligned: keel always aligns them
constexpr u32 flag_memory_info = 1u << 1; // mem_* and mmap_* fields: keel always gives them
constexpr u32 flag_video_mode = 1u << 2;
constexpr u32 flag_address_fields = 1u << 16;

// Information structure flags (§3.3).
constexpr u32 info_memory = 1u << 0, info_cmdline = 1u << 2, info_modules = 1u << 3, info_mmap = 1u << 6,
              info_loader_name = 1u << 9;

// Layout in guest RAM (multiboot_loader.h).
constexpr u64 mmap_address = info_address + 0x100;
constexpr u64 modules_address = info_address + 0xE00;
constexpr u64 info_size = 0x100; // up to the VBE fields (unused)

i64 find_header(const u8* image, u64 size)
{
    u64 limit = size < search_length ? size : search_length;
    for (u64 at = 0; at + 12 <= limit; at += 4) {
        if (le32(image + at) == header_magic && u32(le32(image + at) + le32(image + at + 4) + le32(image + at + 8)) == 0)
            return static_cast<i64>(at);
    }
    return -1;
}

u64 align_up(u64 v, u64 a) { return (v + a - 1) & ~(a - 1); }

struct Placement {
    u64 start = ~0ull, end = 0, entry = 0;
};

Result<void> check_fits(const MultibootFiles& files, u64 address, u64 size, u64 ram_below_4g)
{
    if (address < MiB || address + size > ram_below_4g || address + size < address)
        return Error::formatted("%s: a multiboot image part at 0x%llx-0x%llx lies outside RAM from 1 MiB to 0x%llx", files.kernel_name,
            (unsigned long long)address, (unsigned long long)(address + size), (unsigned long long)ram_below_4g);
    return {};
}

// ELF32 (i386) executables: PT_LOAD segments at their physical addresses.
Result<Placement> load_elf32(PhysicalMemory& memory, u64 ram_below_4g, const MultibootFiles& files)
{
    const u8* f = files.kernel;
    u64 size = files.kernel_size;
    if (size < 52 || f[0] != 0x7F || f[1] != 'E' || f[2] != 'L' || f[3] != 'F')
        return Error::formatted("%s: a multiboot image without address fields (header flag 16) must be an ELF executable", files.kernel_name);
    if (f[4] != 1 || f[5] != 1 || le16(f + 18) != 3)
        return Error::formatted("%s: a multiboot ELF must be a 32-bit little-endian i386 executable", files.kernel_name);
    u32 entry = le32(f + 24), phoff = le32(f + 28);
    u16 phentsize = le16(f + 42), phnum = le16(f + 44);
    if (phentsize < 32 || phoff > size || u64(phnum) * phentsize > size - phoff)
        return Error::formatted("%s: its program headers lie outside the file", files.kernel_name);
    Placement p;
    bool entry_found = false;
    for (u16 i = 0; i < phnum; ++i) {
        const u8* ph = f + phoff + u64(i) * phentsize;
        if (le32(ph) != 1) // PT_LOAD
            continue;
        u64 offset = le32(ph + 4), vaddr = le32(ph + 8), paddr = le32(ph + 12), filesz = le32(ph + 16), memsz = le32(ph + 20);
        if (filesz > memsz || offset > size || filesz > size - offset)
            return Error::formatted("%s: segment %u lies outside the file", files.kernel_name, i);
        TRY(check_fits(files, paddr, memsz, ram_below_4g));
        TRY(memory.write_bytes(paddr, f + offset, filesz));
        for (u64 at = filesz; at < memsz;) {
            static const u8 zeros[page] = {};
            u64 n = memsz - at < page ? memsz - at : page;
            TRY(memory.write_bytes(paddr + at, zeros, n));
            at += n;
        }
        p.start = paddr < p.start ? paddr : p.start;
        p.end = paddr + memsz > p.end ? paddr + memsz : p.end;
        // The entry is a virtual address; run it where its segment was loaded.
        if (!entry_found && entry >= vaddr && entry < vaddr + memsz) {
            p.entry = entry - vaddr + paddr;
            entry_found = true;
        }
    }
    if (p.end == 0)
        return Error::formatted("%s: the multiboot ELF has no loadable segment", files.kernel_name);
    if (!entry_found)
        return Error::formatted("%s: the entry point 0x%x lies in no loadable segment", files.kernel_name, entry);
    return p;
}

// The a.out kludge (§3.1.3): the file from header_addr's offset, loaded at load_addr up to
// load_end_addr (0: the file's end), zero up to bss_end_addr (0: none).
Result<Placement> load_with_address_fields(PhysicalMemory& memory, u64 ram_below_4g, const MultibootFiles& files, u64 header_offset)
{
    const u8* h = files.kernel + header_offset;
    if (header_offset + 32 > files.kernel_size)
        return Error::formatted("%s: the multiboot header's address fields lie outside the file", files.kernel_name);
    u32 header_addr = le32(h + 12), load_addr = le32(h + 16), load_end_addr = le32(h + 20), bss_end_addr = le32(h + 24),
        entry_addr = le32(h + 28);
    if (load_addr > header_addr || header_addr - load_addr > header_offset)
        return Error::formatted("%s: the multiboot header's load_addr 0x%x does not precede its header_addr 0x%x within the file",
            files.kernel_name, load_addr, header_addr);
    u64 file_start = header_offset - (header_addr - load_addr);
    u64 length = load_end_addr ? u64(load_end_addr) - load_addr : files.kernel_size - file_start;
    if (load_end_addr && load_end_addr < load_addr)
        return Error::formatted("%s: the multiboot header's load_end_addr precedes its load_addr", files.kernel_name);
    if (length > files.kernel_size - file_start)
        return Error::formatted("%s: the multiboot header asks for 0x%llx bytes the file does not have", files.kernel_name,
            (unsigned long long)length);
    u64 end = bss_end_addr ? u64(bss_end_addr) : load_addr + length;
    if (end < load_addr + length)
        return Error::formatted("%s: the multiboot header's bss_end_addr precedes its load_end_addr", files.kernel_name);
    TRY(check_fits(files, load_addr, end - load_addr, ram_below_4g));
    TRY(memory.write_bytes(load_addr, files.kernel + file_start, length));
    for (u64 at = load_addr + length; at < end;) {
        static const u8 zeros[page] = {};
        u64 n = end - at < page ? end - at : page;
        TRY(memory.write_bytes(at, zeros, n));
        at += n;
    }
    if (entry_addr < load_addr || entry_addr >= end)
        return Error::formatted("%s: the multiboot entry 0x%x lies outside the loaded image", files.kernel_name, entry_addr);
    return Placement { load_addr, end, entry_addr };
}

} // namespace

bool has_header(const u8* image, u64 size) { return find_header(image, size) >= 0; }

Result<MultibootLayout> load_multiboot(PhysicalMemory& memory, u64 ram_below_4g, const MultibootFiles& files)
{
    i64 at = find_header(files.kernel, files.kernel_size);
    if (at < 0)
        return Error::formatted("%s: no multiboot header", files.kernel_name);
    u32 flags = le32(files.kernel + at + 4);
    u32 unknown = flags & 0xFFFF & ~(flag_page_align | flag_memory_info);
    if (unknown)
        return Error::formatted("%s: the multiboot header requires %s (flags 0x%x), which keel does not provide", files.kernel_name,
            (unknown & flag_video_mode) ? "a video mode" : "unknown features", flags);
    Placement p = (flags & flag_address_fields) ? TRY(load_with_address_fields(memory, ram_below_4g, files, static_cast<u64>(at)))
                                                : TRY(load_elf32(memory, ram_below_4g, files));

    MultibootLayout layout { p.entry, p.start, p.end, 0 };
    u8 info[info_size] = {};
    u32 info_flags = info_memory | info_cmdline | info_mmap | info_loader_name;

    // Strings: the command line as QEMU passes it (the kernel's file name, then -append),
    // the module's string (its file name), the loader's name.
    u64 strings = strings_address;
    auto add_string = [&](const char* a, const char* b) -> Result<u32> {
        usize la = string_length(a), lb = b ? string_length(b) : 0;
        u64 length = la + (lb ? 1 + lb : 0) + 1;
        if (strings + length > strings_end)
            return Error::formatted("%s: the command line and module names do not fit in 0x%llx bytes", files.kernel_name,
                (unsigned long long)(strings_end - strings_address));
        u64 address = strings;
        TRY(memory.write_bytes(strings, a, la));
        if (lb) {
            TRY(memory.write_bytes(strings + la, " ", 1));
            TRY(memory.write_bytes(strings + la + 1, b, lb));
        }
        TRY(memory.write_bytes(address + length - 1, "", 1));
        strings += length;
        return static_cast<u32>(address);
    };
    put32(info + 16, TRY(add_string(files.kernel_name, files.command_line)));
    put32(info + 64, TRY(add_string("keel", nullptr)));

    // The modules: each page-aligned after the kernel and the one before (header flag 0
    // asks for it; keel always does), their 16-byte entries in order at modules_address.
    if (files.module_count > max_modules)
        return Error::formatted("%s: %zu modules, more than the %zu keel passes", files.kernel_name, files.module_count, max_modules);
    u64 address = align_up(p.end, page);
    for (usize i = 0; i < files.module_count; ++i) {
        const MultibootModule& module = files.modules[i];
        if (address + module.size > ram_below_4g)
            return Error::formatted("%s: the module %s (%llu bytes) does not fit in RAM after the kernel", files.kernel_name,
                module.string, (unsigned long long)module.size);
        TRY(memory.write_bytes(address, module.data, module.size));
        u8 entry[16] = {};
        put32(entry, static_cast<u32>(address));
        put32(entry + 4, static_cast<u32>(address + module.size));
        put32(entry + 8, TRY(add_string(module.string, nullptr)));
        TRY(memory.write_bytes(modules_address + 16 * i, entry, sizeof(entry)));
        if (i == 0)
            layout.module_address = address;
        address = align_up(address + module.size, page);
    }
    if (files.module_count) {
        put32(info + 20, static_cast<u32>(files.module_count));
        put32(info + 24, static_cast<u32>(modules_address));
        info_flags |= info_modules;
    }

    // Memory: KiB below 640 KiB and from 1 MiB up to the first hole; the map as e820
    // entries, each preceded by its size field (§3.3, "mmap_*").
    Vector<linux_boot::E820Entry> map = linux_boot::build_e820(memory);
    u64 lower = 0, upper = 0;
    u64 mmap_length = 0;
    for (const linux_boot::E820Entry& e : map) {
        if (e.type == linux_boot::e820_ram && e.address == 0)
            lower = (e.size < 640 * KiB ? e.size : 640 * KiB) / KiB;
        if (e.type == linux_boot::e820_ram && e.address <= MiB && e.address + e.size > MiB)
            upper = (e.address + e.size - MiB) / KiB;
        if (mmap_address + mmap_length + 24 > modules_address)
            return Error::formatted("%s: the machine's memory map has more entries than the multiboot area holds", files.kernel_name);
        u8 entry[24];
        put32(entry, 20);
        put64(entry + 4, e.address);
        put64(entry + 12, e.size);
        put32(entry + 20, e.type);
        TRY(memory.write_bytes(mmap_address + mmap_length, entry, sizeof(entry)));
        mmap_length += 24;
    }
    put32(info + 4, static_cast<u32>(lower));
    put32(info + 8, static_cast<u32>(upper));
    put32(info + 44, static_cast<u32>(mmap_length));
    put32(info + 48, static_cast<u32>(mmap_address));
    put32(info, info_flags);
    TRY(memory.write_bytes(info_address, info, sizeof(info)));
    return layout;
}

} // namespace keel::machine::multiboot
