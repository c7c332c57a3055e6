// The plugin loader on shared objects built byte by byte, for what no linker writes on
// purpose: a descriptor symbol, descriptor pointers or init-array entries that point
// outside the loaded image (each must be refused with a message, never read or called),
// and the GNU hash table GNU ld writes for a plugin that exports nothing but imports
// something (symoffset 1, below the imports). ctest unit.plugin.
#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>
#include "dbt/loader/elf.h"
#include "dbt/loader/plugin_loader.h"
#include "hosted/plugin_memory.h"

using namespace keel;

namespace {

// One read-execute PT_LOAD at address 0 covering the whole 4 KiB file, a PT_DYNAMIC, and
// fixed places for the tables; `at` values are image addresses (= file offsets).
struct CraftedPlugin {
    static constexpr u64 image_size = 0x1000;
    static constexpr u64 dynamic_at = 0x100, symtab_at = 0x200, strtab_at = 0x300, hash_at = 0x380, rela_at = 0x400,
                         descriptor_at = 0x500, init_array_at = 0x540, code_at = 0x600, name_at = 0x620;
    std::vector<u8> file = std::vector<u8>(image_size, 0);
    std::vector<elf::Dynamic> dynamic;
    std::vector<elf::Symbol> symbols { elf::Symbol {} }; // index 0: the null symbol
    std::string strings { '\0' };
    std::vector<elf::Rela> relas;
    bool gnu_hash = false;

    CraftedPlugin()
    {
        // initialize(): mov eax, 1; ret (accepts, registers nothing).
        const u8 code[] = { 0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3 };
        std::memcpy(&file[code_at], code, sizeof(code));
        std::memcpy(&file[name_at], "crafted", 8);
    }
    template<typename T> void put(u64 at, const T& value) { std::memcpy(&file[at], &value, sizeof(value)); }

    u32 add_symbol(const char* name, u16 shndx, u64 value)
    {
        elf::Symbol s {};
        s.name = static_cast<u32>(strings.size());
        strings += name;
        strings += '\0';
        s.info = elf::stb_global << 4;
        s.shndx = shndx;
        s.value = value;
        symbols.push_back(s);
        return static_cast<u32>(symbols.size() - 1);
    }
    void relocate(u64 offset, u32 symbol, u32 type, i64 addend = 0)
    {
        relas.push_back({ offset, u64(symbol) << 32 | type, addend });
    }
    // A descriptor at descriptor_at; its pointers are RELATIVE-relocated unless `raw`.
    void add_descriptor(u64 initialize = code_at, u64 name = name_at, bool raw_initialize = false, bool raw_name = false)
    {
        KeelPluginDescriptor d {};
        d.abi_version = KEEL_PLUGIN_ABI_VERSION;
        d.descriptor_size = sizeof(KeelPluginDescriptor);
        u64 initialize_field = descriptor_at + offsetof(KeelPluginDescriptor, initialize);
        u64 name_field = descriptor_at + offsetof(KeelPluginDescriptor, name);
        u64 description_field = descriptor_at + offsetof(KeelPluginDescriptor, description);
        put(descriptor_at, d);
        put(initialize_field, initialize);
        put(name_field, name);
        put(description_field, u64(name_at));
        if (!raw_initialize)
            relocate(initialize_field, 0, elf::r_x86_64_relative, static_cast<i64>(initialize));
        if (!raw_name)
            relocate(name_field, 0, elf::r_x86_64_relative, static_cast<i64>(name));
        relocate(description_field, 0, elf::r_x86_64_relative, name_at);
        add_symbol(KEEL_PLUGIN_DESCRIPTOR_SYMBOL, 1, descriptor_at);
    }

