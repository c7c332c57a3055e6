#pragma once
// The host terminal while a guest runs, as QEMU's `-serial mon:stdio`: typed bytes go to
// the machine's console UART (console=stdio), except the escape Ctrl-A: Ctrl-A c stops
// the guest and opens keel's monitor on the same terminal until Ctrl-A c again (or
// `quit`, which ends the run), Ctrl-A Ctrl-A sends one Ctrl-A. Both hosts use it: the
// kernel over its serial port, the keel command over standard input.
#include "dbt/engine/monitor.h"
#include "machine/machine.h"

namespace keel::machine {

// Where the bytes come from and the monitor's answers go.
class Terminal {
public:
    virtual ~Terminal() = default;
    // A typed byte, if one is waiting.
    virtual bool next_byte(u8& byte) = 0;
    // Blocks until a byte is typed; false when the terminal is closed (end of input).
    virtual bool wait_byte(u8& byte) = 0;
    virtual void write(const char* text, usize length) = 0;
};

class ConsoleMux {
public:
    static constexpr u8 escape = 0x01; // Ctrl-A

    // Without `escape` (QEMU's -serial stdio rather than mon:stdio) every byte, Ctrl-A
    // included, is the guest's.
    ConsoleMux(Machine& machine, Monitor& monitor, Terminal& terminal, bool escape = true)
        : m_machine(machine), m_monitor(monitor), m_terminal(terminal), m_escape_enabled(escape) {}

    // Between guest blocks (the engine's service hook): hands the guest's UART what it has
    // room for, and runs the monitor when asked to.
    void service();

private:
    // Monitor mode: returns false after `quit` or when the terminal closed.
    bool run_monitor();
    void write(const char* text);

    Machine& m_machine;
    Monitor& m_monitor;
    Terminal& m_terminal;
    bool m_escape_enabled;
    bool m_escape_pending = false;
};

} // namespace keel::machine
