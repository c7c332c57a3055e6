/* The CMOS real-time clock (MC146818A as PCs have it): read the date and time as a BIOS
 * does (wait for UIP to clear, registers 0x00-0x09 and the century at 0x32), in BCD and
 * then in binary mode; check it is a plausible date no earlier than 2024; then take the
 * periodic interrupt at 1024 Hz on IRQ8, through the slave 8259 cascaded on IRQ2,
 * acknowledging each by reading register C. */
#include "cpu.h"
#include "idt.h"
#include "rt.h"

static uint8_t cmos_read(uint8_t reg)
{
    outb(0x70, reg | 0x80); /* bit 7: keep NMI masked */
    return inb(0x71);
}

static void cmos_write(uint8_t reg, uint8_t value)
{
    outb(0x70, reg | 0x80);
    outb(0x71, value);
}

static unsigned bcd(uint8_t v) { return (v >> 4) * 10 + (v & 0xF); }

struct date { unsigned year, month, day, hour, minute, second; };

static struct date read_date(int binary)
{
    while (cmos_read(0x0A) & 0x80) /* update in progress */
        ;
    struct date d;
    unsigned (*conv)(uint8_t) = binary ? 0 : bcd;
#define R(reg) (conv ? conv(cmos_read(reg)) : cmos_read(reg))
    d.second = R(0x00);
    d.minute = R(0x02);
    d.hour = R(0x04);
    d.day = R(0x07);
    d.month = R(0x08);
    d.year = R(0x32) * 100 + R(0x09);
#undef R
    return d;
}

static int plausible(struct date d)
{
    return d.year >= 2024 && d.year < 2200 && d.month >= 1 && d.month <= 12 && d.day >= 1 && d.day <= 31 &&
           d.hour < 24 && d.minute < 60 && d.second < 60;
}

static volatile unsigned ticks;

static void rtc_handler(struct trap_frame *f)
{
    (void)f;
    if (cmos_read(0x0C) & 0x40) /* PF; reading C also lowers IRQ8 */
        ticks = ticks + 1;
    outb(0xA0, 0x20); /* EOI to the slave, then the master */
    outb(0x20, 0x20);
}

int main(void)
{
    expect_hex("register D: valid RAM and time", cmos_read(0x0D), 0x80);
    uint8_t b = cmos_read(0x0B);
    expect_true("24-hour mode", (b & 0x02) != 0);
    struct date d = read_date(b & 0x04);
    expect_true("a plausible date in BCD, 2024 or later", plausible(d));
    cmos_write(0x0B, b | 0x04); /* binary mode */
    struct date e = read_date(1);
    expect_true("the same date in binary", plausible(e) && e.year == d.year && e.month == d.month);
    cmos_write(0x0B, b);

    idt_init();
    trap_set_handler(0x28, rtc_handler, GATE_INTERRUPT, 0); /* IRQ8 = slave IR0 */
    outb(0x20, 0x11); outb(0xA0, 0x11);
    outb(0x21, 0x20); outb(0xA1, 0x28);
    outb(0x21, 0x04); outb(0xA1, 0x02);
    outb(0x21, 0x01); outb(0xA1, 0x01);
    outb(0x21, 0xFB); /* master: only the cascade */
    outb(0xA1, 0xFE); /* slave: only IRQ8 */

    cmos_write(0x0A, 0x26);                      /* 32.768 kHz base, rate 6 = 1024 Hz */
    (void)cmos_read(0x0C);
    cmos_write(0x0B, cmos_read(0x0B) | 0x40);    /* PIE */
    while (ticks < 32)
        __asm__ volatile("sti; hlt; cli");
    cmos_write(0x0B, cmos_read(0x0B) & ~0x40);
    printf("counted 32 periodic RTC interrupts on IRQ8\n");
    return check_summary("rtc");
}
