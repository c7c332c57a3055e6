// `device pic8259 NAME port=0x20+2 port=0xa0+2 port=0x4d0+2 irq=cpu:0`: the PC's master and
// slave 8259A with the ELCR; its INT output drives the CPU's INTR pin, and the CPU
// acknowledges its interrupts after the local APIC's.
#include "plugins/devices/device_types.h"
#include "plugins/devices/pic8259/pic8259.h"

namespace keel::devices {
namespace {

Device* create(const DeviceCreateArgs& args, Error*)
{
    auto* pic = new Pic8259Pair(*args.irq);
    args.machine->add_interrupt_controller(pic);
    return pic;
}

} // namespace

const DeviceType pic8259_type = { "pic8259", "8259A PIC pair (master, cascaded slave, ELCR)", "", create };

} // namespace keel::devices
