#include "dbt/loader/elf_loader.h"
#include "dbt/base/string.h"
#include "dbt/loader/elf.h"

namespace keel {

Result<LoadedImage> load_elf_executable(const u8* data, u64 size, const char* name, PhysicalMemory& memory, u64 limit)
{
    if (size < sizeof(elf::Header) || !memory_equal(data, elf::magic, 4))
        return Error::formatted("%s: not an ELF file", name);
    elf::Header h;
    copy_memory(&h, data, sizeof(h));
    if (h.ident[4] != elf::class64)
        return Error::formatted("%s: not a 64-bit ELF file (ELF class %u)", name, h.ident[4]);
    if (h.ident[5] != elf::data_little_endian)
        return Error::formatted("%s: not a little-endian ELF file", name);
    if (h.machine != elf::machine_x86_64)
        return Error::formatted("%s: ELF machine %u is not x86-64", name, h.machine);
    if (h.type != elf::type_exec)
        return Error::formatted("%s: ELF type %u is not an executable (ET_EXEC)%s", name, h.type,
            h.type == elf::type_dyn ? "; link it with -no-pie" : "");
    if (h.phentsize != sizeof(elf::ProgramHeader) || h.phnum == 0 || h.phoff > size
        || h.phoff + u64(h.phnum) * sizeof(elf::ProgramHeader) > size)
        return Error::formatted("%s: program headers are missing or truncated", name);

    LoadedImage image { h.entry, ~0ull, 0 };
    unsigned loads = 0;
    for (u16 i = 0; i < h.phnum; ++i) {
        elf::ProgramHeader ph;
        copy_memory(&ph, data + h.phoff + u64(i) * sizeof(ph), sizeof(ph));
        if (ph.type != elf::pt_load || ph.memsz == 0)
            continue;
        if (ph.filesz > ph.memsz || ph.offset > size || ph.filesz > size - ph.offset)
            return Error::formatted("%s: segment %u lies outside the file", name, i);
        if (ph.paddr + ph.memsz < ph.paddr || ph.paddr + ph.memsz > limit)
            return Error::formatted("%s: segment %u at 0x%llx+0x%llx does not fit in guest RAM below 0x%llx", name, i,
                (unsigned long long)ph.paddr, (unsigned long long)ph.memsz, (unsigned long long)limit);
        auto copied = memory.write_bytes(ph.paddr, data + ph.offset, ph.filesz);
        if (copied.is_error())
            return Error::formatted("%s: segment %u: %s", name, i, copied.error().message());
        // The bytes past p_filesz are zero (.bss); guest RAM starts zeroed, but the
        // segment may overlap what an earlier one wrote.
        u64 zero_from = ph.paddr + ph.filesz, zero_to = ph.paddr + ph.memsz;
        static const u8 zeros[4096] = {};
        while (zero_from < zero_to) {
            u64 n = zero_to - zero_from < sizeof(zeros) ? zero_to - zero_from : sizeof(zeros);
            auto zeroed = memory.write_bytes(zero_from, zeros, n);
            if (zeroed.is_error())
                return Error::formatted("%s: segment %u: %s", name, i, zeroed.error().message());
            zero_from += n;
        }
        if (ph.paddr < image.lowest)
            image.lowest = ph.paddr;
        if (ph.paddr + ph.memsz > image.highest)
            image.highest = ph.paddr + ph.memsz;
        ++loads;
    }
    if (loads == 0)
        return Error::formatted("%s: no loadable (PT_LOAD) segment", name);
    return image;
}

} // namespace keel
