#pragma once
// Time as devices see it (issue 4, "virtual time"): nanoseconds of guest time, and
// one-shot timers against it. The engine advances the clock with guest execution (and
// with host time while the guest halts); tests advance it by hand (dbt/engine/timer_queue.h).
#include "dbt/base/types.h"

namespace keel {

class TimerClient {
public:
    virtual ~TimerClient() = default;
    // Timer `id` of this client reached its deadline; `now_ns` >= the deadline. May re-arm.
    virtual void timer_expired(u32 id, u64 now_ns) = 0;
};

class VirtualClock {
public:
    virtual ~VirtualClock() = default;
    virtual u64 now_ns() const = 0;
    // Arms (or re-arms: at most one deadline per (client, id)) a one-shot timer. A deadline
    // in the past fires at the next advance.
    virtual void arm(TimerClient* client, u32 id, u64 deadline_ns) = 0;
    virtual void cancel(TimerClient* client, u32 id) = 0;
};

} // namespace keel
