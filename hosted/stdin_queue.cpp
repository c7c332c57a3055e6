#include "hosted/stdin_queue.h"
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <chrono>

namespace keel::hosted {

StdinQueue::StdinQueue(Engine& engine, usize capacity) : m_engine(engine), m_capacity(capacity) {}

StdinQueue::~StdinQueue()
{
    stop();
    if (m_wake >= 0)
        close(m_wake);
}

bool StdinQueue::start()
{
    m_wake = eventfd(0, EFD_CLOEXEC);
    if (m_wake < 0) {
        fprintf(stderr, "keel: standard input is not read (eventfd: %s)\n", strerror(errno));
        return false;
    }
    m_thread = std::thread([this] { read_loop(); });
    return true;
}

void StdinQueue::stop()
{
    if (!m_thread.joinable())
        return;
    {
        std::lock_guard<std::mutex> guard(m_lock);
        m_stopping = true;
        m_changed.notify_all();
    }
    u64 one = 1;
    while (write(m_wake, &one, sizeof(one)) < 0 && errno == EINTR)
        ;
    m_thread.join();
}

bool StdinQueue::take(u8& byte)
{
    if (m_bytes.empty())
        return false;
    byte = m_bytes.front();
    m_bytes.pop_front();
    m_changed.notify_all(); // room for the reader
    return true;
}

bool StdinQueue::next_byte(u8& byte)
{
    std::lock_guard<std::mutex> guard(m_lock);
    return take(byte);
}

bool StdinQueue::wait_byte(u8& byte)
{
    std::unique_lock<std::mutex> guard(m_lock);
    m_changed.wait(guard, [this] { return !m_bytes.empty() || m_closed || m_stopping; });
    return take(byte);
}

bool StdinQueue::finished()
{
    std::lock_guard<std::mutex> guard(m_lock);
    return m_closed && m_bytes.empty();
}

void StdinQueue::read_loop()
{
    // The engine takes bytes only when asked for service, and a console may take one at a
    // time (a UART without FIFO), so while bytes wait the reader asks again every millisecond.
    constexpr auto ask_again = std::chrono::milliseconds(1);
    for (;;) {
        usize room;
        {
            std::unique_lock<std::mutex> guard(m_lock);
            while (!m_stopping && m_bytes.size() >= m_capacity) {
                guard.unlock();
                m_engine.request_service();
                guard.lock();
                m_changed.wait_for(guard, ask_again);
            }
            if (m_stopping)
                return;
            room = m_capacity - m_bytes.size();
        }
        bool waiting = room < m_capacity;
        if (waiting)
            m_engine.request_service();
        pollfd fds[2] = { { STDIN_FILENO, POLLIN, 0 }, { m_wake, POLLIN, 0 } };
        int ready = ::poll(fds, 2, waiting ? 1 : -1);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready > 0 && fds[1].revents)
            return; // stop()
        if (ready == 0)
            continue;
        u8 buffer[256];
        ssize_t n = ready > 0 ? ::read(STDIN_FILENO, buffer, room < sizeof(buffer) ? room : sizeof(buffer)) : -1;
        if (n < 0 && errno == EINTR)
            continue;
        std::lock_guard<std::mutex> guard(m_lock);
        if (n <= 0) { // end of input (or an error, which ends it too): what is queued is still delivered
            m_closed = true;
            m_changed.notify_all();
            break;
        }
        m_bytes.insert(m_bytes.end(), buffer, buffer + n);
        m_changed.notify_all();
    }
    // Deliver the rest, until stop(); the last service sees the input finished (even with
    // nothing left queued: a monitor line without its newline is then complete).
    for (;;) {
        m_engine.request_service();
        {
            std::lock_guard<std::mutex> guard(m_lock);
            if (m_bytes.empty() || m_stopping)
                return;
        }
        pollfd wake { m_wake, POLLIN, 0 };
        ::poll(&wake, 1, 1);
    }
}

} // namespace keel::hosted
