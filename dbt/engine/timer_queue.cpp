#include "dbt/engine/timer_queue.h"

namespace keel {

void TimerQueue::arm(TimerClient* client, u32 id, u64 deadline_ns)
{
    for (Armed& t : m_timers) {
        if (t.client == client && t.id == id) {
            t.deadline = deadline_ns;
            t.sequence = m_sequence++;
            return;
        }
    }
    m_timers.append({ client, id, deadline_ns, m_sequence++ });
}

void TimerQueue::cancel(TimerClient* client, u32 id)
{
    for (usize i = 0; i < m_timers.size(); ++i) {
        if (m_timers[i].client == client && m_timers[i].id == id) {
            m_timers.remove_unordered(i);
            return;
        }
    }
}

u64 TimerQueue::next_deadline() const
{
    u64 earliest = ~0ull;
    for (const Armed& t : m_timers)
        earliest = t.deadline < earliest ? t.deadline : earliest;
    return earliest;
}

void TimerQueue::advance_to(u64 target_ns)
{
    for (;;) {
        // The earliest due timer; ties fire in arming order.
        usize due = m_timers.size();
        for (usize i = 0; i < m_timers.size(); ++i) {
            const Armed& t = m_timers[i];
            if (t.deadline > target_ns)
                continue;
            if (due == m_timers.size() || t.deadline < m_timers[due].deadline
                || (t.deadline == m_timers[due].deadline && t.sequence < m_timers[due].sequence))
                due = i;
        }
        if (due == m_timers.size())
            break;
        Armed fired = m_timers[due];
        m_timers.remove_unordered(due);
        if (fired.deadline > m_now)
            m_now = fired.deadline;
        fired.client->timer_expired(fired.id, m_now);
    }
    if (target_ns > m_now)
        m_now = target_ns;
}

} // namespace keel
