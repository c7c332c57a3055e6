/* Serial input: reads a line from COM1 (polling LSR.DR, as a BIOS would) and echoes it.
 * Used by the boot test of the kernel's serial console (tests/boot), which types the
 * line, and visits keel's monitor (Ctrl-A c) before it. Not a hosted guest test: the keel
 * command does not feed its terminal to COM1 yet. */
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
