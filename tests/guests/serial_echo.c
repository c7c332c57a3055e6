/* Serial input: reads a line from COM1 (polling LSR.DR, as a BIOS would) and echoes it.
 * Used by the console tests of both hosts (boot.console over the kernel's serial port,
 * cli.console over the keel command's standard input), which type the line and visit
 * keel's monitor (Ctrl-A c) before it. */
#include "cpu.h"
#include "rt.h"

int main(void)
{
    printf("type a line:\n");
    char line[80];
    unsigned n = 0;
    for (;;) {
        while (!(inb(0x3FD) & 0x01)) /* LSR bit 0: data ready */
            ;
        char c = (char)inb(0x3F8);
        if (c == '\r' || c == '\n')
            break;
        if (n + 1 < sizeof(line))
            line[n++] = c;
    }
    line[n] = '\0';
    printf("got: %s\n", line);
    return 0;
}
