// The plugin loader (dbt/loader/shared_object.cpp, dbt/loader/plugin_loader.cpp) on real
// plugin files built by tests/plugins: a good one is loaded W^X, its constructors run,
// its imports resolve against keel, its device works; each broken kind is refused with a
// message naming the plugin and the reason. ctest unit.plugin.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>
#include <sys/mman.h>
#include "dbt/plugin/device.h"
#include "dbt/loader/plugin_loader.h"
#include "hosted/plugin_memory.h"

using namespace keel;

namespace {

std::vector<u8> read_file(const std::string& name)
{
    std::string path = std::string(KEEL_TEST_PLUGIN_DIR) + "/" + name;
    std::ifstream in(path, std::ios::binary);
    INFO("reading " << path);
    REQUIRE(in.good());
    return std::vector<u8>(std::istreambuf_iterator<char>(in), {});
}

struct TestRegistry final : PluginRegistry {
    std::vector<DeviceType> devices;
    Result<void> add_device_type(const DeviceType& type) override
    {
        for (const DeviceType& d : devices) {
            if (std::string(d.name) == type.name)
                return Error::formatted("device type %s registered twice", type.name);
        }
        devices.push_back(type);
        return {};
    }
    Result<void> add_arch(const ArchType&) override { return Error::formatted("no architectures here"); }
};

// Records what the loader asked to protect how.
struct RecordingMemory final : ImageMemory {
    hosted::LinuxImageMemory real;
    struct Protection {
        u8* address;
        usize size;
        bool writable, executable;
    };
    std::vector<Protection> protections;
    usize released = 0;
    u8* reserve(usize size) override { return real.reserve(size); }
    void release(u8* base, usize size) override
    {
        ++released;
        real.release(base, size);
    }
    Result<void> protect(u8* address, usize size, bool writable, bool executable) override
    {
        protections.push_back({ address, size, writable, executable });
        return real.protect(address, size, writable, executable);
    }
};

struct Fixture {
    RecordingMemory memory;
    hosted::ProcessSymbolResolver imports;
    TestRegistry registry;
    PluginHost host { KEEL_PLUGIN_ABI_VERSION, nullptr };

    Result<LoadedPlugin> load(const std::string& name)
    {
        std::vector<u8> bytes = read_file(name);
        return load_plugin(bytes.data(), bytes.size(), name.c_str(), memory, imports, host, registry);
    }
    std::string refusal(const std::string& name)
    {
        auto r = load(name);
        REQUIRE(r.is_error());
        CHECK(registry.devices.empty()); // nothing registered
        return r.error().message();
    }
};

} // namespace

TEST_CASE("plugin: a device plugin loads, runs its constructors and registers its device", "[plugin]")
{
    Fixture f;
    auto loaded = f.load("test_device_plugin.so");
    REQUIRE_FALSE(loaded.is_error());
    LoadedPlugin plugin = loaded.value();
    CHECK(std::string(plugin.descriptor->name) == "test-device");
    REQUIRE(f.registry.devices.size() == 1);
    const DeviceType& type = f.registry.devices[0];
    CHECK(std::string(type.name) == "test-device");
    // keel::format, imported from the host, wrote the description; the constructor ran first.
    CHECK(std::string(type.description) == "answers 0x42 on every port");

    DeviceCreateArgs args { "test0", nullptr, nullptr, 0, 0, "" };
    Device* device = type.create(args, nullptr);
    REQUIRE(device);
    CHECK(std::string(device->name()) == "test-device");
    CHECK(device->io_read(0x100, 1) == 0x42);
    CHECK(device->mmio_read(0, 4) == 0xFFFFFFFFu); // Device's defaults, compiled into the plugin
    delete device;

    // W^X: every range is writable or executable, never both, and there is code.
    bool any_executable = false;
    for (const auto& p : f.memory.protections) {
        CHECK_FALSE((p.writable && p.executable));
        any_executable |= p.executable;
    }
    CHECK(any_executable);
    // The loaded symbol table answers lookups; hidden symbols are not exported.
    CHECK(plugin.object->lookup("keel_plugin_descriptor") == reinterpret_cast<u64>(plugin.descriptor));
    CHECK(plugin.object->lookup("_ZN12_GLOBAL__N_110initializeEPKN4keel10PluginHostEPNS0_14PluginRegistryEPcm") == 0);

    delete plugin.object;
    CHECK(f.memory.released == 1);
}

TEST_CASE("plugin: broken plugins are refused with the plugin's name and the reason", "[plugin]")
{
    Fixture f;
    CHECK(f.refusal("wrong_abi_plugin.so")
        == "wrong_abi_plugin.so: plugin ABI version 1000, but this keel has version " + std::to_string(KEEL_PLUGIN_ABI_VERSION)
            + ": rebuild the plugin");
    CHECK(f.refusal("unresolved_plugin.so") == "unresolved_plugin.so: unresolved import keel_symbol_that_keel_does_not_export");
    CHECK(f.refusal("no_descriptor_plugin.so") == "no_descriptor_plugin.so: not a keel plugin (it exports no keel_plugin_descriptor)");
    CHECK(f.refusal("truncated_plugin.so") == "truncated_plugin.so: program headers are missing or truncated");
    // Each refusal after mapping gave the memory back.
    CHECK(f.memory.released == 3);

    std::vector<u8> text = { 'n', 'o', 't', ' ', 'E', 'L', 'F' };
    auto r = load_plugin(text.data(), text.size(), "text.so", f.memory, f.imports, f.host, f.registry);
    REQUIRE(r.is_error());
    CHECK(std::string(r.error().message()) == "text.so: not an ELF file");
}

TEST_CASE("plugin: a plugin that refuses to start says why", "[plugin]")
{
    Fixture f;
    f.host.abi_version = KEEL_PLUGIN_ABI_VERSION + 1; // the plugin checks the host's version itself
    CHECK(f.refusal("test_device_plugin.so")
        == "test_device_plugin.so: the plugin refused to start: host ABI " + std::to_string(KEEL_PLUGIN_ABI_VERSION + 1));
}

TEST_CASE("plugin: executables and objects with interpreters are not plugins", "[plugin]")
{
    Fixture f;
    // The test executable itself: ET_DYN (PIE) but with PT_INTERP, or ET_EXEC.
    std::ifstream self("/proc/self/exe", std::ios::binary);
    std::vector<u8> bytes((std::istreambuf_iterator<char>(self)), {});
    REQUIRE(bytes.size() > 64);
    auto r = load_plugin(bytes.data(), bytes.size(), "unit-plugin", f.memory, f.imports, f.host, f.registry);
    REQUIRE(r.is_error());
    std::string message = r.error().message();
    bool expected = message == "unit-plugin: has an interpreter (PT_INTERP), which a plugin cannot use"
        || message == "unit-plugin: ELF type 2 is not a shared object (ET_DYN)";
    INFO(message);
    CHECK(expected);
}
