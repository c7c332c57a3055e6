#pragma once
// Standard input for the engine's thread: a reader thread moves what is typed (or piped)
// into a bounded queue and asks the engine for service (Engine::request_service) while
// bytes wait; the consoles take them between guest blocks. Bounded: when the queue is full
// the reader stops reading, so a flood (`yes | keel ...`) blocks its writer on the pipe
// instead of growing keel's memory. Stoppable: stop() (and the destructor) wakes the
// reader wherever it waits (poll on standard input and an eventfd, or the queue's
// condition variable) and joins it, so it never outlives the Engine it calls.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include "dbt/engine/engine.h"

namespace keel::hosted {

class StdinQueue {
public:
    StdinQueue(Engine& engine, usize capacity);
    ~StdinQueue(); // stop()
    StdinQueue(const StdinQueue&) = delete;
    StdinQueue& operator=(const StdinQueue&) = delete;

    // Starts the reader thread; false (with a message on stderr) when it cannot.
    bool start();
    // Wakes the reader and joins it; the engine is not called after this returns.
    void stop();

    // A byte, if one waits.
    bool next_byte(u8& byte);
    // Blocks until a byte arrives; false at the end of input (or after stop()).
    bool wait_byte(u8& byte);
    // The input has ended and every byte of it has been taken.
    bool finished();

private:
    void read_loop();
    bool take(u8& byte); // with m_lock held

    Engine& m_engine;
    const usize m_capacity;
    int m_wake = -1; // eventfd: stop() makes it readable
    std::thread m_thread;
    std::mutex m_lock;
    std::condition_variable m_changed; // a byte arrived or was taken, input ended, stop
    std::deque<u8> m_bytes;
    bool m_closed = false;
    bool m_stopping = false;
};

} // namespace keel::hosted
