; Interrupt entry stubs for lib/idt.c. Each stub makes the stack uniform (a dummy error
; code where the CPU pushes none), pushes its vector and joins isr_common, which saves
; the general registers as struct trap_frame and calls trap_dispatch(frame).
bits 64
default rel

extern trap_dispatch
global isr_stubs

; Vectors for which the CPU pushes an error code (SDM Vol 3A 6.15, Table 6-1):
; #DF 8, #TS 10, #NP 11, #SS 12, #GP 13, #PF 14, #AC 17, #CP 21, #VC 29, #SX 30.
%define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

section .text
%assign v 0
%rep 256
isr_stub_ %+ v:
%if HAS_ERROR(v) == 0
    push 0
%endif
    push v
    jmp isr_common
%assign v v + 1
%endrep

; The CPU pushed 5 qwords onto a 16-byte aligned RSP (SDM Vol 3A 6.14.2), the stub 2,
; and here 15 more: 22 qwords, so RSP is 16-byte aligned again at the call.
isr_common:
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    mov rdi, rsp
    cld                     ; SysV ABI: DF=0 on calls; iretq restores the guest's RFLAGS
    call trap_dispatch
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16             ; vector and error code
    iretq

section .rodata
align 8
isr_stubs:
%assign v 0
%rep 256
    dq isr_stub_ %+ v
%assign v v + 1
%endrep
