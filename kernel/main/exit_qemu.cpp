#include "kernel/arch/cpu.h"
#include "kernel/main/exit_codes.h"

namespace keel::kernel {

// QEMU's isa-debug-exit (-device isa-debug-exit,iobase=0xf4,iosize=0x04) exits with
// (value << 1) | 1 on any write. Without the device the write goes nowhere and we halt.
void exit_qemu(u8 value)
{
    cpu::cli();
    cpu::outl(debug_exit_port, value);
    cpu::halt_forever();
}

} // namespace keel::kernel
