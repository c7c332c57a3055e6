#pragma once
// QEMU's isa-debug-exit: a write of v to its port ends the run with exit status
// (v << 1) | 1, so a guest can report a result to the host.
#include "dbt/engine/engine.h"

namespace keel::devices {

class DebugExit final : public PortHandler {
public:
    explicit DebugExit(Engine& engine) : m_engine(engine) {}
    u32 io_read(u16, unsigned) override { return 0xFFFFFFFFu; }
    void io_write(u16 port, u32 value, unsigned size) override;

    static constexpr u16 default_port = 0xF4;

private:
    Engine& m_engine;
};

} // namespace keel::devices
