#include "hosted/plugin_perf_map.h"
#include <string.h>
#include <string>
#include <vector>
#include "dbt/loader/elf.h"
#include "hosted/hosted_pc.h"

namespace keel::hosted {
namespace {

struct LoadedFile {
    std::string path;
    const u8* base;
};

std::vector<LoadedFile>& loaded_files()
{
    static std::vector<LoadedFile> files;
    return files;
}

constexpr u32 sht_symtab = 2;
constexpr u8 stt_func = 2;
constexpr u64 max_plugin_file_size = 256 * MiB;

// Every offset and size comes from the file: each is checked against its length.
void write_symbols(const LoadedFile& file, const Vector<u8>& bytes, FILE* out)
{
    const u8* data = bytes.data();
    u64 size = bytes.size();
    if (size < sizeof(elf::Header))
        return;
    const auto* header = reinterpret_cast<const elf::Header*>(data);
    if (header->shentsize != sizeof(elf::SectionHeader) || header->shoff > size
        || (size - header->shoff) / sizeof(elf::SectionHeader) < header->shnum)
        return;
    const auto* sections = reinterpret_cast<const elf::SectionHeader*>(data + header->shoff);
    for (u16 i = 0; i < header->shnum; ++i) {
        const elf::SectionHeader& symtab = sections[i];
        if (symtab.type != sht_symtab || symtab.link >= header->shnum)
            continue;
        const elf::SectionHeader& strtab = sections[symtab.link];
        if (symtab.offset > size || symtab.size > size - symtab.offset || strtab.offset > size || strtab.size > size - strtab.offset)
            return;
        const auto* symbols = reinterpret_cast<const elf::Symbol*>(data + symtab.offset);
        const char* strings = reinterpret_cast<const char*>(data + strtab.offset);
        for (u64 s = 0; s < symtab.size / sizeof(elf::Symbol); ++s) {
            const elf::Symbol& symbol = symbols[s];
            if ((symbol.info & 0xf) != stt_func || symbol.size == 0 || symbol.shndx == elf::shn_undef || symbol.name >= strtab.size)
                continue;
            int name_length = static_cast<int>(strnlen(strings + symbol.name, strtab.size - symbol.name));
            fprintf(out, "%lx %llx %.*s\n", reinterpret_cast<unsigned long>(file.base + symbol.value),
                static_cast<unsigned long long>(symbol.size), name_length, strings + symbol.name);
        }
    }
}

} // namespace

void remember_loaded_plugin(const char* path, const u8* base) { loaded_files().push_back({ path, base }); }

void write_plugin_perf_map(FILE* out)
{
    for (const LoadedFile& file : loaded_files()) {
        Vector<u8> bytes;
        if (read_file(file.path.c_str(), bytes, max_plugin_file_size).is_error())
            continue; // the profile only loses the names
        write_symbols(file, bytes, out);
    }
    fflush(out);
}

} // namespace keel::hosted
