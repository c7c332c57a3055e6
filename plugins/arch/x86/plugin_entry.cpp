// The x86-64 architecture as a keel plugin (docs/plugins.md): x86_64.so registers the
// architecture "x86_64"; the keel command and the kernel create their guest CPUs from it.
#include "dbt/base/format.h"
#include "dbt/plugin/abi.h"
#include "plugins/arch/x86/x86_arch.h"

namespace {

keel::Arch* create_x86_64() { return new keel::x86::X86Arch; }

bool initialize(const keel::PluginHost* host, keel::PluginRegistry* registry, char* error, keel::usize error_size)
{
    if (host->abi_version != KEEL_PLUGIN_ABI_VERSION) {
        keel::format(error, error_size, "built for plugin ABI %u, host has %u", KEEL_PLUGIN_ABI_VERSION, host->abi_version);
        return false;
    }
    auto added = registry->add_arch({ "x86_64", create_x86_64 });
    if (added.is_error()) {
        keel::format(error, error_size, "%s", added.error().message());
        return false;
    }
    return true;
}

} // namespace

KEEL_PLUGIN("x86_64", "the x86-64 guest architecture: Zydis frontend, 4-level paging, 64-bit IDT", initialize);
