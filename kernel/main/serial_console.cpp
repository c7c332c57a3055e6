#include "kernel/main/serial_console.h"
#include "kernel/arch/cpu.h"
#include "kernel/console/serial.h"
#include "kernel/time/clock.h"
#include "machine/console_mux.h"

namespace keel::kernel::serial_console {
namespace {

// Filled by the tick interrupt, drained by the service hook: single producer, single
// consumer, so indices suffice.
constexpr u32 ring_size = 256;
u8 g_ring[ring_size];
volatile u32 g_head = 0, g_tail = 0;

machine::Machine* volatile g_pc = nullptr;
machine::ConsoleMux* g_mux = nullptr;

void poll()
{
    u8 byte;
    while ((g_head + 1) % ring_size != g_tail && serial::read_byte(byte)) {
        // (when the ring is full the rest waits in the UART's FIFO)
        g_ring[g_head] = byte;
        g_head = (g_head + 1) % ring_size;
    }
    // Every tick while bytes wait: the guest's UART may take them one at a time, so the
    // service runs again once the guest has read the last one.
    if (g_head != g_tail)
        if (machine::Machine* pc = g_pc)
            pc->engine().request_service();
}

class SerialTerminal final : public machine::Terminal {
public:
    bool next_byte(u8& byte) override
    {
        if (g_tail == g_head)
            return false;
        byte = g_ring[g_tail];
        g_tail = (g_tail + 1) % ring_size;
        return true;
    }
    bool wait_byte(u8& byte) override
    {
        while (!next_byte(byte))
            asm volatile("sti; hlt" ::: "memory"); // the tick fills the ring
        return true;
    }
    void write(const char* text, usize length) override { serial::write(text, length); }
};

SerialTerminal g_terminal;

void service(void*)
{
    if (g_mux)
        g_mux->service();
}

} // namespace

void attach(machine::Machine& pc, Monitor& monitor)
{
    g_head = 0;
    g_tail = 0;
    g_mux = new machine::ConsoleMux(pc, monitor, g_terminal);
    pc.engine().set_service_hook(service, nullptr);
    pc.engine().set_host_input(true); // a halted guest waits for what is typed
    g_pc = &pc;
    clock::set_tick_hook(poll);
}

void detach()
{
    clock::set_tick_hook(nullptr);
    if (machine::Machine* pc = g_pc) {
        pc->engine().set_service_hook(nullptr, nullptr);
        pc->engine().set_host_input(false);
    }
    g_pc = nullptr;
    delete g_mux;
    g_mux = nullptr;
}

} // namespace keel::kernel::serial_console
