#include "hosted/terminal_console.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>
#include "hosted/stdin_queue.h"

namespace keel::hosted {
namespace {

termios g_saved_termios;
bool g_raw = false;

void restore_terminal()
{
    if (g_raw) {
        tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
        g_raw = false;
    }
}

void restore_and_die(int signal_number)
{
    restore_terminal();
    ::signal(signal_number, SIG_DFL);
    ::raise(signal_number);
}

// Raw input as QEMU's stdio character device sets it: bytes as typed (Enter is '\r'), no
// echo (the guest echoes), signals kept so Ctrl-C ends keel. Output processing is left on.
void make_raw()
{
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &g_saved_termios) != 0)
        return;
    termios raw = g_saved_termios;
    raw.c_iflag &= ~static_cast<tcflag_t>(ICRNL | INLCR | IGNCR | IXON | ISTRIP);
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | ECHONL | IEXTEN);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) != 0)
        return;
    g_raw = true;
    atexit(restore_terminal);
    for (int s : { SIGINT, SIGTERM, SIGHUP, SIGQUIT })
        ::signal(s, restore_and_die);
}

} // namespace

// The console's terminal: standard input through a bounded queue (hosted/stdin_queue.h),
// answers on standard output.
class TerminalConsole::StdinTerminal final : public machine::Terminal {
public:
    // A terminal's typing never fills this; pasted or piped input beyond it waits in the
    // pipe or tty until the guest takes what is queued.
    static constexpr usize capacity = 4096;

    explicit StdinTerminal(Engine& engine) : m_queue(engine, capacity) {}

    void start() { m_queue.start(); }
    void stop() { m_queue.stop(); }
    bool next_byte(u8& byte) override { return m_queue.next_byte(byte); }
    bool wait_byte(u8& byte) override
    {
        fflush(stdout);
        return m_queue.wait_byte(byte);
    }
    void write(const char* text, usize length) override
    {
        fwrite(text, 1, length, stdout);
        fflush(stdout);
    }
    bool finished() { return m_queue.finished(); }

private:
    StdinQueue m_queue;
};

TerminalConsole::TerminalConsole(machine::Machine& machine, Monitor& monitor, bool monitor_escape)
    : m_machine(machine)
    , m_terminal(new StdinTerminal(machine.engine()))
    , m_mux(new machine::ConsoleMux(machine, monitor, *m_terminal, monitor_escape))
{
}

TerminalConsole::~TerminalConsole()
{
    m_machine.engine().set_service_hook(nullptr, nullptr);
    m_machine.engine().set_host_input(false);
    // The reader calls the engine: it is stopped and joined before ~Machine frees that.
    m_terminal->stop();
    restore_terminal();
    delete m_mux;
    delete m_terminal;
}

void TerminalConsole::start()
{
    make_raw();
    m_machine.engine().set_service_hook(service, this);
    // A halted guest waits for what is typed, if it has a UART to receive it.
    m_machine.engine().set_host_input(m_machine.console_input() != nullptr);
    m_terminal->start();
}

void TerminalConsole::service(void* self)
{
    auto* console = static_cast<TerminalConsole*>(self);
    console->m_mux->service();
    if (console->m_terminal->finished()) // end of input and all of it delivered
        console->m_machine.engine().set_host_input(false);
}

} // namespace keel::hosted
