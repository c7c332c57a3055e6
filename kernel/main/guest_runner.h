#pragma once
// Runs one guest from the ESP in a fresh VM (machine::Machine, the built-in pc, on KernelHostServices), its
// COM1 on the host's serial console, and says how it ended.
#include "dbt/plugin/arch.h"
#include "dbt/plugin/type_registry.h"
#include "kernel/boot/boot_info.h"

namespace keel::kernel {

struct GuestOutcome {
    u8 exit_value; // what keel passes to QEMU's debug exit for this guest (exit_codes.h)
    u64 host_ns;   // from VM creation to the end of the run
    u64 guest_instructions_translated;
    u64 translations;
    char time_split[200]; // describe_time_split of the run: translating, halted, the rest
};

// `machine_file` is the description keel.cfg's machine = names, read from the ESP; unused
// when that names a built-in machine.
// `bios`: the file is firmware started at the reset vector (keel.cfg bios =).
GuestOutcome run_guest(const char* name, const LoadedFile& file, bool bios, const BootConfig& config, const LoadedFile& machine_file,
    const LoadedFile& initrd, Arch& arch,
    const TypeRegistry& types);

} // namespace keel::kernel
