; A guest that never ends by itself: writes a marker to memory and spins, so a test can
; stop it from outside (the monitor's quit) at a known state. Not run as a guest test.
bits 64
default rel

section .text
global _start
_start:
    mov rax, 0x5350494E5350494E   ; "NIPSNIPS"
    mov [abs 0x300000], rax
    xor ecx, ecx
.spin:
    inc rcx
    jmp .spin
