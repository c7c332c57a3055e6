/* The 8259 pair as Linux programs it (ICW1-ICW4): vectors 0x20-0x27 and 0x28-0x2f, the
 * slave on IR2, 8086 mode, every line masked. Shared by the timer guests. */
#pragma once
#include "cpu.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1

static inline void pic_init(void)
{
    outb(PIC1_CMD, 0x11); /* ICW1: edge, cascade, ICW4 */
    outb(PIC2_CMD, 0x11);
    outb(PIC1_DATA, 0x20); /* ICW2: vectors 0x20-0x27 */
    outb(PIC2_DATA, 0x28); /* 0x28-0x2f */
    outb(PIC1_DATA, 0x04); /* ICW3: slave on IR2 */
    outb(PIC2_DATA, 0x02);
    outb(PIC1_DATA, 0x01); /* ICW4: 8086 mode */
    outb(PIC2_DATA, 0x01);
    outb(PIC1_DATA, 0xFF); /* everything masked */
    outb(PIC2_DATA, 0xFF);
}
