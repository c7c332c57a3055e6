#include "dbt/engine/io_bus.h"
#include "dbt/base/log.h"

namespace keel {

Result<void> IoBus::add(u16 first, u16 count, PortHandler* handler, const char* name)
{
    for (const PortRange& r : m_ranges) {
        if (first < r.first + r.count && r.first < first + count)
            return Error::formatted("I/O ports 0x%x-0x%x of %s overlap %s", first, first + count - 1, name, r.name);
    }
    m_ranges.append({ first, count, handler, name });
    return {};
}

const PortRange* IoBus::find(u16 port) const
{
    for (const PortRange& r : m_ranges) {
        if (port >= r.first && port - r.first < r.count)
            return &r;
    }
    return nullptr;
}

u32 IoBus::read(u16 port, unsigned size)
{
    if (const PortRange* r = find(port))
        return r->handler->io_read(port, size);
    KEEL_LOG(GuestErrors, "io: read of unassigned port 0x%x (size %u)\n", port, size);
    return size == 4 ? 0xFFFFFFFFu : size == 2 ? 0xFFFFu : 0xFFu;
}

void IoBus::write(u16 port, u32 value, unsigned size)
{
    if (const PortRange* r = find(port)) {
        r->handler->io_write(port, value, size);
        return;
    }
    KEEL_LOG(GuestErrors, "io: write 0x%x to unassigned port 0x%x (size %u)\n", value, port, size);
}

} // namespace keel
