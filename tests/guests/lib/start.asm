; Entry point of every guest linked with the runtime. keel starts us in 64-bit mode,
; CPL 0, interrupts off (docs/test-guest-entry-state.md); main's return value becomes
; the exit status through the debug-exit port.
bits 64
default rel

section .text.start progbits alloc exec nowrite align=16
global _start
global exit
extern main

_start:
    ; Our own stack inside the image: a guest that switches to its own page tables
    ; then only has to map the image, not keel's area at the top of RAM.
    lea rsp, [stack_top]
    xor ebp, ebp
    call main
    mov edi, eax
    ; fall through

; void exit(int code): writes code to port 0xF4; keel ends with status (code << 1) | 1.
; Codes above 127 (and negative ones) are clamped to 127 so the status fits in a byte.
exit:
    mov eax, edi
    cmp eax, 127
    jbe .out
    mov eax, 127
.out:
    out 0xF4, al
.hang:                      ; not reached when the debug-exit device is present
    cli
    hlt
    jmp .hang

section .bss align=16
stack:
    resb 64 * 1024
stack_top:
