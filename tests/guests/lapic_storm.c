/* A hostile guest: the local APIC timer periodic with an initial count of 1 and divide by
 * 1 (a 1 ns period of keel's 1 GHz APIC bus clock), its handler taking far longer than
 * that, and the main loop spinning with interrupts on. keel must keep making progress
 * and keep answering its monitor (cli.hostile); the guest stores a marker at 0x300000
 * and counts loop iterations and interrupts at 0x300008 and 0x300010. Never ends by
 * itself. */
#include "idt.h"
#include "rt.h"

#define LAPIC 0xFEE00000ull
#define REG(off) (*(volatile uint32_t *)(LAPIC + (off)))
#define EOI 0xB0
#define SVR 0xF0
#define LVT_TIMER 0x320
#define INITIAL 0x380
#define DIVIDE 0x3E0
#define PERIODIC (1u << 17)

#define MARKER (*(volatile uint64_t *)0x300000)
#define LOOPS (*(volatile uint64_t *)0x300008)
#define INTERRUPTS (*(volatile uint64_t *)0x300010)

static void timer_handler(struct trap_frame *f)
{
    (void)f;
    INTERRUPTS = INTERRUPTS + 1;
    REG(EOI) = 0;
}

int main(void)
{
    idt_init();
    trap_set_handler(0x40, timer_handler, GATE_INTERRUPT, 0);
    REG(SVR) = 0x100 | 0xFF;
    REG(DIVIDE) = 0xB; /* divide by 1 */
    REG(LVT_TIMER) = PERIODIC | 0x40;
    REG(INITIAL) = 1;
    MARKER = 0x4d524f5453434950ull; /* "PICSTORM" */
    for (;;) {
        __asm__ volatile("sti; nop; cli");
        LOOPS = LOOPS + 1;
    }
}
