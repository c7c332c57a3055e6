; The 32-bit differential runner (tests/diff32/README.md): a Multiboot kernel that runs
; each case record of cases.inc (gen_cases.py) in 32-bit protected mode at CPL 0, flat,
; paging off (or in a 16-bit code segment, as the record says), and prints one line per
; case on COM1:
;   NNNNN EAX ECX EDX EBX EBP ESI EDI EFLAGS DATA (EFLAGS' status bits ANDed with the mask;
;                                                 DATA a checksum of the data area)
;   NNNNN fault VV                                (an exception, vector VV)
; The same kernel runs under keel and under qemu-system-x86_64; run.sh compares the two.
BITS 32

MB_MAGIC   equ 0x1BADB002
MB_FLAGS   equ 0x00000003
COM1       equ 0x3F8
SCRATCH    equ 0x800000          ; the case's code is copied here, a JMP back after it
STACK_TOP  equ 0x900000
RECORD     equ 64
DATA       equ 0x7000            ; the memory forms' operands (gen_cases.py DATA), below 64 KiB
DATA_SIZE  equ 256

section .multiboot progbits alloc noexec nowrite align=4
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)

section .text
global _start
_start:
    mov esp, STACK_TOP
    lgdt [gdt_pointer]
    jmp 0x08:.flat
.flat:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax
    ; An IDT whose 32 exception vectors each print their number and go on with the next case.
    mov ecx, 0
.gate:
    mov eax, [stubs + ecx * 4]
    mov [idt + ecx * 8], ax
    mov word [idt + ecx * 8 + 2], 0x08
    mov word [idt + ecx * 8 + 4], 0x8E00
    shr eax, 16
    mov [idt + ecx * 8 + 6], ax
    inc ecx
    cmp ecx, 32
    jb .gate
    lidt [idt_pointer]
    mov esi, s_hello
    call puts
    mov dword [current], cases
    mov dword [number], 0

next_case:
    mov ebx, [current]
    cmp ebx, cases_end
    jae all_done
    ; The data area: byte i is (case number * 7 + i * 13) mod 256.
    mov edi, DATA
    mov ecx, DATA_SIZE
    mov eax, [number]
    imul eax, 7
.fill:
    stosb
    add al, 13
    loop .fill
    ; The code, then JMP case_done.
    mov esi, ebx
    add esi, 36
    mov edi, SCRATCH
    mov ecx, 16
    rep movsb
    cmp byte [ebx + 52], 16
    je .code16
    mov byte [edi], 0xE9             ; 32-bit code: jmp case_done
    mov eax, case_done
    sub eax, SCRATCH + 16 + 5
    mov [edi + 1], eax
    mov dword [entry], SCRATCH
    mov word [entry + 4], 0x08
    jmp .load
.code16:
    mov word [edi], 0xEA66           ; 16-bit code: jmp dword 0x08:case_done
    mov dword [edi + 2], case_done
    mov word [edi + 6], 0x08
    mov dword [entry], 0             ; CS 0x18: 16-bit code based at SCRATCH
    mov word [entry + 4], 0x18
.load:
    mov esp, STACK_TOP
    push dword [ebx + 28]        ; EFLAGS
    mov eax, [ebx + 0]
    mov ecx, [ebx + 4]
    mov edx, [ebx + 8]
    mov ebp, [ebx + 16]
    mov esi, [ebx + 20]
    mov edi, [ebx + 24]
    mov ebx, [ebx + 12]
    popfd
    jmp far [entry]

case_done:
    pushfd
    mov [out_regs + 0], eax
    mov [out_regs + 4], ecx
    mov [out_regs + 8], edx
    mov [out_regs + 12], ebx
    mov [out_regs + 16], ebp
    mov [out_regs + 20], esi
    mov [out_regs + 24], edi
    pop eax
    mov ebx, [current]
    and eax, [ebx + 32]          ; the flags the case compares
    mov [out_regs + 28], eax
    xor eax, eax                 ; the data area's checksum: rotate and XOR each dword
    mov esi, DATA
    mov ecx, DATA_SIZE / 4
.sum:
    rol eax, 5
    xor eax, [esi]
    add esi, 4
    loop .sum
    mov [out_regs + 32], eax
    cld
    call put_number
    xor ecx, ecx
.reg:
    mov al, ' '
    call putc
    mov eax, [out_regs + ecx * 4]
    call puthex
    inc ecx
    cmp ecx, 9
    jb .reg
    call newline
    jmp advance

; An exception: the stub left its vector in fault_vector.
fault:
    mov esp, STACK_TOP - 64
    cld
    call put_number
    mov esi, s_fault
    call puts
    mov eax, [fault_vector]
    call puthex8
    call newline

advance:
    add dword [current], RECORD
    inc dword [number]
    jmp next_case

all_done:
    mov esi, s_done
    call puts
    xor al, al
    out 0xF4, al
.halt:
    hlt
    jmp .halt

%assign v 0
%rep 32
stub_ %+ v:
    mov dword [fault_vector], v
    jmp fault
%assign v v + 1
%endrep

put_number:                      ; the case number, 5 decimal digits
    push eax
    push ebx
    push ecx
    push edx
    mov eax, [number]
    mov ecx, 5
    mov ebx, 10
    sub esp, 8
.digit:
    xor edx, edx
    div ebx
    add dl, '0'
    mov [esp + ecx - 1], dl
    loop .digit
    mov ecx, 0
.print:
    mov al, [esp + ecx]
    call putc
    inc ecx
    cmp ecx, 5
    jb .print
    add esp, 8
    pop edx
    pop ecx
    pop ebx
    pop eax
    ret

putc:
    push edx
    mov dx, COM1
    out dx, al
    pop edx
    ret

puts:
    push eax
.next:
    lodsb
    test al, al
    jz .end
    call putc
    jmp .next
.end:
    pop eax
    ret

newline:
    mov al, 10
    jmp putc

puthex:                          ; EAX, 8 hex digits
    push ecx
    push ebx
    mov ebx, eax
    mov ecx, 8
.digit:
    rol ebx, 4
    mov al, bl
    and al, 0x0F
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 'a' - '0' - 10
.out:
    call putc
    loop .digit
    pop ebx
    pop ecx
    ret

puthex8:                         ; AL, 2 hex digits
    push eax
    shr al, 4
    call .nibble
    pop eax
.nibble:
    and al, 0x0F
    add al, '0'
    cmp al, '9'
    jbe putc
    add al, 'a' - '0' - 10
    jmp putc

section .data
align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF
    dq 0x00CF92000000FFFF
    dq 0x00009A800000FFFF            ; 0x18: 16-bit code, base SCRATCH (0x800000), 64 KiB
gdt_pointer:
    dw 31
    dd gdt
idt_pointer:
    dw 32 * 8 - 1
    dd idt
stubs:
%assign v 0
%rep 32
    dd stub_ %+ v
%assign v v + 1
%endrep
s_hello: db "diff32 runner", 10, 0
s_fault: db " fault ", 0
s_done:  db "diff32 done", 10, 0
align 4
cases:
%include "cases.inc"

section .bss
alignb 8
idt: resb 32 * 8
current: resd 1
number: resd 1
fault_vector: resd 1
entry: resd 2                        ; the far pointer the case is entered through
out_regs: resd 9
