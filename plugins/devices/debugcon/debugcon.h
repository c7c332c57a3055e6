#pragma once
// The firmware debug console at port 0x402 (QEMU's isa-debugcon, as `-debugcon` places it
// for SeaBIOS): bytes written go out unchanged; a read returns 0xE9, the value firmware
// checks before it writes (SeaBIOS's debug output stays off without it).
// docs/devices/debugcon.md.
#include "dbt/plugin/device.h"

namespace keel::devices {

class Debugcon final : public Device {
public:
    using Output = void (*)(void* context, const char* bytes, usize length);

    static constexpr u8 readback = 0xE9;
    static constexpr u8 state_version = 1;

    // `output` may be null: the bytes are only counted.
    Debugcon(Output output, void* context) : m_output(output), m_context(context) {}

    const char* name() const override { return "debugcon"; }
    void reset() override { m_bytes = 0; }
    void save(StateWriter& out) const override;
    Result<void> restore(StateReader& in) override;
    void describe(StringBuilder& out) const override;

    u32 io_read(u16 port, unsigned size) override;
    void io_write(u16 port, u32 value, unsigned size) override;

    u64 bytes() const { return m_bytes; }

private:
    Output m_output;
    void* m_context;
    u64 m_bytes = 0;
};

} // namespace keel::devices
