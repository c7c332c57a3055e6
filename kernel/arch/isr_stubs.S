/* The 256 interrupt entry points the IDT points at (kernel/arch/idt.cpp), and the common
 * path that builds an InterruptFrame (kernel/arch/interrupt_frame.h) and calls
 * keel_interrupt_dispatch(InterruptFrame*).
 *
 * Entry state (Intel SDM vol. 3 §6.14.2): the CPU has aligned RSP to 16 bytes, possibly
 * after switching to an IST stack (§6.14.5), and pushed SS, RSP, RFLAGS, CS, RIP and, for
 * the vectors below, an error code. Interrupt gates leave IF clear. keel runs in ring 0
 * only, so there is no SWAPGS and no privilege change.
 *
 * The kernel is a shared object relocated by gnu-efi at load time: every address here is
 * RIP-relative or a .quad that the linker turns into an R_X86_64_RELATIVE relocation
 * (kernel/check_relocations.sh rejects anything else). keel_interrupt_dispatch is hidden,
 * so the call needs no PLT.
 */
#include "kernel/arch/interrupt_frame.h"

    .altmacro
    .text

/* Vectors for which the CPU pushes an error code (SDM vol. 3 table 6-1; 21 #CP, and 29
 * #VC / 30 #SX as defined by AMD). */
.macro isr_stub vector
    .balign 16
keel_isr_stub_\vector:
    .if !((\vector == 8) || ((\vector >= 10) && (\vector <= 14)) || (\vector == 17) || (\vector == 21) || (\vector == 29) || (\vector == 30))
    pushq $0
    .endif
    pushq $\vector
    jmp keel_isr_common
.endm

    .set vector, 0
    .rept 256
    isr_stub %vector
    .set vector, vector + 1
    .endr

    .balign 16
keel_isr_common:
    /* Pushed in reverse order of the struct: RAX ends up at the lowest address. */
    pushq %r15
    pushq %r14
    pushq %r13
    pushq %r12
    pushq %r11
    pushq %r10
    pushq %r9
    pushq %r8
    pushq %rbp
    pushq %rdi
    pushq %rsi
    pushq %rdx
    pushq %rcx
    pushq %rbx
    pushq %rax
    cld                         /* the SysV ABI requires DF = 0 at a call */
    movq %rsp, %rdi             /* InterruptFrame* */
    movq %rsp, %rbx             /* callee-saved: finds the frame again after the call */
    /* 176-byte frame on a CPU-aligned stack keeps RSP aligned; align anyway, so a stub
     * entered some other way (a test, a future trampoline) still calls with RSP % 16 == 0. */
    andq $-16, %rsp
    /* A frame record {interrupted RBP, interrupted RIP}: a backtrace taken inside a
     * handler (a VERIFY in the #PF handler) walks on into the interrupted code. */
    pushq KEEL_FRAME_RIP(%rbx)
    pushq KEEL_FRAME_RBP(%rbx)
    movq %rsp, %rbp
    call keel_interrupt_dispatch
    movq %rbx, %rsp
    popq %rax
    popq %rbx
    popq %rcx
    popq %rdx
    popq %rsi
    popq %rdi
    popq %rbp
    popq %r8
    popq %r9
    popq %r10
    popq %r11
    popq %r12
    popq %r13
    popq %r14
    popq %r15
    addq $16, %rsp              /* vector and error code */
    iretq

    .hidden keel_interrupt_dispatch

/* The stub addresses, indexed by vector (read by idt::initialize). */
    .section .data.rel.ro, "aw"
    .balign 8
    .globl keel_isr_stub_table
    .hidden keel_isr_stub_table
    .type keel_isr_stub_table, @object
keel_isr_stub_table:
.macro isr_table_entry vector
    .quad keel_isr_stub_\vector
.endm
    .set vector, 0
    .rept 256
    isr_table_entry %vector
    .set vector, vector + 1
    .endr
    .size keel_isr_stub_table, . - keel_isr_stub_table

    .section .note.GNU-stack, "", @progbits
