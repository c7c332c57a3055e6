// A small device plugin for the plugin-loader tests (tests/unit/plugin_test.cpp), built
// like every keel plugin: freestanding, -fPIC, -nostdlib, imports resolved against keel.
// Compile-time switches make the broken variants the loader must refuse.
#include "dbt/base/format.h"
#include "dbt/plugin/abi.h"
#include "dbt/plugin/device.h"

namespace {

// Set by a constructor: proves the loader ran the init array before initialize().
unsigned g_constructed_value = 0;
struct Constructor {
    Constructor() { g_constructed_value = 0x42; }
} g_constructor;

class TestDevice final : public keel::Device {
public:
    const char* name() const override { return "test-device"; }
    void reset() override {}
    void save(keel::StateWriter&) const override {}
    keel::Result<void> restore(keel::StateReader&) override { return {}; }
    keel::u32 io_read(keel::u16, unsigned) override { return g_constructed_value; }
};

keel::Device* create(const keel::DeviceCreateArgs&, keel::Error*) { return new TestDevice; }

#ifdef KEEL_TEST_UNRESOLVED
extern "C" void keel_symbol_that_keel_does_not_export();
#endif

[[maybe_unused]] bool initialize(const keel::PluginHost* host, keel::PluginRegistry* registry, char* error, keel::usize error_size)
{
#ifdef KEEL_TEST_UNRESOLVED
    keel_symbol_that_keel_does_not_export();
#endif
    if (host->abi_version != KEEL_PLUGIN_ABI_VERSION) {
        keel::format(error, error_size, "host ABI %u", host->abi_version);
        return false;
    }
    // An import from keel (dbt/base/format.cpp), resolved by the loader.
    static char description[64];
    keel::format(description, sizeof(description), "answers 0x%x on every port", g_constructed_value);
    auto added = registry->add_device_type({ "test-device", description, "", create });
    if (added.is_error()) {
        keel::format(error, error_size, "%s", added.error().message());
        return false;
    }
    return true;
}

} // namespace

#if defined(KEEL_TEST_WRONG_ABI)
extern "C" __attribute__((visibility("default"), used)) const KeelPluginDescriptor keel_plugin_descriptor = {
    1000u, sizeof(KeelPluginDescriptor), "wrong-abi", "built for another keel", initialize
};
#elif defined(KEEL_TEST_NO_DESCRIPTOR)
// Keeps initialize() and so its imports (keel::format): a plugin that exports nothing but
// imports something gets a GNU hash table whose symoffset (1) does not cover the imports,
// which the loader must still relocate before it can say "not a keel plugin". Hidden: not
// exported.
extern "C" __attribute__((used)) void* const keel_test_keep_initialize = reinterpret_cast<void*>(&initialize);
#else
KEEL_PLUGIN("test-device", "a device for the plugin loader's tests", initialize);
#endif
