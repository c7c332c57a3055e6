#include "machine/console_mux.h"
#include "dbt/base/string.h"
#include "dbt/base/string_builder.h"

namespace keel::machine {

void ConsoleMux::write(const char* text) { m_terminal.write(text, string_length(text)); }

void ConsoleMux::service()
{
    // The UART takes one byte at a time when its FIFO is off (a 16450 holds one), so only
    // what it has room for leaves the terminal's queue; the host asks for service again
    // while bytes wait.
    ConsoleInput* input = m_machine.console_input();
    u8 byte;
    while ((input && input->wants_input()) || m_escape_pending) {
        if (!m_terminal.next_byte(byte))
            return;
        if (m_escape_pending) {
            m_escape_pending = false;
            if (byte == 'c') {
                if (!run_monitor()) {
                    m_machine.request_shutdown(0); // keel exits with 0, as after QEMU's quit
                    return;
                }
                continue;
            }
            if (byte != escape) { // not an escape sequence: both bytes are the guest's
                u8 pair[2] = { escape, byte };
                if (input)
                    input->receive(pair, 2);
                continue;
            }
            // Ctrl-A Ctrl-A: one Ctrl-A for the guest, below.
        } else if (byte == escape && m_escape_enabled) {
            m_escape_pending = true;
            continue;
        }
        if (input)
            input->receive(&byte, 1);
    }
}

bool ConsoleMux::run_monitor()
{
    write("\nkeel monitor: the guest is stopped; Ctrl-A c returns to it, 'help' lists commands\n(keel) ");
    char line[160];
    usize length = 0;
    u8 c;
    for (;;) {
        if (!m_terminal.wait_byte(c))
            return false;
        if (c == escape) {
            if (!m_terminal.wait_byte(c))
                return false;
            if (c == 'c') {
                write("\nkeel: back to the guest\n");
                return true;
            }
            continue;
        }
        if (c == '\r' || c == '\n') {
            write("\n");
            line[length] = '\0';
            length = 0;
            StringBuilder out;
            bool keep_going = m_monitor.execute(line, out);
            m_terminal.write(out.c_str(), out.length());
            if (!keep_going)
                return false;
            write("(keel) ");
        } else if ((c == 0x7F || c == 0x08) && length) { // DEL or BS: erase one character
            --length;
            write("\b \b");
        } else if (c >= 0x20 && c < 0x7F && length + 1 < sizeof(line)) {
            line[length++] = static_cast<char>(c);
            m_terminal.write(reinterpret_cast<const char*>(&c), 1);
        }
    }
}

} // namespace keel::machine
