/* A 64-bit IDT whose 256 gates all lead to lib/isr.asm, which saves the registers and
 * calls the C handler registered for the vector (SDM Vol 3A 6.14). */
#ifndef KEEL_GUEST_IDT_H
#define KEEL_GUEST_IDT_H

#include <stdint.h>

#define GATE_INTERRUPT 0xE   /* clears IF on entry */
#define GATE_TRAP      0xF   /* leaves IF alone */

/* The stack as isr.asm leaves it, lowest address first: the registers it pushed, the
 * vector and error code (0 when the CPU pushes none), then the CPU's frame. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};

typedef void (*trap_handler)(struct trap_frame *frame);

/* Loads the IDT: every vector an interrupt gate (CS 0x08, DPL 0) to the default
 * handler, which prints the frame and exits with status code 100. */
void idt_init(void);
void idt_set_gate(unsigned vector, uint64_t target, unsigned type, unsigned dpl);
/* Points vector's gate back at the common stub and routes it to handler. */
void trap_set_handler(unsigned vector, trap_handler handler, unsigned type, unsigned dpl);

#endif
