#pragma once
// `keel -monitor stdio`: monitor commands typed on standard input, answered on standard
// output between guest blocks (dbt/engine/monitor.h). Every input line is a command: the
// guest has no serial input yet, so nothing needs QEMU's Ctrl-A c multiplexing.
#include "dbt/engine/engine.h"
#include "dbt/engine/monitor.h"

namespace keel::hosted {

class MonitorConsole {
public:
    MonitorConsole(Engine& engine, Monitor& monitor);
    ~MonitorConsole();
    // Starts reading standard input on a thread of its own.
    void start();

private:
    static void service(void* self);
    struct Reader;
    Engine& m_engine;
    Monitor& m_monitor;
    Reader* m_reader = nullptr;
};

} // namespace keel::hosted
