; The native runner's entry point: the user-level guests linked as ordinary static Linux
; programs (README.md, "Where the expected values come from"). Replaces lib/start.asm:
; Linux starts us at CPL 3 on its own stack; main's return value becomes the process's
; exit status (0 when every check passed) after the buffered output is written.
bits 64
default rel

section .text.start progbits alloc exec nowrite align=16
global _start
global exit
extern main, native_flush

_start:
    xor ebp, ebp
    and rsp, -16                    ; SysV ABI: aligned at the call
    call main
    mov edi, eax
    ; fall through

; void exit(int code): the same clamp as lib/start.asm (codes above 127, or negative,
; become 127), so a native run and a keel run report the same code.
exit:
    mov ebx, edi
    cmp ebx, 127
    jbe .out
    mov ebx, 127
.out:
    and rsp, -16
    call native_flush
    mov edi, ebx
    mov eax, 231                    ; exit_group
    syscall
    ud2
