#include "dbt/loader/shared_object.h"
#include "dbt/base/string.h"
#include "dbt/loader/elf.h"

namespace keel {

constexpr u64 page = 4096;
inline u64 page_down(u64 v) { return v & ~(page - 1); }
inline u64 page_up(u64 v) { return (v + page - 1) & ~(page - 1); }

// The work of SharedObject::load, in steps; each failure names the file and the reason.
class SharedObjectLoader {
public:
    SharedObjectLoader(const u8* file, usize size, const char* name, SharedObject& object, SymbolResolver& imports)
        : m_file(file), m_size(size), m_name(name), m_object(object), m_imports(imports)
    {
    }

    Result<void> load()
    {
        TRY(check_header());
        TRY(map_segments());
        TRY(read_dynamic());
        TRY(relocate());
        TRY(protect());
        return {};
    }

private:
    Result<void> check_header()
    {
        if (m_size < sizeof(elf::Header) || !memory_equal(m_file, elf::magic, 4))
            return Error::formatted("%s: not an ELF file", m_name);
        copy_memory(&m_header, m_file, sizeof(m_header));
        if (m_header.ident[4] != elf::class64 || m_header.ident[5] != elf::data_little_endian)
            return Error::formatted("%s: not a 64-bit little-endian ELF file", m_name);
        if (m_header.machine != elf::machine_x86_64)
            return Error::formatted("%s: ELF machine %u is not x86-64", m_name, m_header.machine);
        if (m_header.type != elf::type_dyn)
            return Error::formatted("%s: ELF type %u is not a shared object (ET_DYN)", m_name, m_header.type);
        if (m_header.phentsize != sizeof(elf::ProgramHeader) || m_header.phnum == 0 || m_header.phoff > m_size
            || m_header.phoff + u64(m_header.phnum) * sizeof(elf::ProgramHeader) > m_size)
            return Error::formatted("%s: program headers are missing or truncated", m_name);
        return {};
    }

    elf::ProgramHeader program_header(u16 i) const
    {
        elf::ProgramHeader ph;
        copy_memory(&ph, m_file + m_header.phoff + u64(i) * sizeof(ph), sizeof(ph));
        return ph;
    }

    Result<void> map_segments()
    {
        u64 low = ~0ull, high = 0;
        for (u16 i = 0; i < m_header.phnum; ++i) {
            elf::ProgramHeader ph = program_header(i);
            if (ph.type == elf::pt_interp || ph.type == elf::pt_tls)
                return Error::formatted("%s: has %s, which a plugin cannot use", m_name,
                    ph.type == elf::pt_interp ? "an interpreter (PT_INTERP)" : "thread-local storage (PT_TLS)");
            if (ph.type != elf::pt_load)
                continue;
            if (ph.offset > m_size || ph.filesz > m_size - ph.offset)
                return Error::formatted("%s: segment %u lies outside the file", m_name, i);
            if (ph.filesz > ph.memsz || ph.vaddr + ph.memsz < ph.vaddr || (ph.vaddr - ph.offset) % page != 0)
                return Error::formatted("%s: segment %u is malformed", m_name, i);
            if ((ph.flags & elf::pf_w) && (ph.flags & elf::pf_x))
                return Error::formatted("%s: segment %u is both writable and executable (keel maps plugins W^X)", m_name, i);
            low = ph.vaddr < low ? ph.vaddr : low;
            high = ph.vaddr + ph.memsz > high ? ph.vaddr + ph.memsz : high;
        }
        if (high == 0)
            return Error::formatted("%s: no loadable (PT_LOAD) segment", m_name);
        if (high - low > 1ull << 32)
            return Error::formatted("%s: spans more than 4 GiB", m_name);
        low = page_down(low);
        usize span = page_up(high) - low;
        u8* reserved = m_object.m_memory.reserve(span);
        if (!reserved)
            return Error::formatted("%s: no memory for its %zu bytes", m_name, span);
        m_object.m_reserved = reserved;
        m_object.m_reserved_size = span;
        m_object.m_base = reserved - low;
        m_object.m_size = span;
        for (u16 i = 0; i < m_header.phnum; ++i) {
            elf::ProgramHeader ph = program_header(i);
            if (ph.type == elf::pt_load)
                copy_memory(m_object.m_base + ph.vaddr, m_file + ph.offset, ph.filesz); // the rest stays zero
        }
        return {};
    }

    // An address the image claims, checked to lie in the loaded range.
    bool in_image(u64 vaddr, u64 length) const
    {
        u64 start = static_cast<u64>(m_object.m_reserved - m_object.m_base);
        return vaddr >= start && length <= m_object.m_reserved_size && vaddr - start <= m_object.m_reserved_size - length;
    }

    Result<void> read_dynamic()
    {
        const elf::Dynamic* dynamic = nullptr;
        u64 count = 0;
        for (u16 i = 0; i < m_header.phnum; ++i) {
            elf::ProgramHeader ph = program_header(i);
            if (ph.type != elf::pt_dynamic)
                continue;
            if (!in_image(ph.vaddr, ph.memsz) || ph.vaddr % 8)
                return Error::formatted("%s: dynamic section outside the image", m_name);
            dynamic = reinterpret_cast<const elf::Dynamic*>(m_object.m_base + ph.vaddr);
            count = ph.memsz / sizeof(elf::Dynamic);
        }
        if (!dynamic)
            return Error::formatted("%s: no dynamic section (link it with -shared)", m_name);

        u64 hash = 0, gnu_hash = 0, init = 0, init_array = 0, init_array_size = 0, syment = sizeof(elf::Symbol);
        for (u64 i = 0; i < count && dynamic[i].tag != elf::dt_null; ++i) {
            const elf::Dynamic& d = dynamic[i];
            switch (d.tag) {
            case elf::dt_needed: m_needed = d.value; break;
            case elf::dt_strtab: m_strtab = d.value; break;
            case elf::dt_strsz: m_strsz = d.value; break;
            case elf::dt_symtab: m_symtab = d.value; break;
            case elf::dt_syment: syment = d.value; break;
            case elf::dt_hash: hash = d.value; break;
            case elf::dt_gnu_hash: gnu_hash = d.value; break;
            case elf::dt_rela: m_rela = d.value; break;
            case elf::dt_relasz: m_relasz = d.value; break;
            case elf::dt_relaent:
                if (d.value != sizeof(elf::Rela))
                    return Error::formatted("%s: unexpected relocation entry size %llu", m_name, (unsigned long long)d.value);
                break;
            case elf::dt_jmprel: m_jmprel = d.value; break;
            case elf::dt_pltrelsz: m_pltrelsz = d.value; break;
            case elf::dt_pltrel:
                if (d.value != static_cast<u64>(elf::dt_rela))
                    return Error::formatted("%s: PLT relocations are not RELA", m_name);
                break;
            case elf::dt_rel: return Error::formatted("%s: has REL relocations (x86-64 uses RELA)", m_name);
            case elf::dt_textrel: return Error::formatted("%s: has text relocations (build it with -fPIC)", m_name);
            case elf::dt_init: init = d.value; break;
            case elf::dt_init_array: init_array = d.value; break;
            case elf::dt_init_arraysz: init_array_size = d.value; break;
            default: break;
            }
        }
        if (!m_strtab || !m_symtab || syment != sizeof(elf::Symbol) || !in_image(m_strtab, m_strsz) || !in_image(m_symtab, syment))
            return Error::formatted("%s: symbol or string table missing or outside the image", m_name);
        if (m_needed) {
            const char* library = m_needed < m_strsz ? reinterpret_cast<const char*>(m_object.m_base + m_strtab + m_needed) : "?";
            return Error::formatted("%s: needs the shared library %s; plugins link nothing but keel (-nostdlib)", m_name, library);
        }
        m_object.m_strings = reinterpret_cast<const char*>(m_object.m_base + m_strtab);
        m_object.m_strings_size = m_strsz;
        m_object.m_symbols = m_object.m_base + m_symtab;
        m_object.m_symbol_count = TRY(symbol_count(hash, gnu_hash));
        if (!in_image(m_symtab, u64(m_object.m_symbol_count) * sizeof(elf::Symbol)))
            return Error::formatted("%s: symbol table outside the image", m_name);

        if (init) {
            if (!in_image(init, 1))
                return Error::formatted("%s: DT_INIT outside the image", m_name);
            m_object.m_init.append(reinterpret_cast<u64>(m_object.m_base + init));
        }
        if (init_array_size) {
            if (!in_image(init_array, init_array_size) || init_array_size % 8)
                return Error::formatted("%s: DT_INIT_ARRAY outside the image", m_name);
            m_init_array = init_array;
            m_init_array_size = init_array_size;
        }
        return {};
    }

