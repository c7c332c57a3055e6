#pragma once
// The monitor, as QEMU's: commands that inspect (and end) a running VM. Hosts feed it
// lines (the keel command's -monitor stdio; the kernel's serial console) at a point where
// the guest is stopped between blocks, and print what it answers.
//
//   info registers | info mtree | info mem | info blocks | info devices | info DEVICE
//   x/NFU ADDR (F: x or d; U: b h w g) | xp/NFU ADDR (physical) | quit | help
// and the items the machine adds (info irq).
#include "dbt/base/string_builder.h"
#include "dbt/base/vector.h"

namespace keel {

class Engine;
class Device;

class Monitor {
public:
    explicit Monitor(Engine& engine) : m_engine(engine) {}

    // `info NAME` describes the device registered under NAME (or its type name: `info
    // pic8259`), and QEMU's `info pic`/`info lapic` find the first device of those types.
    void add_device(Device* device, const char* instance_name);

    // Another `info ITEM`, from the layer that knows it (the machine's `info irq`): a line
    // of help and what appends the answer.
    using InfoFunction = void (*)(void* context, StringBuilder& out);
    void add_info(const char* item, const char* help, InfoFunction describe, void* context);

    // Runs one command; appends its output (or a one-line error). Returns false after `quit`.
    bool execute(const char* line, StringBuilder& out);

private:
    void info(const char* what, StringBuilder& out);
    void examine(const char* format, const char* address, bool physical, StringBuilder& out);

    struct NamedDevice {
        Device* device;
        const char* name;
    };
    struct ExtraInfo {
        const char* item;
        const char* help;
        InfoFunction describe;
        void* context;
    };
    Engine& m_engine;
    Vector<NamedDevice> m_devices;
    Vector<ExtraInfo> m_extra_infos;
};

} // namespace keel
