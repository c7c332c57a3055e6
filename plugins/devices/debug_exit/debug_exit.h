#pragma once
// QEMU's isa-debug-exit: a write of v to its port ends the run with exit status
// (v << 1) | 1, so a guest can report a result to the host. Reads return all ones.
// No state: nothing to reset, save or restore.
#include "dbt/plugin/device.h"

namespace keel::devices {

class DebugExit final : public Device {
public:
    static constexpr u16 default_port = 0xF4;

    explicit DebugExit(MachineServices& machine) : m_machine(machine) {}

    const char* name() const override { return "debug_exit"; }
    void reset() override {}
    void save(StateWriter&) const override {}
    Result<void> restore(StateReader&) override { return {}; }

    void io_write(u16 port, u32 value, unsigned size) override;

private:
    MachineServices& m_machine;
};

} // namespace keel::devices
