#pragma once
// The host's serial console while a guest runs: what the user types goes to the guest's
// COM1, except QEMU's escape, Ctrl-A c, which switches to keel's monitor (the guest is
// stopped meanwhile) and back. The LAPIC tick polls the UART; the engine's service hook
// does the work between guest blocks.
#include "dbt/engine/monitor.h"
#include "machine/machine.h"

namespace keel::kernel::serial_console {

void attach(machine::Machine& pc, Monitor& monitor);
void detach();

} // namespace keel::kernel::serial_console
