#pragma once
#include "kernel/boot/boot_info.h"

namespace keel::kernel {
// The kernel proper, on its own stack with paging, interrupts, the heap and global
// constructors ready: logs the machine, runs the configured guests, ends the boot.
[[noreturn]] void kernel_main(BootInfo* info);
} // namespace keel::kernel
