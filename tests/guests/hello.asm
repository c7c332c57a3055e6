; The smallest guest: no runtime, one line on COM1, exit 0 (status 1).
; Contract: docs/test-guest-entry-state.md.
bits 64
default rel

section .text
global _start
_start:
    lea rsi, [message]
.next:
    mov al, [rsi]
    test al, al
    jz .done
    mov dx, 0x3FD           ; LSR: wait for THR empty (bit 5), as on real hardware
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    mov al, [rsi]
    mov dx, 0x3F8
    out dx, al
    inc rsi
    jmp .next
.done:
    xor eax, eax
    out 0xF4, al            ; debug exit: status (0 << 1) | 1
.hang:
    cli
    hlt
    jmp .hang

section .rodata
message: db "Hello from a keel guest", 10, 0
