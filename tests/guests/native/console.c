/* The native runner's console: lib/serial.c's interface, writing to standard output
 * instead of COM1 (write(2) through a buffer, flushed when full and by exit). No libc:
 * the guests bring their own printf and string functions, and memory.asm changes the
 * FS base, which libc would need for its thread pointer. */
#include "rt.h"

static char g_buffer[4096];
static size_t g_used;

static long sys_write(int fd, const void *data, size_t size)
{
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(1L), "D"((long)fd), "S"(data), "d"(size)
                     : "rcx", "r11", "memory");
    return ret;
}

void native_flush(void)
{
    size_t done = 0;
    while (done < g_used) {
        long n = sys_write(1, g_buffer + done, g_used - done);
        if (n <= 0)
            break; /* nowhere to report it: the output comparison will fail */
        done += (size_t)n;
    }
    g_used = 0;
}

void serial_putc(char c)
{
    if (g_used == sizeof g_buffer)
        native_flush();
    g_buffer[g_used++] = c;
}

void serial_puts(const char *s)
{
    while (*s)
        serial_putc(*s++);
}
