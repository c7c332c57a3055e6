#include "hosted/monitor_console.h"
#include <stdio.h>

namespace keel::hosted {

MonitorConsole::MonitorConsole(Engine& engine, Monitor& monitor) : m_engine(engine), m_monitor(monitor), m_input(engine, capacity)
{
}

MonitorConsole::~MonitorConsole()
{
    m_engine.set_service_hook(nullptr, nullptr);
    m_input.stop();
}

void MonitorConsole::start()
{
    m_engine.set_service_hook(service, this);
    fputs("keel monitor: type 'help' for commands\n(keel) ", stdout);
    fflush(stdout);
    m_input.start();
}

void MonitorConsole::service(void* self)
{
    auto* console = static_cast<MonitorConsole*>(self);
    // A few commands per service, so a flood of them still lets the guest run between
    // services (the reader asks again while input waits): with a queue's worth per
    // service, a guest under `yes | keel -monitor stdio` ran one block per 2048 commands.
    // Bytes are bounded too: the reader refills the queue while this drains it.
    u8 c;
    usize executed = 0;
    for (usize taken = 0; taken < capacity && executed < max_commands_per_service && !console->m_quit
         && console->m_input.next_byte(c);
         ++taken) {
        if (c == '\n') {
            console->execute_line();
            ++executed;
        } else if (console->m_length < max_line)
            console->m_line[console->m_length++] = static_cast<char>(c);
        else
            console->m_too_long = true;
    }
    // A last line without its newline is still a command.
    if (!console->m_quit && (console->m_length || console->m_too_long) && console->m_input.finished())
        console->execute_line();
}

void MonitorConsole::execute_line()
{
    m_line[m_length] = '\0';
    bool too_long = m_too_long;
    m_length = 0;
    m_too_long = false;
    StringBuilder out;
    bool keep_going = true;
    if (too_long)
        out.append("keel monitor: line too long (at most %zu characters)\n", max_line);
    else
        keep_going = m_monitor.execute(m_line, out);
    fwrite(out.c_str(), 1, out.length(), stdout);
    if (!keep_going) {
        fflush(stdout);
        m_quit = true;
        m_engine.request_shutdown(0);
        return;
    }
    fputs("(keel) ", stdout);
    fflush(stdout);
}

} // namespace keel::hosted
