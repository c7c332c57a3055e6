; A guest that ignores its console for two to three seconds of wall time (until the CMOS
; RTC's seconds register has changed three times), then exits 0 (status 1). cli.flood
; floods keel's standard input meanwhile. Not run as a guest test.
bits 64
default rel

section .text
global _start
_start:
    mov ebx, 3              ; changes of the seconds to wait for
    call read_seconds
    mov ah, al
.wait:
    call read_seconds
    cmp al, ah
    je .wait
    mov ah, al
    dec ebx
    jnz .wait
    xor eax, eax
    out 0xF4, al            ; debug exit: status (0 << 1) | 1
.hang:
    cli
    hlt
    jmp .hang

; AL = the RTC's seconds (CMOS register 0; BCD or binary, only changes matter).
read_seconds:
    mov al, 0
    out 0x70, al
    in al, 0x71
    ret
