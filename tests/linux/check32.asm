; check32: a 32-bit Linux program (an i386 ELF making int 0x80 system calls), which the
; 64-bit Debian kernel runs in compatibility mode (issue 15; docs/modes.md). It exercises
; what a 32-bit process meets there: 32-bit arithmetic and flags, a 64-bit product in
; EDX:EAX, division, a recursive function on the 32-bit stack, string instructions over
; fresh .bss pages (page faults taken from compatibility mode and returned to with IRETQ),
; and system calls through int 0x80. Each result is compared with a constant; prints
; "check32: ok" and exits 0, or "check32: FAIL <n>" and exits with n.
; Built by scripts/linux/fetch-linux.sh: nasm -f elf32, ld -m elf_i386.
BITS 32
section .text
global _start

%macro expect 3 ; register, value, check number
    cmp %1, %2
    mov ebx, %3
    jne fail
%endmacro

_start:
    ; 1: sum of i*i for i = 1..1000, with IMUL and LOOP.
    xor esi, esi
    mov ecx, 1000
.square:
    mov eax, ecx
    imul eax, ecx
    add esi, eax
    loop .square
    expect esi, 333833500, 1
    ; 2: MUL r32 gives the 64-bit product in EDX:EAX.
    mov eax, 0xFFFFFFFF
    mov edx, 0xFFFFFFFF
    mul edx
    expect edx, 0xFFFFFFFE, 2
    expect eax, 1, 2
    ; 3: DIV r32.
    xor edx, edx
    mov eax, 1000000007
    mov ecx, 12345
    div ecx
    expect eax, 81004, 3
    expect edx, 5627, 3
    ; 4: flags through PUSHFD: 0x7fffffff + 1 sets OF and SF, clears CF and ZF.
    mov eax, 0x7fffffff
    add eax, 1
    pushfd
    pop eax
    and eax, 0x8c1
    expect eax, 0x880, 4
    ; 5: fib(20) by naive recursion: 21891 calls and returns on the 32-bit stack.
    push 20
    call fib
    add esp, 4
    expect eax, 6765, 5
    ; 6: REP STOSD over 16 KiB of fresh .bss (page faults from compatibility mode), then
    ; REPNE SCASB finds the first byte that differs and REP MOVSB copies across pages.
    mov edi, buffer
    mov ecx, 4096
    mov eax, 0x5a5a5a5a
    cld
    rep stosd
    mov byte [buffer + 10000], 0
    mov edi, buffer
    mov ecx, 16384
    xor eax, eax
    repne scasb
    sub edi, buffer + 1
    expect edi, 10000, 6
    mov esi, buffer + 4090
    mov edi, copy
    mov ecx, 12
    rep movsb
    mov eax, [copy + 8]
    expect eax, 0x5a5a5a5a, 6
    ; 7: getpid through int 0x80 (eax 20) answers a positive pid.
    mov eax, 20
    int 0x80
    cmp eax, 0
    mov ebx, 7
    jle fail
    ; write(1, "check32: ok\n"), exit(0)
    mov eax, 4
    mov ebx, 1
    mov ecx, ok_text
    mov edx, ok_length
    int 0x80
    mov eax, 1
    xor ebx, ebx
    int 0x80

; fail: check number in EBX. write(1, "check32: FAIL n\n"), exit(n)
fail:
    mov esi, ebx
    add bl, '0'
    mov [fail_text + fail_digit], bl
    mov eax, 4
    mov ebx, 1
    mov ecx, fail_text
    mov edx, fail_length
    int 0x80
    mov eax, 1
    mov ebx, esi
    int 0x80

; unsigned fib(unsigned n) (cdecl)
fib:
    mov eax, [esp + 4]
    cmp eax, 2
    jb .done
    push ebx
    lea ebx, [eax - 1]
    push ebx
    call fib
    mov [esp], eax      ; keep fib(n - 1) where the argument was
    dec ebx
    push ebx
    call fib
    add esp, 4
    pop ebx             ; fib(n - 1)
    add eax, ebx
    pop ebx
.done:
    ret

section .data
ok_text: db "check32: ok", 10
ok_length equ $ - ok_text
fail_text: db "check32: FAIL 0", 10
fail_length equ $ - fail_text
fail_digit equ fail_length - 2

section .bss
alignb 4096
buffer: resb 16384
copy: resb 16
