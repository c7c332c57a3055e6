#pragma once
// The kernel's freestanding C/C++ runtime (kernel/runtime/): mem*/str*, operator
// new/delete on the kernel heap, the C++ ABI hooks, and the libstdc++ pieces that xbyak
// and the containers use.

namespace keel::kernel::runtime {
// Calls the constructors in .init_array (collected by kernel/efi.lds). Once, after the
// heap is up: constructors may allocate.
void run_global_constructors();
} // namespace keel::kernel::runtime
