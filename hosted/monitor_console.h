#pragma once
// `keel -monitor stdio`: monitor commands typed on standard input, answered on standard
// output between guest blocks (dbt/engine/monitor.h). Every input line is a command: the
// guest has no serial input yet, so nothing needs QEMU's Ctrl-A c multiplexing.
#include "dbt/engine/engine.h"
#include "dbt/engine/monitor.h"
#include "hosted/stdin_queue.h"

namespace keel::hosted {

class MonitorConsole {
public:
    MonitorConsole(Engine& engine, Monitor& monitor);
    // Stops and joins the reader before the Engine it calls can go.
    ~MonitorConsole();
    // Starts reading standard input on a thread of its own.
    void start();

private:
    static void service(void* self);
    void execute_line();
    // A line longer than this is refused, not split into commands.
    static constexpr usize max_line = 511;
    // Input waiting to be executed; a flood of commands beyond it waits in the pipe.
    static constexpr usize capacity = 4096;
    static constexpr usize max_commands_per_service = 8;

    Engine& m_engine;
    Monitor& m_monitor;
    StdinQueue m_input;
    char m_line[max_line + 1] = {};
    usize m_length = 0;
    bool m_too_long = false;
    bool m_quit = false;
};

} // namespace keel::hosted
