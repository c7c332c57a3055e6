#pragma once
// A machine as a text file (machines/pc.cfg): the architecture and which devices to
// create, at which ports and MMIO ranges, with their interrupt outputs wired to which
// controller input. docs/machines.md describes the format:
//
//   arch x86_64
//   device pic8259   pic   port=0x20+2 port=0xa0+2 port=0x4d0+2 irq=cpu:0
//   device uart16550 com1  port=0x3f8+8 irq=pic:4
//   device lapic     lapic mmio=0xfee00000+0x1000
//
// Other key=value words on a device line are handed to the device as its options.
#include "dbt/base/result.h"
#include "dbt/base/vector.h"

namespace keel::machine {

struct PortSpec {
    u16 first;
    u32 count;
};

struct MmioSpec {
    u64 base;
    u64 size;
};

struct IrqSpec {
    char controller[32]; // a device name, or "cpu" for the CPU's interrupt pin
    u32 line;
};

struct DeviceSpec {
    char type[32];
    char name[32];
    Vector<PortSpec> ports;
    Vector<MmioSpec> mmio;
    Vector<IrqSpec> irqs;
    char options[160]; // the remaining key=value words, space-separated
    u32 line;          // in the file, for messages
};

struct MachineDescription {
    char arch[32] {};
    Vector<DeviceSpec> devices;

    const DeviceSpec* find(const char* name) const;
};

// Refuses, naming file and line: unknown words, malformed numbers, duplicate names, port or
// MMIO ranges that overlap another device's, interrupts wired to an undeclared controller.
Result<MachineDescription> parse_machine_description(const char* text, usize length, const char* file_name);

} // namespace keel::machine
