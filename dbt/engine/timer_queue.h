#pragma once
// The virtual clock's timers: a small set of one-shot deadlines, fired in deadline order
// as time advances. The engine advances it with guest execution; tests advance it by hand.
#include "dbt/base/vector.h"
#include "dbt/plugin/virtual_clock.h"

namespace keel {

class TimerQueue final : public VirtualClock {
public:
    u64 now_ns() const override { return m_now; }
    void arm(TimerClient* client, u32 id, u64 deadline_ns) override;
    void cancel(TimerClient* client, u32 id) override;

    // Moves time forward to `target_ns` (never backwards), firing every timer due on the
    // way, earliest first. During a callback now_ns() is that timer's deadline, so a
    // periodic device re-arming at deadline + period does not drift.
    void advance_to(u64 target_ns);
    // The earliest armed deadline, or ~0 when none.
    u64 next_deadline() const;
    usize armed_count() const { return m_timers.size(); }

private:
    struct Armed {
        TimerClient* client;
        u32 id;
        u64 deadline;
        u64 sequence; // arming order, to break ties deterministically
    };
    Vector<Armed> m_timers;
    u64 m_now = 0;
    u64 m_sequence = 0;
};

} // namespace keel
