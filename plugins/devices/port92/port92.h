#pragma once
// System Control Port A at 0x92, the "fast A20 and fast reset" port of PS/2 and later PC
// chipsets (Intel 82371AB PIIX4 data sheet, "Port 92 Register"; IBM PS/2 Hardware
// Interface Technical Reference, "System Control Port A"). docs/devices/port92.md.
#include "dbt/plugin/device.h"
#include "plugins/devices/system_control.h"

namespace keel::devices {

class Port92 final : public Device {
public:
    static constexpr u16 port = 0x92;
    static constexpr u8 state_version = 1;

    // `reset_system` is called on a 0-to-1 write of bit 0, `a20_changed` when bit 1
    // changes (system_control.h: the chipset ORs it with the keyboard controller's A20).
    using System = SystemControl;

    explicit Port92(System system) : m_system(system) {}

    const char* name() const override { return "port92"; }
    void reset() override;
    void save(StateWriter& out) const override;
    Result<void> restore(StateReader& in) override;
    void describe(StringBuilder& out) const override;

    u32 io_read(u16 port, unsigned size) override;
    void io_write(u16 port, u32 value, unsigned size) override;

    bool a20_enabled() const { return m_value & 0x02; }

private:
    void set(u8 value);

    System m_system;
    u8 m_value = 0; // bits 0 (fast reset) and 1 (fast A20); the rest read as 0
};

} // namespace keel::devices
