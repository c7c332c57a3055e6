// `device uart16550 NAME port=BASE+8 [irq=...] [console=stdio]`: a 16550A at BASE. With
// console=stdio its output is the host console and the host terminal's input is its
// receive line (one such UART per machine).
#include "plugins/devices/device_types.h"
#include "plugins/devices/uart16550/uart16550.h"
#include "dbt/base/string.h"

namespace keel::devices {
namespace {

Device* create(const DeviceCreateArgs& args, Error* error)
{
    char console[16] = "none";
    find_device_option(args.options, "console", console, sizeof(console));
    bool on_console = string_equal(console, "stdio");
    if (!on_console && !string_equal(console, "none")) {
        *error = Error::formatted("%s: console=%s: only 'stdio' or 'none'", args.instance_name, console);
        return nullptr;
    }
    if (!args.first_port) {
        *error = Error::formatted("%s: a UART needs its port range (port=BASE+8)", args.instance_name);
        return nullptr;
    }
    auto* uart = on_console ? new Uart16550(write_to_machine_console, args.machine) : new Uart16550(nullptr, nullptr);
    uart->set_base(args.first_port);
    uart->set_irq_line(*args.irq);
    if (on_console)
        args.machine->set_console_input(uart);
    return uart;
}

} // namespace

const DeviceType uart16550_type = { "uart16550", "16550A UART (FIFOs, interrupts, modem lines; console=stdio)", "console", create };

} // namespace keel::devices
