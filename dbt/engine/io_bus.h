#pragma once
// The guest's port I/O space (x86 IN/OUT): ranges of ports routed to device handlers.
#include "dbt/base/result.h"
#include "dbt/base/vector.h"
#include "dbt/plugin/io_handlers.h"

namespace keel {

struct PortRange {
    u16 first;
    u16 count;
    PortHandler* handler;
    const char* name;
};

class IoBus {
public:
    Result<void> add(u16 first, u16 count, PortHandler* handler, const char* name);
    // Unclaimed ports read as all ones and ignore writes (logged under guest_errors).
    u32 read(u16 port, unsigned size);
    void write(u16 port, u32 value, unsigned size);
    const Vector<PortRange>& ranges() const { return m_ranges; }

private:
    const PortRange* find(u16 port) const;
    Vector<PortRange> m_ranges;
};

} // namespace keel
