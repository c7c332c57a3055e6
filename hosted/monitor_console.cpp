#include "hosted/monitor_console.h"
#include <stdio.h>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace keel::hosted {

struct MonitorConsole::Reader {
    std::mutex lock;
    std::deque<std::string> lines;
    std::thread thread;
};

MonitorConsole::MonitorConsole(Engine& engine, Monitor& monitor) : m_engine(engine), m_monitor(monitor) {}

MonitorConsole::~MonitorConsole()
{
    m_engine.set_service_hook(nullptr, nullptr);
    if (m_reader) {
        m_reader->thread.detach(); // blocked in fgets; the process is ending
        m_reader = nullptr;        // leaked on purpose: the detached thread still uses it
    }
}

void MonitorConsole::start()
{
    m_reader = new Reader;
    m_engine.set_service_hook(service, this);
    fputs("keel monitor: type 'help' for commands\n(keel) ", stdout);
    fflush(stdout);
    m_reader->thread = std::thread([this, reader = m_reader] {
        char line[512];
        while (fgets(line, sizeof(line), stdin)) {
            {
                std::lock_guard<std::mutex> guard(reader->lock);
                reader->lines.emplace_back(line);
            }
            m_engine.request_service();
        }
    });
}

void MonitorConsole::service(void* self)
{
    auto* console = static_cast<MonitorConsole*>(self);
    for (;;) {
        std::string line;
        {
            std::lock_guard<std::mutex> guard(console->m_reader->lock);
            if (console->m_reader->lines.empty())
                return;
            line = console->m_reader->lines.front();
            console->m_reader->lines.pop_front();
        }
        StringBuilder out;
        bool keep_going = console->m_monitor.execute(line.c_str(), out);
        fwrite(out.c_str(), 1, out.length(), stdout);
        if (!keep_going) {
            fflush(stdout);
            console->m_engine.request_shutdown(0);
            return;
        }
        fputs("(keel) ", stdout);
        fflush(stdout);
    }
}

} // namespace keel::hosted
