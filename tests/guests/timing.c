/* What a guest sees of time: the 8254 at 1 kHz through the 8259, a busy loop counting
 * its iterations between ticks, and the TSC at each tick. Under -icount the output is
 * the same on every run and follows the instruction count (cli.icount compares runs and
 * checks the figures); in real time it varies with the host, so no .expected file. */
#include "cpu.h"
#include "idt.h"
#include "pic.h"
#include "rt.h"

#define PIT_CH0 0x40
#define PIT_CMD 0x43
#define TICKS 8

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static volatile unsigned ticks;
static volatile uint64_t loops;
static uint64_t loops_at[TICKS + 1], tsc_at[TICKS + 1];

static void timer_handler(struct trap_frame *f)
{
    (void)f;
    if (ticks <= TICKS) {
        loops_at[ticks] = loops;
        tsc_at[ticks] = rdtsc();
    }
    ticks = ticks + 1;
    outb(PIC1_CMD, 0x20); /* non-specific EOI */
}

int main(void)
{
    idt_init();
    trap_set_handler(0x20, timer_handler, GATE_INTERRUPT, 0);
    pic_init();
    outb(PIT_CMD, 0x34); /* channel 0, lobyte/hibyte, mode 2: 1193 counts, 999847 ns */
    outb(PIT_CH0, 1193 & 0xFF);
    outb(PIT_CH0, 1193 >> 8);
    outb(PIC1_DATA, 0xFE);
    __asm__ volatile("sti");
    while (ticks <= TICKS)
        loops = loops + 1;
    __asm__ volatile("cli");
    outb(PIC1_DATA, 0xFF);
    for (unsigned i = 1; i <= TICKS; ++i)
        printf("tick %u: %llu loops, %llu TSC\n", i, (unsigned long long)(loops_at[i] - loops_at[i - 1]),
            (unsigned long long)(tsc_at[i] - tsc_at[i - 1]));
    return 0;
}