    // How many entries lookup() searches: the dynamic section does not say how long the
    // symbol table is, the hash tables say which entries are exported (gABI "Hash Table":
    // nchain, every symbol; GNU hash: symoffset up to the highest chain end, the exported
    // ones only). With no exports, GNU ld writes symoffset 1 whatever imports follow the
    // null symbol, so this count does not bound a relocation's symbol index (symbol_value).
    Result<u32> symbol_count(u64 hash, u64 gnu_hash)
    {
        if (hash) {
            if (!in_image(hash, 8))
                return Error::formatted("%s: DT_HASH outside the image", m_name);
            return reinterpret_cast<const u32*>(m_object.m_base + hash)[1];
        }
        if (!gnu_hash || !in_image(gnu_hash, 16))
            return Error::formatted("%s: no symbol hash table (DT_HASH or DT_GNU_HASH)", m_name);
        const u32* h = reinterpret_cast<const u32*>(m_object.m_base + gnu_hash);
        u32 buckets = h[0], symoffset = h[1], bloom_size = h[2];
        u64 header = 16 + u64(bloom_size) * 8;
        if (!in_image(gnu_hash, header + u64(buckets) * 4))
            return Error::formatted("%s: DT_GNU_HASH outside the image", m_name);
        const u32* bucket = reinterpret_cast<const u32*>(m_object.m_base + gnu_hash + header);
        const u32* chain = bucket + buckets;
        u32 last = 0;
        for (u32 i = 0; i < buckets; ++i)
            last = bucket[i] > last ? bucket[i] : last;
        if (last < symoffset)
            return symoffset;
        for (;;) {
            u64 at = reinterpret_cast<const u8*>(&chain[last - symoffset]) - m_object.m_base;
            if (!in_image(at, 4))
                return Error::formatted("%s: DT_GNU_HASH chain outside the image", m_name);
            if (chain[last - symoffset] & 1)
                return last + 1;
            ++last;
        }
    }

    const elf::Symbol& symbol(u32 index) const { return reinterpret_cast<const elf::Symbol*>(m_object.m_symbols)[index]; }

    const char* symbol_name(const elf::Symbol& s) const { return s.name < m_strsz ? m_object.m_strings + s.name : "?"; }

    Result<u64> symbol_value(u32 index)
    {
        // Imports need not be in the GNU hash table's range (symbol_count), so the bound
        // is the image: the entry must lie in it.
        if (!in_image(m_symtab + u64(index) * sizeof(elf::Symbol), sizeof(elf::Symbol)))
            return Error::formatted("%s: relocation names symbol %u, outside the image", m_name, index);
        const elf::Symbol& s = symbol(index);
        if (s.shndx != elf::shn_undef)
            return reinterpret_cast<u64>(m_object.m_base + s.value);
        u64 address = m_imports.resolve(symbol_name(s));
        if (!address && (s.info >> 4) != elf::stb_weak)
            return Error::formatted("%s: unresolved import %s", m_name, symbol_name(s));
        return address;
    }

    Result<void> apply(u64 table, u64 size)
    {
        if (!size)
            return {};
        if (!in_image(table, size) || size % sizeof(elf::Rela))
            return Error::formatted("%s: relocation table outside the image", m_name);
        const auto* rela = reinterpret_cast<const elf::Rela*>(m_object.m_base + table);
        for (u64 i = 0; i < size / sizeof(elf::Rela); ++i) {
            const elf::Rela& r = rela[i];
            u32 type = static_cast<u32>(r.info);
            u32 sym = static_cast<u32>(r.info >> 32);
            if (type == elf::r_x86_64_none)
                continue;
            if (!in_image(r.offset, 8))
                return Error::formatted("%s: relocation %llu outside the image", m_name, (unsigned long long)i);
            u64 value;
            switch (type) {
            case elf::r_x86_64_relative: value = reinterpret_cast<u64>(m_object.m_base) + r.addend; break;
            case elf::r_x86_64_64: value = TRY(symbol_value(sym)) + r.addend; break;
            case elf::r_x86_64_glob_dat:
            case elf::r_x86_64_jump_slot: value = TRY(symbol_value(sym)); break;
            default:
                return Error::formatted("%s: relocation type %u is not supported (keel applies RELATIVE, 64, GLOB_DAT, JUMP_SLOT)",
                    m_name, type);
            }
            copy_memory(m_object.m_base + r.offset, &value, 8);
        }
        return {};
    }

    Result<void> relocate()
    {
        TRY(apply(m_rela, m_relasz));
        TRY(apply(m_jmprel, m_pltrelsz));
        // Init array entries are read after relocation (they are RELATIVE-relocated).
        for (u64 i = 0; i < m_init_array_size / 8; ++i) {
            u64 function;
            copy_memory(&function, m_object.m_base + m_init_array + i * 8, 8);
            if (!function || function == ~0ull)
                continue;
            // The caller calls these: an entry that points anywhere else is refused here.
            if (!in_image(function - reinterpret_cast<u64>(m_object.m_base), 1))
                return Error::formatted("%s: DT_INIT_ARRAY entry %llu lies outside the image", m_name, (unsigned long long)i);
            m_object.m_init.append(function);
        }
        return {};
    }

    Result<void> protect()
    {
        u64 relro_start = 0, relro_end = 0;
        for (u16 i = 0; i < m_header.phnum; ++i) {
            elf::ProgramHeader ph = program_header(i);
            if (ph.type == elf::pt_gnu_relro) {
                relro_start = page_down(ph.vaddr);
                relro_end = page_down(ph.vaddr + ph.memsz); // a partial last page stays writable (as ld.so)
            }
        }
        for (u16 i = 0; i < m_header.phnum; ++i) {
            elf::ProgramHeader ph = program_header(i);
            if (ph.type != elf::pt_load)
                continue;
            u64 start = page_down(ph.vaddr), end = page_up(ph.vaddr + ph.memsz);
            bool writable = ph.flags & elf::pf_w, executable = ph.flags & elf::pf_x;
            TRY(m_object.m_memory.protect(m_object.m_base + start, end - start, writable, executable));
            if (writable && relro_end > relro_start && relro_start < end && relro_end > start) {
                u64 a = relro_start > start ? relro_start : start, b = relro_end < end ? relro_end : end;
                TRY(m_object.m_memory.protect(m_object.m_base + a, b - a, false, false));
            }
        }
        return {};
    }

    const u8* m_file;
    usize m_size;
    const char* m_name;
    SharedObject& m_object;
    SymbolResolver& m_imports;
    elf::Header m_header {};
    u64 m_needed = 0, m_strtab = 0, m_strsz = 0, m_symtab = 0;
    u64 m_rela = 0, m_relasz = 0, m_jmprel = 0, m_pltrelsz = 0;
    u64 m_init_array = 0, m_init_array_size = 0;
};

Result<SharedObject*> SharedObject::load(const u8* file, usize size, const char* name, ImageMemory& memory, SymbolResolver& imports)
{
    auto* object = new SharedObject(memory);
    SharedObjectLoader loader(file, size, name, *object, imports);
    auto loaded = loader.load();
    if (loaded.is_error()) {
        delete object;
        return loaded.release_error();
    }
    return object;
}

SharedObject::~SharedObject()
{
    if (m_reserved)
        m_memory.release(m_reserved, m_reserved_size);
}

bool SharedObject::contains(u64 address, u64 length) const
{
    u64 start = reinterpret_cast<u64>(m_reserved);
    return address >= start && length <= m_reserved_size && address - start <= m_reserved_size - length;
}

bool SharedObject::contains_string(u64 address) const
{
    if (!contains(address, 1))
        return false;
    u64 end = reinterpret_cast<u64>(m_reserved) + m_reserved_size;
    for (const char* c = reinterpret_cast<const char*>(address); reinterpret_cast<u64>(c) < end; ++c) {
        if (*c == '\0')
            return true;
    }
    return false;
}

u64 SharedObject::lookup(const char* name) const
{
    const auto* symbols = reinterpret_cast<const elf::Symbol*>(m_symbols);
    for (u32 i = 1; i < m_symbol_count; ++i) {
        const elf::Symbol& s = symbols[i];
        u8 binding = s.info >> 4;
        if (s.shndx == elf::shn_undef || (binding != elf::stb_global && binding != elf::stb_weak) || s.name >= m_strings_size)
            continue;
        if (string_equal(m_strings + s.name, name))
            return reinterpret_cast<u64>(m_base + s.value);
    }
    return 0;
}

} // namespace keel
