#pragma once
// Kernel panics: print what is known about the CPU state on the serial console (in the
// style of QEMU's `info registers`), a backtrace, and end the run with
// ExitCode::KernelPanic. docs/kernel-debugging.md shows the output.
#include "dbt/base/types.h"

namespace keel::kernel {

struct InterruptFrame;

// For exceptions and interrupts nobody handled: the interrupted state from the frame.
[[noreturn]] void panic_with_frame(const InterruptFrame& frame, const char* reason);

// keel's PanicHandler in the kernel (install with keel::set_panic_handler): VERIFY and
// PANIC end up here.
[[noreturn]] void panic_handler(const char* file, int line, const char* message);

} // namespace keel::kernel
