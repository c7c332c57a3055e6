#include "machine/linux/linux_loader.h"
#include "dbt/base/string.h"

namespace keel::machine::linux_boot {
namespace {

// boot_params fields outside the setup header (boot.rst "The zero page", and
// arch/x86/include/uapi/asm/bootparam.h for the offsets).
constexpr u64 e820_entries_offset = 0x1E8;
constexpr u64 e820_table_offset = 0x2D0;
constexpr u64 ext_ramdisk_image_offset = 0x0C0;
constexpr u64 ext_ramdisk_size_offset = 0x0C4;
constexpr u64 ext_cmd_line_ptr_offset = 0x0C8;
constexpr u64 acpi_rsdp_addr_offset = 0x070;
constexpr u64 boot_params_size = 4096;
constexpr u8 undefined_loader = 0xFF; // type_of_loader: "other", no ext_loader_type

u64 align_up(u64 v, u64 a) { return (v + a - 1) & ~(a - 1); }
u64 align_down(u64 v, u64 a) { return v & ~(a - 1); }

void put(u8* p, u64 value, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; ++i)
        p[i] = static_cast<u8>(value >> (8 * i));
}

u64 mib_up(u64 bytes) { return (bytes + MiB - 1) / MiB; }

} // namespace

Vector<E820Entry> build_e820(const PhysicalMemory& memory)
{
    Vector<E820Entry> map;
    for (const MemoryRegion& region : memory.regions()) {
        u32 type = region.kind == RegionKind::Ram ? e820_ram : e820_reserved;
        if (!map.is_empty()) {
            E820Entry& last = map[map.size() - 1];
            if (last.type == type && last.address + last.size == region.base) {
                last.size += region.size;
                continue;
            }
        }
        map.append({ region.base, region.size, type });
    }
    return map;
}

Result<LinuxLayout> load_linux(PhysicalMemory& memory, u64 ram_below_4g, const LinuxFiles& files)
{
    BzImage image = TRY(parse_bzimage(files.kernel, files.kernel_size, files.kernel_name));
    LinuxLayout layout {};

    // The protected-mode kernel: where it prefers to run (no relocation copy), else the
    // lowest aligned address from 1 MiB; a kernel that is not relocatable only at its
    // pref_address (boot.rst: "If relocatable_kernel is 0 ... must be loaded at pref_address").
    u64 needed = image.init_size;
    u64 load = image.pref_address;
    if (image.relocatable && (load < MiB || load + needed > ram_below_4g))
        load = align_up(MiB, image.kernel_alignment);
    if (load < boot_structures_end || load + needed > ram_below_4g)
        return Error::formatted("%s: the kernel needs %llu MiB of RAM from 0x%llx to start; the guest has %llu MiB below "
                                "4 GiB (-m)",
            files.kernel_name, (unsigned long long)mib_up(needed), (unsigned long long)load,
            (unsigned long long)(ram_below_4g / MiB));
    TRY(memory.write_bytes(load, image.kernel, image.kernel_size));
    layout.kernel_address = load;
    layout.kernel_end = load + needed;
    // The 64-bit entry is startup_64 at 0x200; the 32-bit one, startup_32, at the load
    // address itself (boot.rst, "32-bit Boot Protocol" and "64-bit Boot Protocol").
    layout.entry32 = files.entry32 || !image.has_64bit_entry;
    layout.entry = layout.entry32 ? load : load + 0x200;

    // The command line, NUL-terminated, at most cmdline_size bytes before the NUL.
    usize cmdline_length = string_length(files.command_line);
    if (cmdline_length > image.cmdline_size)
        return Error::formatted("-append: %zu bytes; this kernel takes a command line of at most %u", cmdline_length,
            image.cmdline_size);
    TRY(memory.write_bytes(command_line_address, files.command_line, cmdline_length + 1));

    // The initramfs as high as it may go below 4 GiB (where QEMU puts it too), page-aligned,
    // ending at or below initrd_addr_max, above the kernel's init_size.
    if (files.initrd) {
        u64 limit = static_cast<u64>(image.initrd_addr_max) + 1;
        if (limit > ram_below_4g)
            limit = ram_below_4g;
        u64 address = files.initrd_size <= limit ? align_down(limit - files.initrd_size, 4096) : 0;
        if (files.initrd_size > limit || address < layout.kernel_end)
            return Error::formatted("%s: the initramfs (%llu MiB) does not fit in guest RAM between the kernel's end "
                                    "(0x%llx) and 0x%llx; give the guest more memory (-m)",
                files.initrd_name, (unsigned long long)mib_up(files.initrd_size), (unsigned long long)layout.kernel_end,
                (unsigned long long)limit);
        TRY(memory.write_bytes(address, files.initrd, files.initrd_size));
        layout.initrd_address = address;
        layout.initrd_size = files.initrd_size;
    }

    // boot_params: zeroed, the setup header as the file has it, then what the loader fills.
    static u8 zero_page[boot_params_size];
    fill_memory(zero_page, 0, sizeof(zero_page));
    copy_memory(zero_page + header::setup_sects, files.kernel + header::setup_sects, image.header_end - header::setup_sects);
    zero_page[header::type_of_loader] = undefined_loader;
    zero_page[header::loadflags] = loaded_high; // no heap (CAN_USE_HEAP clear), not quiet
    put(zero_page + header::cmd_line_ptr, command_line_address, 4);
    put(zero_page + header::code32_start, load, 4);
    put(zero_page + ext_cmd_line_ptr_offset, 0, 4);
    put(zero_page + header::ramdisk_image, layout.initrd_address, 4);
    put(zero_page + header::ramdisk_size, layout.initrd_size, 4);
    put(zero_page + ext_ramdisk_image_offset, layout.initrd_address >> 32, 4);
    put(zero_page + ext_ramdisk_size_offset, layout.initrd_size >> 32, 4);
    put(zero_page + acpi_rsdp_addr_offset, files.acpi_rsdp, 8);

    layout.e820 = build_e820(memory);
    if (layout.e820.size() > e820_max_entries)
        return Error::formatted("the machine's memory map has %zu pieces; boot_params holds %u", layout.e820.size(),
            e820_max_entries);
    zero_page[e820_entries_offset] = static_cast<u8>(layout.e820.size());
    for (usize i = 0; i < layout.e820.size(); ++i) {
        u8* entry = zero_page + e820_table_offset + i * 20;
        put(entry, layout.e820[i].address, 8);
        put(entry + 8, layout.e820[i].size, 8);
        put(entry + 16, layout.e820[i].type, 4);
    }
    TRY(memory.write_bytes(boot_params_address, zero_page, sizeof(zero_page)));
    return layout;
}

} // namespace keel::machine::linux_boot
