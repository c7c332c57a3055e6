#include "kernel/main/serial_console.h"
#include "dbt/base/string_builder.h"
#include "kernel/arch/cpu.h"
#include "kernel/console/serial.h"
#include "kernel/time/clock.h"

namespace keel::kernel::serial_console {
namespace {

constexpr u8 escape = 0x01; // Ctrl-A, as QEMU's -serial mon:stdio

// Filled by the tick interrupt, drained by the service hook: single producer, single
// consumer, so indices suffice.
constexpr u32 ring_size = 256;
u8 g_ring[ring_size];
volatile u32 g_head = 0, g_tail = 0;

machine::Machine* volatile g_pc = nullptr;
Monitor* g_monitor = nullptr;
bool g_escape_pending = false;

void poll()
{
    u8 byte;
    while ((g_head + 1) % ring_size != g_tail && serial::read_byte(byte)) {
        // (when the ring is full the rest waits in the UART's FIFO)
        g_ring[g_head] = byte;
        g_head = (g_head + 1) % ring_size;
    }
    // Every tick while bytes wait: the guest's UART takes them one at a time (a 16450 or
    // a 16550 with its FIFO off holds one byte), so the service runs again once the guest
    // has read the last one.
    if (g_head != g_tail)
        if (machine::Machine* pc = g_pc)
            pc->engine().request_service();
}

bool next_byte(u8& byte)
{
    if (g_tail == g_head)
        return false;
    byte = g_ring[g_tail];
    g_tail = (g_tail + 1) % ring_size;
    return true;
}

u8 wait_byte()
{
    u8 byte;
    while (!next_byte(byte))
        asm volatile("sti; hlt" ::: "memory"); // the tick fills the ring
    return byte;
}

// Monitor mode until Ctrl-A c or quit. Returns false after quit.
bool run_monitor(machine::Machine& pc)
{
    serial::write("\nkeel monitor: the guest is stopped; Ctrl-A c returns to it, 'help' lists commands\n(keel) ");
    char line[160];
    usize length = 0;
    for (;;) {
        u8 c = wait_byte();
        if (c == escape) {
            if (wait_byte() == 'c') {
                serial::write("\nkeel: back to the guest\n");
                return true;
            }
            continue;
        }
        if (c == '\r' || c == '\n') {
            serial::write("\n");
            line[length] = '\0';
            StringBuilder out;
            bool keep_going = g_monitor->execute(line, out);
            serial::write(out.c_str(), out.length());
            length = 0;
            if (!keep_going)
                return false;
            serial::write("(keel) ");
        } else if ((c == 0x7F || c == 0x08) && length) {
            --length;
            serial::write("\b \b");
        } else if (c >= 0x20 && c < 0x7F && length + 1 < sizeof(line)) {
            line[length++] = static_cast<char>(c);
            serial::write(reinterpret_cast<const char*>(&c), 1);
        }
    }
    (void)pc;
}

// Between guest blocks: typed bytes go to the guest's COM1 unless they are the escape.
void service(void*)
{
    machine::Machine* pc = g_pc;
    if (!pc)
        return;
    ConsoleInput* input = pc->console_input(); // the console=stdio UART, if any
    u8 byte;
    while ((input && input->wants_input()) || g_escape_pending) {
        if (!next_byte(byte))
            return;
        if (g_escape_pending) {
            g_escape_pending = false;
            if (byte == 'c') {
                if (!run_monitor(*pc)) {
                    pc->engine().request_shutdown(1); // quit: debug-exit value 0
                    return;
                }
                continue;
            }
            if (byte != escape) { // Ctrl-A Ctrl-A sends one Ctrl-A
                u8 pair[2] = { escape, byte };
                if (input)
                    input->receive(pair, 2);
                continue;
            }
        } else if (byte == escape) {
            g_escape_pending = true;
            continue;
        }
        if (input)
            input->receive(&byte, 1);
    }
}

} // namespace

void attach(machine::Machine& pc, Monitor& monitor)
{
    g_monitor = &monitor;
    g_head = 0;
    g_tail = 0;
    g_escape_pending = false;
    pc.engine().set_service_hook(service, nullptr);
    g_pc = &pc;
    clock::set_tick_hook(poll);
}

void detach()
{
    clock::set_tick_hook(nullptr);
    if (machine::Machine* pc = g_pc)
        pc->engine().set_service_hook(nullptr, nullptr);
    g_pc = nullptr;
    g_monitor = nullptr;
}

} // namespace keel::kernel::serial_console
