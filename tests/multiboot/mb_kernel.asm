; A Multiboot (version 1) kernel written by the project (issue 15; docs/multiboot.md): an
; ELF32 i386 image that any Multiboot loader (keel, QEMU, GRUB) starts in 32-bit protected
; mode with paging off. On COM1 it reports what the loader handed over (EAX's magic, the
; information structure's flags, memory sizes, memory map, command line, module, loader
; name), then exercises legacy protected mode: its own GDT with a far jump to reload CS, an
; IDT of 32-bit gates taking INT3 (a trap: EIP after it) and UD2 (a fault: EIP at it,
; resumed past it by the handler) back through IRETD, the instructions that exist only
; outside 64-bit mode (BCD adjustments, PUSHAD/POPAD, ARPL, LES, SALC, BOUND's #BR and
; INTO's #OF; QEMU prints the same results), and finally the switch to long mode
; (PAE, CR3, EFER.LME, CR0.PG, a far jump to a 64-bit code segment, Intel SDM vol. 3
; §9.8.5), where it exits through the debug-exit port 0xF4 with 0 (keel status 1).
BITS 32

MB_MAGIC   equ 0x1BADB002
MB_FLAGS   equ 0x00000003        ; page-aligned modules, memory information
COM1       equ 0x3F8

; report LABEL: the string, EAX in hex, a newline.
%macro report 1
    push esi
    mov esi, %1
    call puts
    pop esi
    call puthex
    call newline
%endmacro

section .multiboot progbits alloc noexec nowrite align=4
    dd MB_MAGIC
    dd MB_FLAGS
    dd -(MB_MAGIC + MB_FLAGS)

section .text
global _start
_start:
    mov esp, stack_top
    mov [boot_eax], eax
    mov [boot_ebx], ebx

    mov esi, s_hello
    call puts
    mov esi, s_magic
    call puts
    mov eax, [boot_eax]
    call puthex
    cmp dword [boot_eax], 0x2BADB002
    mov esi, s_ok
    je .magic_ok
    mov esi, s_bad
.magic_ok:
    call puts

    mov ebx, [boot_ebx]
    mov esi, s_flags
    call puts
    mov eax, [ebx]
    and eax, (1 << 0) | (1 << 2) | (1 << 3) | (1 << 6)   ; memory, cmdline, modules, mmap
    call puthex
    call newline

    mov esi, s_mem
    call puts
    mov eax, [ebx + 4]
    call putdec
    mov esi, s_kib_upper
    call puts
    mov eax, [ebx + 8]
    call putdec
    mov esi, s_kib
    call puts

    ; The memory map: how many entries, and the total of the usable RAM in KiB.
    mov esi, [ebx + 48]             ; mmap_addr
    mov ecx, [ebx + 44]             ; mmap_length
    add ecx, esi
    xor edi, edi                    ; entries
    xor ebp, ebp                    ; usable KiB
.mmap:
    cmp esi, ecx
    jae .mmap_done
    inc edi
    cmp dword [esi + 20], 1         ; type 1: available RAM
    jne .mmap_next
    mov eax, [esi + 12]             ; length, low half
    mov edx, [esi + 16]             ; length, high half
    shrd eax, edx, 10
    add ebp, eax
.mmap_next:
    add esi, [esi]
    add esi, 4
    jmp .mmap
.mmap_done:
    mov esi, s_mmap
    call puts
    mov eax, edi
    call putdec
    mov esi, s_mmap_ram
    call puts
    mov eax, ebp
    call putdec
    mov esi, s_kib
    call puts

    ; The command line: the loader may put the kernel's name first; print what follows
    ; the last space.
    mov esi, [ebx + 16]
    mov edi, esi
.find_space:
    mov al, [esi]
    test al, al
    jz .cmdline_print
    inc esi
    cmp al, ' '
    jne .find_space
    mov edi, esi
    jmp .find_space
.cmdline_print:
    mov esi, s_cmdline
    call puts
    mov esi, edi
    call puts
    call newline

    ; The module: its bytes as text, and whether it starts on a page boundary.
    mov esi, s_modules
    call puts
    mov eax, [ebx + 20]
    call putdec
    call newline
    mov edx, [ebx + 24]             ; mods_addr
    mov esi, [edx]                  ; mod_start
    mov ecx, [edx + 4]              ; mod_end
    test esi, 0xFFF
    mov eax, s_aligned
    jz .module_text
    mov eax, s_unaligned
.module_text:
    push eax
    push esi
    mov esi, s_module
    call puts
    pop esi
.module_byte:
    cmp esi, ecx
    jae .module_done
    mov al, [esi]
    call putc
    inc esi
    jmp .module_byte
.module_done:
    pop esi
    call puts

    ; Our own GDT, and CS reloaded through a far jump.
    lgdt [gdt_pointer]
    jmp 0x08:.reloaded
.reloaded:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esi, s_gdt
    call puts

    ; An IDT of 32-bit interrupt gates for #BP (3) and #UD (6).
    mov eax, on_breakpoint
    mov edi, idt + 3 * 8
    call set_gate
    mov eax, on_invalid_opcode
    mov edi, idt + 6 * 8
    call set_gate
    lidt [idt_pointer]
    int3
after_int3:
    ud2
    mov esi, s_resumed
    call puts

    ; Instructions that exist only outside 64-bit mode. Each report prints EAX; flags are
    ; masked to the ones the SDM defines for the instruction.
    mov al, 0x15
    add al, 0x27
    daa                             ; 0x3C -> 0x42
    call result_with_flags
    report s_daa
    mov al, 0x99
    add al, 0x01
    daa                             ; 0x9A -> 0x00, CF
    call result_with_flags
    report s_daa
    mov al, 0x42
    sub al, 0x27
    das                             ; 0x1B -> 0x15
    call result_with_flags
    report s_das
    mov ax, 0x0009
    add al, 5
    aaa                             ; AX 0x000E -> 0x0104, AF CF
    call ax_with_carry
    report s_aaa
    mov ax, 0x0205
    sub al, 8
    aas                             ; AX 0x02FD -> 0x0107, AF CF
    call ax_with_carry
    report s_aas
    mov ax, 79
    aam                             ; AH 7, AL 9
    call ax_with_sign_zero_parity
    report s_aam
    mov ax, 0x0709
    aad                             ; AX 79
    call ax_with_sign_zero_parity
    report s_aad
    stc
    salc
    movzx eax, al
    report s_salc
    mov ax, 0x0010
    mov bx, 0x0003
    arpl ax, bx                     ; RPL 0 -> 3, ZF
    pushfd
    pop ecx
    and ecx, 0x40
    shl ecx, 16
    movzx eax, ax
    or eax, ecx
    report s_arpl
    les edi, [far_pointer]
    mov eax, edi
    report s_les
    mov eax, es
    report s_les_selector
    mov ax, 0x10
    mov es, ax
    ; PUSHAD/POPAD: every register back, ESP as it was, and the pushed ESP the one before.
    mov eax, 0x11111111
    mov ecx, 0x22222222
    mov edx, 0x33333333
    mov ebx, 0x44444444
    mov ebp, 0x55555555
    mov esi, 0x66666666
    mov edi, 0x77777777
    mov [saved_esp], esp
    pushad
    mov eax, [esp + 12]             ; the ESP PUSHAD pushed
    mov [pushed_esp], eax
    xor eax, eax
    xor ecx, ecx
    xor edx, edx
    xor ebx, ebx
    xor ebp, ebp
    xor esi, esi
    xor edi, edi
    popad
    add eax, ecx
    add eax, edx
    add eax, ebx
    add eax, ebp
    add eax, esi
    add eax, edi                    ; 0x11111111 * (1 + ... + 7)
    report s_popad
    mov eax, [pushed_esp]
    sub eax, [saved_esp]
    report s_pushad_esp
    mov eax, esp
    sub eax, [saved_esp]
    report s_popad_esp
    ; BOUND in range, then out of range (#BR, a fault: the handler resumes past it).
    mov eax, on_bound_range
    mov edi, idt + 5 * 8
    call set_gate
    mov eax, on_overflow
    mov edi, idt + 4 * 8
    call set_gate
    mov eax, 5
    bound eax, [bounds]
    mov eax, 11
    bound eax, [bounds]
bound_resume:
    ; INTO: nothing with OF clear; #OF (a trap) with OF set.
    xor eax, eax
    into
    mov eax, 0x7fffffff
    add eax, 1
    into
after_into:
    mov esi, s_legacy_done
    call puts

    ; Long mode: identity-map the first GiB with 2 MiB pages.
    mov eax, pdpt
    or eax, 3
    mov [pml4], eax
    mov eax, pd
    or eax, 3
    mov [pdpt], eax
    xor ecx, ecx
.map:
    mov eax, ecx
    shl eax, 21
    or eax, 0x83                    ; present, writable, 2 MiB
    mov [pd + ecx * 8], eax
    inc ecx
    cmp ecx, 512
    jb .map
    mov eax, cr4
    or eax, 1 << 5                  ; PAE
    mov cr4, eax
    mov eax, pml4
    mov cr3, eax
    mov ecx, 0xC0000080             ; IA32_EFER
    rdmsr
    or eax, 1 << 8                  ; LME
    wrmsr
    mov eax, cr0
    or eax, 1 << 31                 ; PG: long mode becomes active (EFER.LMA)
    mov cr0, eax
    jmp 0x18:long_mode

; After an ALU BCD adjustment: AL | (the defined flags CF PF AF ZF SF) << 8.
result_with_flags:
    pushfd
    pop ecx
    and ecx, 0xD5
    shl ecx, 8
    movzx eax, al
    or eax, ecx
    ret

; After AAA/AAS: AX | (AF CF) << 16.
ax_with_carry:
    pushfd
    pop ecx
    and ecx, 0x11
    shl ecx, 16
    movzx eax, ax
    or eax, ecx
    ret

; After AAM/AAD: AX | (SF ZF PF) << 16.
ax_with_sign_zero_parity:
    pushfd
    pop ecx
    and ecx, 0xC4
    shl ecx, 16
    movzx eax, ax
    or eax, ecx
    ret

; #BR is a fault (EIP at BOUND): report and resume after the second BOUND.
on_bound_range:
    mov esi, s_bound
    call puts
    mov dword [esp], bound_resume
    iretd

; #OF from INTO is a trap: EIP after INTO.
on_overflow:
    mov esi, s_into
    call puts
    mov eax, [esp]
    cmp eax, after_into
    mov esi, s_ok
    je .report
    mov esi, s_bad
.report:
    call puts
    iretd

; set_gate: EAX handler, EDI the gate. Selector 0x08, type 0xE (32-bit interrupt gate), P.
set_gate:
    mov [edi], ax
    mov word [edi + 2], 0x08
    mov word [edi + 4], 0x8E00
    shr eax, 16
    mov [edi + 6], ax
    ret

; INT3 is a trap: the saved EIP is the instruction after it.
on_breakpoint:
    mov esi, s_int3
    call puts
    mov eax, [esp]                  ; EIP
    cmp eax, after_int3
    mov esi, s_ok
    je .report
    mov esi, s_bad
.report:
    call puts
    iretd

; #UD is a fault: the saved EIP is the UD2, which the handler steps over.
on_invalid_opcode:
    mov esi, s_ud
    call puts
    mov eax, [esp]
    cmp eax, after_int3
    mov esi, s_ok
    je .report
    mov esi, s_bad
.report:
    call puts
    add dword [esp], 2
    iretd

; putc: AL to COM1, once the transmitter holds nothing (LSR bit 5).
putc:
    push edx
    push eax
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop eax
    mov dx, COM1
    out dx, al
    pop edx
    ret

; puts: the NUL-terminated string at ESI.
puts:
    push esi
    push eax
.next:
    mov al, [esi]
    test al, al
    jz .end
    call putc
    inc esi
    jmp .next
.end:
    pop eax
    pop esi
    ret

newline:
    push eax
    mov al, 10
    call putc
    pop eax
    ret

; puthex: EAX as 0x followed by 8 hex digits.
puthex:
    push ecx
    push eax
    mov al, '0'
    call putc
    mov al, 'x'
    call putc
    pop eax
    push eax
    mov ecx, 8
.digit:
    rol eax, 4
    push eax
    and al, 0xF
    add al, '0'
    cmp al, '9'
    jbe .print
    add al, 'a' - '0' - 10
.print:
    call putc
    pop eax
    loop .digit
    pop eax
    pop ecx
    ret

; putdec: EAX in decimal.
putdec:
    push eax
    push ecx
    push edx
    push ebx
    mov ebx, 10
    xor ecx, ecx
.divide:
    xor edx, edx
    div ebx
    push edx
    inc ecx
    test eax, eax
    jnz .divide
.emit:
    pop eax
    add al, '0'
    call putc
    loop .emit
    pop ebx
    pop edx
    pop ecx
    pop eax
    ret

BITS 64
long_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rax, 0x123456789
    shr rax, 4                      ; a 64-bit result proves 64-bit code runs
    cmp rax, 0x12345678
    jne .failed
    lea rsi, [rel s_long]
.out:
    mov al, [rsi]
    test al, al
    jz .exit
    mov dx, COM1
    out dx, al
    inc rsi
    jmp .out
.exit:
    xor eax, eax
    out 0xF4, al                    ; keel: status (0 << 1) | 1
.failed:
    mov al, 1
    out 0xF4, al
    hlt

section .data
align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF           ; 0x08 32-bit code
    dq 0x00CF92000000FFFF           ; 0x10 data
    dq 0x00AF9A000000FFFF           ; 0x18 64-bit code
gdt_end:
gdt_pointer:
    dw gdt_end - gdt - 1
    dd gdt
idt_pointer:
    dw 256 * 8 - 1
    dd idt

s_hello:     db "multiboot: started in 32-bit protected mode", 10, 0
s_magic:     db "EAX = ", 0
s_ok:        db " ok", 10, 0
s_bad:       db " BAD", 10, 0
s_flags:     db "info flags (memory, cmdline, modules, mmap) = ", 0
s_mem:       db "memory: lower ", 0
s_kib_upper: db " KiB, upper ", 0
s_kib:       db " KiB", 10, 0
s_mmap:      db "memory map: ", 0
s_mmap_ram:  db " entries, usable RAM ", 0
s_cmdline:   db "command line ends with: ", 0
s_modules:   db "modules: ", 0
s_module:    db "module text: ", 0
s_aligned:   db "module start page-aligned", 10, 0
s_unaligned: db "module start NOT page-aligned", 10, 0
s_gdt:       db "own GDT loaded, CS reloaded by a far jump", 10, 0
s_int3:      db "int3 through a 32-bit trap path, EIP after it:", 0
s_ud:        db "#UD through a 32-bit interrupt gate, EIP at UD2:", 0
s_resumed:   db "resumed after UD2 by IRETD", 10, 0
s_long:      db "long mode: 64-bit code runs after PAE, EFER.LME and CR0.PG", 10, 0
s_daa:       db "daa: AL | flags << 8 = ", 0
s_das:       db "das: AL | flags << 8 = ", 0
s_aaa:       db "aaa: AX | (AF CF) << 16 = ", 0
s_aas:       db "aas: AX | (AF CF) << 16 = ", 0
s_aam:       db "aam: AX | (SF ZF PF) << 16 = ", 0
s_aad:       db "aad: AX | (SF ZF PF) << 16 = ", 0
s_salc:      db "salc with CF: AL = ", 0
s_arpl:      db "arpl: AX | ZF << 16 = ", 0
s_les:       db "les: offset = ", 0
s_les_selector: db "les: ES = ", 0
s_popad:     db "popad: sum of the seven registers = ", 0
s_pushad_esp: db "pushad: pushed ESP - ESP before = ", 0
s_popad_esp: db "popad: ESP after - ESP before = ", 0
s_bound:     db "#BR from BOUND out of range", 10, 0
s_into:      db "#OF from INTO with OF set, EIP after it:", 0
s_legacy_done: db "legacy instructions done", 10, 0
far_pointer: dd 0x12345678
             dw 0x10
bounds:      dd 0, 10

section .bss
alignb 4096
pml4:  resb 4096
pdpt:  resb 4096
pd:    resb 4096
idt:   resb 256 * 8
boot_eax: resd 1
saved_esp: resd 1
pushed_esp: resd 1
boot_ebx: resd 1
alignb 16
stack: resb 8192
stack_top:
