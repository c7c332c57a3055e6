/* Timer interrupts in long mode through the legacy PC path: program the 8259 pair as
 * Linux does (ICW1-ICW4, vectors 0x20/0x28), the 8254's channel 0 in mode 2 at 1 kHz,
 * unmask IRQ0 and take interrupts with `sti; hlt`, counting them in the handler (which
 * sends the EOI). Also checks: a masked IRQ0 is not delivered, the ISR bit is set inside
 * the handler and clear after EOI, the PIT's count reads back decreasing (latch command),
 * and the interrupt frame (vector, CS, the IF=1 pushed in RFLAGS). */
#include "cpu.h"
#include "idt.h"
#include "pic.h"
#include "rt.h"

#define PIT_CH0 0x40
#define PIT_CMD 0x43
#define TICKS 25

static volatile unsigned ticks;
static volatile unsigned isr_seen_in_handler;
static volatile uint64_t frame_cs, frame_rflags, frame_vector;

static void timer_handler(struct trap_frame *f)
{
    outb(PIC1_CMD, 0x0B); /* OCW3: read ISR */
    isr_seen_in_handler |= inb(PIC1_CMD) & 1;
    frame_cs = f->cs;
    frame_rflags = f->rflags;
    frame_vector = f->vector;
    ticks = ticks + 1;
    outb(PIC1_CMD, 0x20); /* non-specific EOI */
}

static uint16_t pit_read_count(void)
{
    outb(PIT_CMD, 0x00); /* latch channel 0 */
    uint8_t lo = inb(PIT_CH0);
    uint8_t hi = inb(PIT_CH0);
    return (uint16_t)(lo | hi << 8);
}

int main(void)
{
    idt_init();
    trap_set_handler(0x20, timer_handler, GATE_INTERRUPT, 0);
    pic_init();

    /* PIT channel 0, lobyte/hibyte, mode 2 (rate generator), 1193 counts: ~1 kHz. */
    outb(PIT_CMD, 0x34);
    outb(PIT_CH0, 1193 & 0xFF);
    outb(PIT_CH0, 1193 >> 8);

    uint16_t a = pit_read_count();
    for (volatile int i = 0; i < 20000; ++i)
        ;
    uint16_t b = pit_read_count();
    expect_true("PIT count reads back and changes", a <= 1193 && b <= 1193 && a != b);

    /* Masked: interrupts enabled for a while, but IRQ0 must not arrive. */
    __asm__ volatile("sti");
    for (volatile int i = 0; i < 200000; ++i)
        ;
    __asm__ volatile("cli");
    expect_hex("no tick while IRQ0 is masked", ticks, 0);

    outb(PIC1_DATA, 0xFE); /* unmask IRQ0 */
    while (ticks < TICKS)
        __asm__ volatile("sti; hlt; cli");
    outb(PIC1_DATA, 0xFF);

    expect_true("timer interrupts counted", ticks >= TICKS);
    printf("counted %u timer interrupts\n", TICKS);
    expect_hex("vector", frame_vector, 0x20);
    expect_hex("CS pushed", frame_cs, 0x08);
    expect_true("IF=1 in the pushed RFLAGS", (frame_rflags & 0x200) != 0);
    expect_true("ISR bit set inside the handler", isr_seen_in_handler);
    outb(PIC1_CMD, 0x0B);
    expect_hex("ISR clear after EOI", inb(PIC1_CMD), 0);
    outb(PIC1_CMD, 0x0A);

    return check_summary("pit_pic");
}
