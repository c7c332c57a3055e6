; Triple fault: with IDTR.limit 0 no exception can be delivered. Delivering the #UD
; raises #GP (gate beyond the IDT limit), delivering that #GP raises #DF, and a fault
; while delivering #DF shuts the processor down (SDM Vol 3A 6.15, "Interrupt 8",
; Table 6-5); keel ends with status 2. The entry state already has limit 0;
; lidt makes the test independent of that.
bits 64
default rel

section .text
global _start
_start:
    lea rsi, [message]
    call com1_puts
    lidt [empty_idt]
    ud2
    ; Not reached.
    lea rsi, [survived]
    call com1_puts
    mov al, 1
    out 0xF4, al            ; status 3
.hang:
    jmp .hang

%include "com1.inc"

section .rodata
empty_idt:
    dw 0                    ; limit 0: not even vector 0's 16 bytes fit
    dq 0
message: db "executing ud2 with an empty IDT", 10, 0
survived: db "FAIL: ud2 did not triple-fault", 10, 0