    std::vector<u8> build()
    {
        elf::Header h {};
        std::memcpy(h.ident, elf::magic, 4);
        h.ident[4] = elf::class64;
        h.ident[5] = elf::data_little_endian;
        h.ident[6] = 1;
        h.type = elf::type_dyn;
        h.machine = elf::machine_x86_64;
        h.version = 1;
        h.phoff = sizeof(elf::Header);
        h.ehsize = sizeof(elf::Header);
        h.phentsize = sizeof(elf::ProgramHeader);
        h.phnum = 2;
        put(0, h);
        elf::ProgramHeader load {};
        load.type = elf::pt_load;
        load.flags = elf::pf_r | elf::pf_x;
        load.filesz = load.memsz = image_size;
        load.align = 0x1000;
        put(sizeof(elf::Header), load);
        elf::ProgramHeader dyn {};
        dyn.type = elf::pt_dynamic;
        dyn.flags = elf::pf_r;
        dyn.offset = dyn.vaddr = dynamic_at;
        dyn.filesz = dyn.memsz = 16 * sizeof(elf::Dynamic);
        put(sizeof(elf::Header) + sizeof(elf::ProgramHeader), dyn);

        REQUIRE(symbols.size() * sizeof(elf::Symbol) <= strtab_at - symtab_at);
        REQUIRE(strings.size() <= hash_at - strtab_at);
        std::memcpy(&file[symtab_at], symbols.data(), symbols.size() * sizeof(elf::Symbol));
        std::memcpy(&file[strtab_at], strings.data(), strings.size());
        if (gnu_hash) {
            // As GNU ld writes it for a plugin without exports: 1 bucket, symoffset 1, one
            // bloom word, the bucket empty; the imports (1..) are not in it.
            const u32 table[] = { 1, 1, 1, 0, 0, 0, 0 };
            std::memcpy(&file[hash_at], table, sizeof(table));
        } else {
            // DT_HASH: nbucket 1, nchain = every symbol; the chain links them all.
            std::vector<u32> table { 1, static_cast<u32>(symbols.size()), static_cast<u32>(symbols.size() - 1) };
            for (u32 i = 0; i < symbols.size(); ++i)
                table.push_back(i == 0 ? 0 : i - 1);
            std::memcpy(&file[hash_at], table.data(), table.size() * 4);
        }
        REQUIRE(relas.size() * sizeof(elf::Rela) <= descriptor_at - rela_at);
        if (!relas.empty())
            std::memcpy(&file[rela_at], relas.data(), relas.size() * sizeof(elf::Rela));

        std::vector<elf::Dynamic> entries {
            { elf::dt_strtab, strtab_at },
            { elf::dt_strsz, strings.size() },
            { elf::dt_symtab, symtab_at },
            { elf::dt_syment, sizeof(elf::Symbol) },
            { gnu_hash ? elf::dt_gnu_hash : elf::dt_hash, hash_at },
        };
        if (!relas.empty()) {
            entries.push_back({ elf::dt_rela, rela_at });
            entries.push_back({ elf::dt_relasz, relas.size() * sizeof(elf::Rela) });
            entries.push_back({ elf::dt_relaent, sizeof(elf::Rela) });
        }
        entries.insert(entries.end(), dynamic.begin(), dynamic.end());
        entries.push_back({ elf::dt_null, 0 });
        REQUIRE(entries.size() <= 16);
        std::memcpy(&file[dynamic_at], entries.data(), entries.size() * sizeof(elf::Dynamic));
        return file;
    }
};

// Imports resolve to a fixed address; nothing calls them.
struct FixedResolver final : SymbolResolver {
    u64 resolve(const char* name) override { return std::string(name) == "keel_import" ? 0x1234000 : 0; }
};

struct NoTypes final : PluginRegistry {
    Result<void> add_device_type(const DeviceType&) override { return Error::formatted("no devices here"); }
    Result<void> add_arch(const ArchType&) override { return Error::formatted("no architectures here"); }
};

std::string load(CraftedPlugin& plugin)
{
    hosted::LinuxImageMemory memory;
    FixedResolver imports;
    NoTypes registry;
    PluginHost host { KEEL_PLUGIN_ABI_VERSION, nullptr };
    std::vector<u8> bytes = plugin.build();
    auto r = load_plugin(bytes.data(), bytes.size(), "crafted.so", memory, imports, host, registry);
    if (r.is_error())
        return r.error().message();
    delete r.value().object;
    return "(loaded)";
}

} // namespace

TEST_CASE("plugin: a crafted plugin with a sound descriptor loads (the builder is right)", "[plugin]")
{
    CraftedPlugin plugin;
    plugin.add_descriptor();
    CHECK(load(plugin) == "(loaded)");
}

TEST_CASE("plugin: a descriptor symbol outside the image is refused, not read", "[plugin]")
{
    CraftedPlugin plugin;
    plugin.add_symbol(KEEL_PLUGIN_DESCRIPTOR_SYMBOL, 1, 0x40000000);
    CHECK(load(plugin) == "crafted.so: its keel_plugin_descriptor lies outside the plugin's image");

    // Its version inside, the rest past the end: the version is read, the rest is not.
    CraftedPlugin edge;
    u32 version = KEEL_PLUGIN_ABI_VERSION;
    edge.put(CraftedPlugin::image_size - 4, version);
    edge.add_symbol(KEEL_PLUGIN_DESCRIPTOR_SYMBOL, 1, CraftedPlugin::image_size - 4);
    CHECK(load(edge) == "crafted.so: malformed plugin descriptor");

    // Inside the image but misaligned (UBSan caught the loader reading it in place).
    CraftedPlugin misaligned;
    misaligned.put(CraftedPlugin::image_size - 0x104, version);
    misaligned.add_symbol(KEEL_PLUGIN_DESCRIPTOR_SYMBOL, 1, CraftedPlugin::image_size - 0x104);
    CHECK(load(misaligned) == "crafted.so: malformed plugin descriptor");
}

TEST_CASE("plugin: descriptor pointers outside the image are refused, not called", "[plugin]")
{
    CraftedPlugin initialize;
    initialize.add_descriptor(0xdead0000, CraftedPlugin::name_at, true);
    CHECK(load(initialize) == "crafted.so: the plugin descriptor's initialize function lies outside the plugin's image");

    CraftedPlugin name;
    name.add_descriptor(CraftedPlugin::code_at, 0xdead0000, false, true);
    CHECK(load(name) == "crafted.so: the plugin descriptor's name or description lies outside the plugin's image");

    // A name that runs to the end of the image without its NUL.
    CraftedPlugin unterminated;
    std::memset(&unterminated.file[CraftedPlugin::image_size - 16], 'x', 16);
    unterminated.add_descriptor(CraftedPlugin::code_at, CraftedPlugin::image_size - 16);
    CHECK(load(unterminated) == "crafted.so: the plugin descriptor's name or description lies outside the plugin's image");
}

TEST_CASE("plugin: an init-array entry outside the image is refused, not called", "[plugin]")
{
    CraftedPlugin plugin;
    plugin.add_descriptor();
    plugin.put(CraftedPlugin::init_array_at, u64(0xdead0000)); // not relocated: outside
    plugin.dynamic.push_back({ elf::dt_init_array, CraftedPlugin::init_array_at });
    plugin.dynamic.push_back({ elf::dt_init_arraysz, 8 });
    CHECK(load(plugin) == "crafted.so: DT_INIT_ARRAY entry 0 lies outside the image");
}

TEST_CASE("plugin: a GNU hash table without exports still lets the loader relocate imports", "[plugin]")
{
    // GNU ld's table for a plugin that exports nothing: symoffset 1 while the import is
    // symbol 1. The answer is "not a keel plugin", not a complaint about the relocation.
    CraftedPlugin plugin;
    plugin.gnu_hash = true;
    u32 import = plugin.add_symbol("keel_import", elf::shn_undef, 0);
    plugin.relocate(CraftedPlugin::init_array_at, import, elf::r_x86_64_64);
    CHECK(load(plugin) == "crafted.so: not a keel plugin (it exports no keel_plugin_descriptor)");

    // A relocation naming a symbol whose entry would lie past the image is still refused.
    CraftedPlugin far;
    far.gnu_hash = true;
    far.relocate(CraftedPlugin::init_array_at, 1000, elf::r_x86_64_64);
    CHECK(load(far) == "crafted.so: relocation names symbol 1000, outside the image");
}
