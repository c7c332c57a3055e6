#pragma once
// The keel command's standard input while a guest runs (-serial mon:stdio or stdio): what
// is typed goes to the guest's console UART, and with mon:stdio Ctrl-A c opens the monitor,
// as in QEMU (machine/console_mux.h). A thread reads standard input; on a
// terminal it is put in raw mode (no line editing or echo; Ctrl-C still ends keel) and
// restored when keel exits.
#include "dbt/engine/monitor.h"
#include "machine/console_mux.h"

namespace keel::hosted {

class TerminalConsole {
public:
    TerminalConsole(machine::Machine& machine, Monitor& monitor, bool monitor_escape);
    ~TerminalConsole();
    void start();

private:
    static void service(void* self);
    class StdinTerminal;
    machine::Machine& m_machine;
    StdinTerminal* m_terminal;
    machine::ConsoleMux* m_mux;
};

} // namespace keel::hosted
