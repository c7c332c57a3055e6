#include "plugins/devices/debug_exit/debug_exit.h"

namespace keel::devices {

void DebugExit::io_write(u16, u32 value, unsigned size)
{
    u32 mask = size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    m_machine.request_shutdown(static_cast<int>(((value & mask) << 1) | 1));
}

} // namespace keel::devices
