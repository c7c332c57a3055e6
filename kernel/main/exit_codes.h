#pragma once
// How a keel boot ends. keel writes a value v to QEMU's isa-debug-exit port (0xF4), and
// QEMU exits with status (v << 1) | 1. A guest's own debug-exit value passes through
// unchanged (for the last guest the configuration names); keel's own outcomes use values a
// test guest does not: docs/kernel.md lists them.
#include "dbt/base/types.h"

namespace keel::kernel {

enum class ExitCode : u8 {
    GuestFileProblem = 0x70, // a guest file is missing, corrupt or not loadable; or keel.cfg is bad
    GuestTripleFault = 0x71,
    GuestHaltedForever = 0x72, // HLT with interrupts disabled: nothing can wake it
    GuestUnsupported = 0x73,   // the guest needs something keel does not implement
    PluginRefused = 0x74,      // a plugin on the ESP is not one keel can load; no VM starts
    GuestPoweredOff = 0x75,    // the guest powered the machine off (ACPI S5)
    GuestReset = 0x76,         // the guest reset the machine after an orderly shutdown (ACPI _TTS)
    GuestEmergencyReset = 0x77, // ... without one: a panic with panic=-1, an OS without ACPI
    KernelPanic = 0x7f,
};

constexpr u16 debug_exit_port = 0xF4;

// Ends the QEMU run (isa-debug-exit); on a machine without that device, halts.
[[noreturn]] void exit_qemu(u8 value);

} // namespace keel::kernel
