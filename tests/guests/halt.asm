; Halts for good: `cli; hlt` with nothing that could wake the CPU. keel must notice
; and end with status 4 (docs/test-guest-entry-state.md) instead of spinning.
bits 64
default rel

section .text
global _start
_start:
    lea rsi, [message]
    call com1_puts
    cli
    hlt
    ; Not reached. Should keel resume anyway, say so and exit with a status that
    ; differs from 4.
    lea rsi, [resumed]
    call com1_puts
    mov al, 1
    out 0xF4, al            ; status 3
.hang:
    jmp .hang

%include "com1.inc"

section .rodata
message: db "halting with interrupts disabled", 10, 0
resumed: db "FAIL: execution continued after cli; hlt", 10, 0
