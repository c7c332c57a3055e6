#pragma once
// The plugin ABI (docs/plugins.md). A plugin is an ELF64 shared object (-fPIC, -nostdlib)
// that exports one C symbol, `keel_plugin_descriptor`. keel loads the file with its own
// loader (dbt/loader/shared_object.h) in both hosts, resolves the plugin's imports against
// the symbols keel exports, checks abi_version BEFORE running any plugin code, then runs
// the plugin's constructors and calls initialize(), which registers what the plugin
// provides (devices, an architecture) in the registry.
//
// The version changes whenever anything a plugin can see changes incompatibly: anything
// under dbt/plugin/ (this header, the registry, the Device/Arch interfaces, CpuContext,
// ArchServices, MachineServices, the I/O handler and page-translator interfaces, the layout
// of a type they pass) or the dbt/ir Builder a plugin emits IR through. A plugin includes
// nothing else of keel (tests/layering/check_includes.sh enforces it), so nothing else can
// break it. 3: the architecture reaches the engine only through ArchServices. 4: RAM past
// the PCI hole (ArchServices/MachineServices::ram_below_4g), Arch::enter_linux_boot.
// 5: MachineServices::note_orderly_shutdown. 6: Translation::global,
// ArchServices::flush_tlb_non_global. 7: ArchServices::host_span.
// 8: ArchServices::interrupt_may_be_pending. 9: IR ExitIf, TranslationRequest::side_exits.
// 10: MachineServices::move_mmio_window. 11: Arch::enter_multiboot, Arch::enter_linux_boot32.
// 12: MachineServices::set_a20_input and set_memory_shadow, Arch::set_a20.
#include "dbt/base/result.h"

#define KEEL_PLUGIN_ABI_VERSION 12u
#define KEEL_PLUGIN_DESCRIPTOR_SYMBOL "keel_plugin_descriptor"

namespace keel {

class Arch;
class Device;
class HostServices;
class MachineServices;
class PluginRegistry;
class VirtualClock;
struct InterruptLine;

// What keel gives every plugin at initialize().
struct PluginHost {
    u32 abi_version;        // KEEL_PLUGIN_ABI_VERSION of the keel that loaded the plugin
    HostServices* services; // memory, time (dbt/runtime/host_services.h)
};

// What a device factory gets to build one instance, from the machine description.
struct DeviceCreateArgs {
    const char* instance_name; // "com1"
    MachineServices* machine;  // clock, console, other devices, shutdown/reset
    // The device's interrupt output, wired to every input its irq= words name (a fan-out
    // when several: ISA interrupts reach both the 8259 and the IOAPIC). Unconnected
    // when the line has no irq=.
    const InterruptLine* irq;
    u16 first_port;            // of its first port= range (0 if none)
    u64 first_mmio;            // of its first mmio= range (0 if none)
    const char* options;       // the rest of its machine-description line, "" if none
};

struct DeviceType {
    const char* name;        // what machine descriptions call it: "uart16550"
    const char* description; // one line, for `keel -device help`
    // The option keys its description lines may carry, space-separated ("" for none).
    // The machine refuses any other key before calling `create`.
    const char* options;
    // Null with a message in `error` when `args` are unusable (a bad option value).
    Device* (*create)(const DeviceCreateArgs& args, Error* error);
};

struct ArchType {
    const char* name; // "x86_64"
    Arch* (*create)();
};

class PluginRegistry {
public:
    virtual ~PluginRegistry() = default;
    virtual Result<void> add_device_type(const DeviceType& type) = 0;
    virtual Result<void> add_arch(const ArchType& type) = 0;
};

} // namespace keel

extern "C" {

struct KeelPluginDescriptor {
    keel::u32 abi_version; // KEEL_PLUGIN_ABI_VERSION as the plugin was built
    keel::u32 descriptor_size;
    const char* name;
    const char* description;
    // Registers what the plugin provides. Returns false and writes a message (NUL-terminated,
    // at most error_size bytes) when the plugin cannot work with this host.
    bool (*initialize)(const keel::PluginHost* host, keel::PluginRegistry* registry, char* error, keel::usize error_size);
};
}

// In exactly one file of a plugin: KEEL_PLUGIN("name", "what it provides", initialize_function)
#define KEEL_PLUGIN(name, description, initialize)                                                                      \
    extern "C" __attribute__((visibility("default"), used)) const KeelPluginDescriptor keel_plugin_descriptor = {      \
        KEEL_PLUGIN_ABI_VERSION, sizeof(KeelPluginDescriptor), name, description, initialize                            \
    }
