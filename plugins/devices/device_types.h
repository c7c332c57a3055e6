#pragma once
// The device types of plugins/devices: each folder defines one (<name>_type.cpp: the
// factory a machine description's `device <name> ...` line calls) and builds one plugin
// file with it (plugin.cpp, build/plugins/<name>.so). The keel command and the kernel get
// them from those files; the unit tests, the differential tester and the benchmarks, which
// link the devices directly, register them with register_builtin_devices().
#include "dbt/plugin/abi.h"
#include "dbt/plugin/device.h"
#include "dbt/plugin/device_options.h"
#include "plugins/devices/system_control.h"

namespace keel::devices {

extern const DeviceType acpi_pm_type;
extern const DeviceType cmos_rtc_type;
extern const DeviceType debug_exit_type;
extern const DeviceType i8042_type;
extern const DeviceType ioapic_type;
extern const DeviceType lapic_type;
extern const DeviceType pci_type;
extern const DeviceType pic8259_type;
extern const DeviceType pit8254_type;
extern const DeviceType port92_type;
extern const DeviceType post_code_type;
extern const DeviceType debugcon_type;
extern const DeviceType uart16550_type;
extern const DeviceType vga_text_type;

Result<void> register_builtin_devices(PluginRegistry& registry);

// Factory helpers.
// An Output callback (UART, VGA) whose context is the MachineServices: the host console.
inline void write_to_machine_console(void* machine, const char* bytes, usize length)
{
    static_cast<MachineServices*>(machine)->console_write(bytes, length);
}
// The machine's reset line, for the devices that drive it (I8042, Port92, the PCI host's
// 0xCF9), and its A20 inputs for the two that also drive one: the I8042's output port
// (input 0) and Port92 (input 1), which the machine ORs into the CPU's gate.
inline SystemControl machine_reset_control(MachineServices* machine)
{
    return { machine, [](void* m) { static_cast<MachineServices*>(m)->request_reset(); }, nullptr };
}
template<unsigned A20Input>
inline SystemControl machine_system_control(MachineServices* machine)
{
    SystemControl control = machine_reset_control(machine);
    control.a20_changed = [](void* m, bool enabled) { static_cast<MachineServices*>(m)->set_a20_input(A20Input, enabled); };
    return control;
}
constexpr unsigned a20_input_keyboard_controller = 0, a20_input_port92 = 1;

} // namespace keel::devices
