#include "hosted/terminal_console.h"
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

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

// Bytes from the reader thread to the engine's thread. While bytes wait, the reader asks
// for service every millisecond: the guest's UART may take them one at a time.
class TerminalConsole::StdinTerminal final : public machine::Terminal {
public:
    explicit StdinTerminal(Engine& engine) : m_engine(engine) {}

    void start()
    {
        std::thread([this] { read_loop(); }).detach(); // blocked in poll when keel exits
    }

    bool next_byte(u8& byte) override
    {
        std::lock_guard<std::mutex> guard(m_lock);
        if (m_bytes.empty())
            return false;
        byte = m_bytes.front();
        m_bytes.pop_front();
        return true;
    }
    bool wait_byte(u8& byte) override
    {
        fflush(stdout);
        std::unique_lock<std::mutex> guard(m_lock);
        m_ready.wait(guard, [this] { return !m_bytes.empty() || m_closed; });
        if (m_bytes.empty())
            return false;
        byte = m_bytes.front();
        m_bytes.pop_front();
        return true;
    }
    void write(const char* text, usize length) override
    {
        fwrite(text, 1, length, stdout);
        fflush(stdout);
    }
    bool finished()
    {
        std::lock_guard<std::mutex> guard(m_lock);
        return m_closed && m_bytes.empty();
    }

private:
    void read_loop()
    {
        for (;;) {
            bool waiting;
            {
                std::lock_guard<std::mutex> guard(m_lock);
                waiting = !m_bytes.empty();
            }
            if (waiting)
                m_engine.request_service();
            pollfd fd { STDIN_FILENO, POLLIN, 0 };
            int ready = ::poll(&fd, 1, waiting ? 1 : -1);
            if (ready == 0)
                continue;
            u8 buffer[256];
            ssize_t n = ready > 0 ? ::read(STDIN_FILENO, buffer, sizeof(buffer)) : -1;
            if (n < 0 && ready < 0)
                continue; // interrupted poll
            std::lock_guard<std::mutex> guard(m_lock);
            if (n <= 0) { // end of input: what is queued is still delivered
                m_closed = true;
                m_ready.notify_all();
                break;
            }
            m_bytes.insert(m_bytes.end(), buffer, buffer + n);
            m_ready.notify_all();
        }
        // Deliver the rest; the last service sees the input finished.
        for (;;) {
            m_engine.request_service();
            {
                std::lock_guard<std::mutex> guard(m_lock);
                if (m_bytes.empty())
                    return;
            }
            usleep(1000);
        }
    }

    Engine& m_engine;
    std::mutex m_lock;
    std::condition_variable m_ready;
    std::deque<u8> m_bytes;
    bool m_closed = false;
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
    restore_terminal();
    delete m_mux;
    // m_terminal is leaked on purpose: the detached reader thread may still use it.
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
