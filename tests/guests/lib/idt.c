#include "idt.h"
#include "cpu.h"
#include "rt.h"

#define KERNEL_CS 0x08

/* SDM Vol 3A 6.14.1, Figure 6-8: 64-bit interrupt/trap gate. */
struct __attribute__((packed)) idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;         /* 0: no IST stack switch */
    uint8_t type_attr;   /* P | DPL | type */
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
};

static struct idt_gate g_idt[256] __attribute__((aligned(16)));
static trap_handler g_handlers[256];
extern const uint64_t isr_stubs[256];   /* isr.asm */

void idt_set_gate(unsigned vector, uint64_t target, unsigned type, unsigned dpl)
{
    g_idt[vector] = (struct idt_gate){
        .offset_low = (uint16_t)target,
        .selector = KERNEL_CS,
        .ist = 0,
        .type_attr = (uint8_t)(0x80 | (dpl & 3) << 5 | type),
        .offset_mid = (uint16_t)(target >> 16),
        .offset_high = (uint32_t)(target >> 32),
    };
}

void trap_set_handler(unsigned vector, trap_handler handler, unsigned type, unsigned dpl)
{
    g_handlers[vector] = handler;
    idt_set_gate(vector, isr_stubs[vector], type, dpl);
}

static void unexpected_trap(struct trap_frame *f)
{
    printf("unexpected trap: vector %lu error 0x%lx rip 0x%lx cs 0x%lx rflags 0x%lx rsp 0x%lx cr2 0x%lx\n",
           f->vector, f->error, f->rip, f->cs, f->rflags, f->rsp, read_cr2());
    exit(100);
}

/* Called by isr.asm with the frame it built. */
void trap_dispatch(struct trap_frame *f)
{
    trap_handler h = g_handlers[f->vector & 0xFF];
    (h ? h : unexpected_trap)(f);
}

void idt_init(void)
{
    for (unsigned v = 0; v < 256; v++)
        idt_set_gate(v, isr_stubs[v], GATE_INTERRUPT, 0);
    struct descriptor_ptr p = { sizeof(g_idt) - 1, (uint64_t)(uintptr_t)g_idt };
    lidt(&p);
}
