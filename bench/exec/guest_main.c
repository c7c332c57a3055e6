/* The keel guest build of a workload: run it, print the checksum line on COM1 and end
 * keel through the debug-exit port (docs/test-guest-entry-state.md). Compiled with the
 * workload flags: no libc, no SSE. */
#include "checksum_line.h"

#define COM1 0x3F8
#define COM1_LSR (COM1 + 5)
#define LSR_THR_EMPTY 0x20 /* 16550 line status: transmit holding register empty */
#define DEBUG_EXIT_PORT 0xF4

static inline void outb(unsigned short port, u8 value)
{
    __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline u8 inb(unsigned short port)
{
    u8 value;
    __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

static void serial_write(const char *text, int length)
{
    for (int i = 0; i < length; i++) {
        while (!(inb(COM1_LSR) & LSR_THR_EMPTY)) {
        }
        outb(COM1, (u8)text[i]);
    }
}

__attribute__((noreturn)) void guest_main(void);

void guest_main(void)
{
    char line[CHECKSUM_LINE_LEN];
    format_checksum_line(line, workload_run());
    serial_write(line, CHECKSUM_LINE_LEN);
    outb(DEBUG_EXIT_PORT, 0); /* keel exits with status (0 << 1) | 1 */
    for (;;)
        __asm__ volatile("cli; hlt");
}
