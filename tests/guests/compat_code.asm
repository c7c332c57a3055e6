; The compatibility-mode half of the compat guest (compat.c): 64-bit code far-returns
; into a 32-bit code segment (CS.L = 0, CS.D = 1) under IA-32e mode, runs 32-bit code
; that writes what it sees to compat_results, and comes back with a direct far jump
; (Intel SDM vol. 3 §5.8.6 and vol. 1 §3.2.1: compatibility mode forms 32-bit addresses,
; uses ESP with a 32-bit SS, and 32-bit operands by default).
BITS 64
default rel
section .text

global compat_run
extern compat_results       ; uint32_t compat_results[COMPAT_RESULTS] (compat.c)

SEL_CODE64     equ 0x08
SEL_DATA64     equ 0x10
SEL_CODE32     equ 0x38
SEL_DATA32     equ 0x40
SEL_DATA_BASED equ 0x48     ; base 0x1000
BASED          equ 0x1000

%define R(i) compat_results + 4 * (i)

; void compat_run(void)
compat_run:
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
    mov [saved_rsp], rsp
    mov ax, SEL_DATA32
    mov ds, ax
    mov es, ax
    mov rsi, -1                 ; upper half set: compatibility mode must clear it (test 14)
    push SEL_CODE32
    lea rax, [code32]
    push rax
    o64 retf                    ; to 32-bit code at CPL 0
back64:
    mov ax, SEL_DATA64
    mov ds, ax
    mov es, ax
    mov rsp, [saved_rsp]
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret

section .text32 progbits alloc exec nowrite align=16
BITS 32
code32:
    ; 0, 1: 32-bit ALU and its flags (OF, SF, AF, PF set; ZF, CF clear).
    mov eax, 0x7fffffff
    add eax, 1
    pushfd
    pop ecx
    mov [R(0)], eax
    and ecx, 0x8d5
    mov [R(1)], ecx
    ; 2, 3: pushes are 4 bytes on a 32-bit stack, 2 with an operand-size prefix.
    mov edx, esp
    push eax
    sub edx, esp
    pop eax
    mov [R(2)], edx
    mov edx, esp
    push word 0x1234
    sub edx, esp
    pop ax
    mov [R(3)], edx
    ; 4, 5: a near call pushes a 4-byte return address.
    call return_address_of_caller
after_call:
    mov [R(4)], eax
    mov dword [R(5)], after_call
    ; 6: a 32-bit address wraps at 4 GiB: wrap_data + 0x1000 + 0xfffff000.
    mov ebx, wrap_data + 0x1000
    mov ecx, 0xfffff000
    mov eax, [ebx + ecx]
    mov [R(6)], eax
    ; 7: LOOP counts with ECX.
    xor eax, eax
    mov ecx, 10
.sum:
    add eax, ecx
    loop .sum
    mov [R(7)], eax
    ; 8: REP MOVSB with 32-bit pointers.
    mov esi, source_text
    mov edi, copy_flat
    mov ecx, 8
    cld
    rep movsb
    mov eax, [copy_flat + 4]
    mov [R(8)], eax
    ; 9: #UD in compatibility mode goes to the 64-bit IDT handler (compat.c), which
    ; records the frame and returns here past the UD2 with IRETQ.
    ud2
    mov dword [R(9)], 0x600d
    ; 10: a data segment with a base: [x - BASED] through DS is x.
    mov ax, SEL_DATA_BASED
    mov ds, ax
    mov eax, [based_value - BASED]
    mov [ss:R(10)], eax
    ; 11: REP MOVSB from a based DS to the flat ES.
    mov esi, source_text - BASED
    mov edi, copy_based
    mov ecx, 5
    rep movsb
    mov ax, SEL_DATA32
    mov ds, ax
    mov eax, [copy_based + 1]
    mov [R(11)], eax
    ; 12: a conditional branch and CMOVcc/SETcc on 32-bit compares.
    mov eax, 5
    cmp eax, 7
    setl bl
    mov ecx, 100
    cmovl eax, ecx
    jge .not_taken
    add eax, 1
.not_taken:
    movzx ebx, bl
    shl ebx, 16
    or eax, ebx
    mov [R(12)], eax
    ; 13: ENTER/LEAVE build and drop a frame on the 32-bit stack.
    mov edx, esp
    enter 16, 0
    mov ecx, edx
    sub ecx, esp                ; 4 (EBP) + 16
    leave
    sub edx, esp                ; 0 after LEAVE
    shl ecx, 8
    or ecx, edx
    mov [R(13)], ecx
    ; 14: the upper half of a register written in compatibility mode is zero afterwards
    ; in 64-bit mode (a 32-bit write zero-extends).
    mov esi, 0x12345678
    jmp SEL_CODE64:back_in_64

section .text
BITS 64
back_in_64:
    mov rax, rsi
    shr rax, 32
    mov [R(14)], eax
    jmp back64

section .text32
BITS 32
return_address_of_caller:
    mov eax, [esp]
    ret

section .data
align 8
saved_rsp: dq 0
wrap_data: dd 0xc0debabe
based_value: dd 0xba5eda7a
source_text: db "ABCDEFGHIJKL"
copy_flat: times 16 db 0
copy_based: times 16 db 0
