; A 64 KiB firmware image written by the project (issue 15; docs/bios.md), for -bios: the
; CPU starts it at the reset vector, F000:FFF0 with CS.base = 0xFFFF0000 (Intel SDM vol. 3
; §9.1.4), in real mode. On COM1 it reports what real mode does, in the order a PC's
; firmware meets it:
;   - the reset state (CS, IP, CR0 through SMSW) and the jump from the top of the 4 GiB
;     space to the copy of the image below 1 MiB;
;   - segment x 16 addressing, and 16-bit offsets that wrap at 64 KiB;
;   - the interrupt vector table: INT n, INT3, #DE and #UD (LTR is not recognised in real
;     mode) with the FLAGS, CS and IP they push, and IRET;
;   - far CALL/RETF, PUSHA/POPA, REP MOVSB between two segments, 32-bit operands;
;   - the A20 gate, through the keyboard controller (commands DD/DF) and port 0x92, which
;     the chipset ORs: with A20 off, FFFF:0510 is 0000:0500;
;   - protected mode and back: LGDT with a 24-bit base, CR0.PE, a far jump to 32-bit code,
;     a return to real mode through a 16-bit segment, and "unreal mode" (DS keeps its 4 GiB
;     limit: a 32-bit offset reads above 1 MiB); LMSW setting PE;
;   - in protected mode: a task switch to another TSS and back, CPL 3 calling CPL 0
;     through a call gate with a parameter, virtual-8086 mode and its #GP monitor;
;   - a hardware interrupt: the 8254 timer through the 8259 at vector 8 (the local APIC in
;     virtual-wire mode), waking HLT.
; It ends through the debug-exit port 0xF4 with 0 (keel's status 1). QEMU prints the same
; (tests/bios/reset_rom.expected; run as there described).
BITS 16
ORG 0

COM1      equ 0x3F8
ROM_BASE  equ 0xF0000          ; where the image's last 64 KiB are seen below 1 MiB
; Variables in RAM (the image itself is read-only), through FS = 0.
v_fault_ip  equ 0x600
v_skip      equ 0x602
v_ticks     equ 0x604
v_flags     equ 0x606
STACK_TOP   equ 0x7000

%macro print 1
    mov si, %1
    call puts
%endmacro
; report LABEL, REG16: the string, the value in hex, a newline.
%macro report 2
    print %1
    mov ax, %2
    call puthex16
    call newline
%endmacro

start:
    ; Here from the reset vector's far jump: CS = F000, base 0xF0000.
    cli
    cld
    mov ax, cs
    mov ds, ax
    xor ax, ax
    mov ss, ax
    mov sp, STACK_TOP
    mov fs, ax
    mov es, ax
    print s_hello
    report s_cs, cs
    smsw bx
    report s_msw, bx
    call ip_here
ip_here:
    pop ax
    report s_ip, ax

    ; The 8259s remapped to vectors 8 and 0x70 (as a PC BIOS does) and masked: nothing
    ; interrupts until the timer test unmasks IRQ 0.
    mov al, 0x11
    out 0x20, al
    out 0xA0, al
    mov al, 0x08
    out 0x21, al
    mov al, 0x70
    out 0xA1, al
    mov al, 0x04
    out 0x21, al
    mov al, 0x02
    out 0xA1, al
    mov al, 0x01
    out 0x21, al
    out 0xA1, al
    mov al, 0xFF
    out 0x21, al
    out 0xA1, al

    ; Segment x 16: 1234:0010 and 1235:0000 are the same byte.
    mov ax, 0x1234
    mov es, ax
    mov word [es:0x0010], 0xBEEF
    mov ax, 0x1235
    mov es, ax
    report s_alias, [es:0x0000]
    ; A 16-bit offset wraps: BX + 2 with BX = FFFF is offset 1.
    mov word [es:0x0000], 0x5A5A
    mov byte [es:0x0001], 0xA5
    mov bx, 0xFFFF
    mov al, [es:bx + 2]
    xor ah, ah
    report s_wrap, ax

    ; The interrupt vector table.
    xor ax, ax
    mov es, ax
    mov word [es:0x30 * 4], int30_handler
    mov word [es:0x30 * 4 + 2], cs
    mov word [es:0 * 4], fault_handler
    mov word [es:0 * 4 + 2], cs
    mov word [es:6 * 4], fault_handler
    mov word [es:6 * 4 + 2], cs
    mov word [es:3 * 4], int3_handler
    mov word [es:3 * 4 + 2], cs
    mov word [es:8 * 4], timer_handler
    mov word [es:8 * 4 + 2], cs

    sti
    mov ax, 0x1111
    int 0x30
    cli
    report s_int30, ax
    mov ax, [fs:v_flags]
    and ax, 0x0200
    report s_int30_if, ax          ; IF clear in the handler
    mov ax, [fs:v_fault_ip]
    and ax, 0x0200
    report s_int30_flags, ax       ; the FLAGS it pushed: IF set

    mov word [fs:v_skip], 2
    mov bl, 0
    mov ax, 7
.divide:
    div bl
    mov ax, [fs:v_fault_ip]
    sub ax, .divide
    report s_de, ax                ; 0: #DE pushes the divide's own IP

    mov word [fs:v_skip], 3
.ltr:
    ltr ax
    mov ax, [fs:v_fault_ip]
    sub ax, .ltr
    report s_ud, ax                ; 0: LTR raised #UD at itself

    int3
.after_int3:
    mov ax, [fs:v_fault_ip]
    sub ax, .after_int3
    report s_int3, ax              ; 0: INT3 pushes the next IP

    ; Far CALL and RETF, direct and through memory.
    xor ax, ax
    call 0xF000:far_procedure
    report s_farcall, ax
    call far [far_pointer]
    report s_farcall_mem, ax

    ; PUSHA/POPA.
    mov ax, 1
    mov cx, 2
    mov dx, 3
    mov bx, 4
    mov bp, 5
    mov si, 6
    mov di, 7
    mov [fs:v_fault_ip], sp
    pusha
    xor ax, ax
    xor cx, cx
    xor dx, dx
    xor bx, bx
    xor bp, bp
    xor si, si
    xor di, di
    popa
    add ax, cx
    add ax, dx
    add ax, bx
    add ax, bp
    add ax, si
    add ax, di
    report s_popa, ax              ; 1+...+7 = 0x1c
    mov ax, sp
    sub ax, [fs:v_fault_ip]
    report s_popa_sp, ax

    ; REP MOVSB from DS:SI (the image) to ES:DI (RAM at 0x2000:0000), then printed from there.
    mov ax, 0x2000
    mov es, ax
    mov si, s_copied
    xor di, di
    mov cx, s_copied_end - s_copied
    rep movsb
    push ds
    mov ax, es
    mov ds, ax
    xor si, si
    call puts
    pop ds

    ; 32-bit operands in 16-bit code.
    mov eax, 0x12345678
    ror eax, 8
    print s_eax
    call puthex32
    call newline

    call a20_test
    call protected_mode_test

    ; The timer: channel 0, mode 2, about 1 ms; IRQ 0 unmasked; HLT until it comes. The
    ; 8259 reaches the CPU through the local APIC's LINT0, which starts masked: as a PC
    ; BIOS does, the APIC is set to virtual-wire mode first (Intel MP spec §3.6.2.2),
    ; through ES's 4 GiB limit left from protected mode.
    xor ax, ax
    mov es, ax
    or dword [es:dword 0xFEE000F0], 0x100   ; spurious-interrupt register: APIC enabled
    mov dword [es:dword 0xFEE00350], 0x8700 ; LINT0: ExtINT, level
    mov word [fs:v_ticks], 0
    mov al, 0x34
    out 0x43, al
    mov al, 0xA9
    out 0x40, al
    mov al, 0x04
    out 0x40, al
    mov al, 0xFE
    out 0x21, al
.wait_tick:
    sti
    hlt
    cli
    cmp word [fs:v_ticks], 3
    jb .wait_tick
    mov al, 0xFF
    out 0x21, al
    print s_timer


    print s_done
    xor al, al
    out 0xF4, al                   ; keel: status (0 << 1) | 1
    cli
.stop:
    hlt
    jmp .stop

; ---------------------------------------------------------------------------------------
; A20: 0000:0500 is physical 0x500; FFFF:0510 is 0x100500 with A20 on and 0x500 with it off.
a20_test:
    xor ax, ax
    mov es, ax
    mov ax, 0xFFFF
    mov gs, ax
    mov word [es:0x0500], 0x1111
    mov word [gs:0x0510], 0x2222
    report s_a20_on, [es:0x0500]
    mov al, 0xDD                   ; keyboard controller: A20 off (port 0x92's is off too)
    call kbc_command
    mov word [gs:0x0510], 0x3333
    report s_a20_off, [es:0x0500]
    in al, 0x92
    or al, 0x02                    ; port 0x92: A20 on, whatever the keyboard controller says
    out 0x92, al
    report s_a20_port92, [gs:0x0510]
    in al, 0x92
    and al, 0xFD
    out 0x92, al
    report s_a20_both_off, [gs:0x0510]
    mov al, 0xDF                   ; keyboard controller: A20 on again
    call kbc_command
    report s_a20_kbc, [gs:0x0510]
    ret

kbc_command:
    push ax
.busy:
    in al, 0x64
    test al, 0x02
    jnz .busy
    pop ax
    out 0x64, al
    ret

; ---------------------------------------------------------------------------------------
protected_mode_test:
    lgdt [gdt_pointer]             ; 16-bit operand size: a 24-bit base
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword 0x08:(ROM_BASE + pm32)

BITS 32
pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ax, 0x20
    mov ss, ax                     ; a 16-bit stack segment, base 0
    mov esp, STACK_TOP - 16        ; below the real-mode caller's return address
    mov esi, ROM_BASE + s_pm
    call pm_puts
    jmp pm_extras
pm_extras_done:
    lidt [ROM_BASE + real_idt_pointer]       ; real mode takes its vectors from IDTR too
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov fs, ax                               ; leaving virtual-8086 mode nulled FS and GS, and
    mov gs, ax                               ; real mode keeps the descriptor caches it finds
    mov ax, 0x20
    mov ss, ax
    mov esp, STACK_TOP - 16
    mov dword [0x200000], 0xCAFEF00D
    ; Back to real mode through a 16-bit code segment based at the image's low copy.
    jmp 0x18:back16

; ---------------------------------------------------------------------------------------
; Protected-mode extras, at CPL 0 in 32-bit flat code: a task switch to another TSS and
; back, CPL 3 calling CPL 0 through a call gate with a parameter, and virtual-8086 mode
; whose IOPL-sensitive INT n lands in the #GP monitor (Intel SDM vol. 3 §7.3, §5.8, ch. 20).
RAM_IDT  equ 0x10000
RAM_GDT  equ 0x11000
TSS_A    equ 0x12000
TSS_B    equ 0x12100
KSTACK   equ 0x6F00

%macro pm_print 1
    mov esi, ROM_BASE + %1
    call pm_puts
%endmacro
%macro pm_report 2
    pm_print %1
    mov eax, %2
    call pm_puthex
    call pm_newline
%endmacro
; idt_gate VECTOR, HANDLER, TYPE_ATTRIBUTES (a 32-bit gate to selector 0x08)
%macro idt_gate 3
    mov eax, ROM_BASE + %2
    mov [RAM_IDT + %1 * 8], ax
    mov word [RAM_IDT + %1 * 8 + 2], 0x08
    mov word [RAM_IDT + %1 * 8 + 4], %3 << 8
    shr eax, 16
    mov [RAM_IDT + %1 * 8 + 6], ax
%endmacro

BITS 32
pm_extras:
    mov ax, 0x10
    mov ss, ax
    mov esp, KSTACK
    ; The GDT in RAM (the CPU writes busy bits), with user segments, two TSSs, a call gate.
    mov esi, ROM_BASE + gdt
    mov edi, RAM_GDT
    mov ecx, (gdt_end - gdt) / 4
    rep movsd
    mov dword [RAM_GDT + 0x28], 0x0000FFFF   ; 0x28: 32-bit code, DPL 3
    mov dword [RAM_GDT + 0x2C], 0x00CFFB00
    mov dword [RAM_GDT + 0x30], 0x0000FFFF   ; 0x30: 32-bit data, DPL 3
    mov dword [RAM_GDT + 0x34], 0x00CFF300
    mov dword [RAM_GDT + 0x38], ((TSS_A & 0xFFFF) << 16) | 0x67 ; 0x38: TSS A, 32-bit, available
    mov dword [RAM_GDT + 0x3C], 0x00008900 | (TSS_A >> 16)
    mov dword [RAM_GDT + 0x40], ((TSS_B & 0xFFFF) << 16) | 0x67 ; 0x40: TSS B
    mov dword [RAM_GDT + 0x44], 0x00008900 | (TSS_B >> 16)
    mov eax, ROM_BASE + gate_target          ; 0x48: call gate to 0x08:gate_target, DPL 3, 1 parameter
    mov [RAM_GDT + 0x48], ax
    mov word [RAM_GDT + 0x4A], 0x08
    mov word [RAM_GDT + 0x4C], 0xEC01
    shr eax, 16
    mov [RAM_GDT + 0x4E], ax
    lgdt [ROM_BASE + ram_gdt_pointer]
    jmp dword 0x08:(ROM_BASE + .reloaded)
.reloaded:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax                               ; FS and GS still hold real-mode selectors (GS 0xFFFF),
    mov gs, ax                               ; which a task switch back to this task would load
    ; The IDT: #GP to the virtual-8086 monitor, INT 0x31 (DPL 3) back from CPL 3.
    mov edi, RAM_IDT
    xor eax, eax
    mov ecx, 512
    rep stosd
    idt_gate 13, v86_monitor, 0x8E
    idt_gate 0x31, user_done, 0xEF
    lidt [ROM_BASE + ram_idt_pointer]
    ; The TSSs: A's ring-0 stack; B's whole state.
    mov edi, TSS_A
    xor eax, eax
    mov ecx, 0x200 / 4
    rep stosd
    mov dword [TSS_A + 4], 0x9000            ; ESP0
    mov dword [TSS_A + 8], 0x10              ; SS0
    mov word [TSS_A + 0x66], 0x68            ; I/O map base past the limit: no bitmap
    mov dword [TSS_B + 0x20], ROM_BASE + task_b
    mov dword [TSS_B + 0x24], 0x2
    mov dword [TSS_B + 0x38], 0x8400         ; ESP
    mov dword [TSS_B + 0x48], 0x10           ; ES
    mov dword [TSS_B + 0x4C], 0x08           ; CS
    mov dword [TSS_B + 0x50], 0x10           ; SS
    mov dword [TSS_B + 0x54], 0x10           ; DS
    mov dword [TSS_B + 0x58], 0x10           ; FS
    mov dword [TSS_B + 0x5C], 0x10           ; GS
    mov ax, 0x38
    ltr ax

    ; A task switch: JMP to TSS B, which JMPs back to TSS A.
    mov ebx, 0xA11CE
    jmp 0x40:0
    pm_report s_task_a, ebx                  ; A's EBX, restored from its TSS
    str ax
    movzx eax, ax
    pm_report s_task_tr, eax
    movzx eax, byte [RAM_GDT + 0x45]
    and eax, 0x0F
    pm_report s_task_b_type, eax             ; B available again (type 9)

    ; CPL 3 through IRETD (IOPL 3: it may print), then a call gate back to CPL 0.
    push dword 0x33
    push dword 0x8800
    push dword 0x3002
    push dword 0x2B
    push dword ROM_BASE + user_code
    iretd

.after_user:
    ; Virtual-8086 mode: IRETD with VM (IOPL 0) to F000:v86_code; its INT n is a #GP.
    push dword 0x0000                        ; GS
    push dword 0x0000                        ; FS
    push dword 0x2000                        ; DS: the REP MOVSB copy at 0x20000
    push dword 0x0000                        ; ES
    push dword 0x0000                        ; SS
    push dword 0x7800                        ; ESP
    push dword 0x00020002                    ; EFLAGS: VM, IOPL 0
    push dword 0xF000                        ; CS
    push dword v86_code                      ; EIP
    iretd

task_b:
    str ax
    movzx eax, ax
    pm_report s_task_b, eax
    jmp 0x38:0

user_code:
    mov ax, 0x33
    mov ds, ax
    mov es, ax
    mov ax, cs
    movzx eax, ax
    pm_report s_user, eax
    push dword 0x1234
    call 0x4B:0                              ; the gate (RPL 3)
    mov eax, esp
    pm_report s_user_back, eax               ; RETF 4 released the parameter
    int 0x31

gate_target:
    mov ax, cs
    movzx eax, ax
    pm_report s_gate_cs, eax
    pm_report s_gate_param, [esp + 8]
    pm_report s_gate_ss, [esp + 16]
    retf 4

user_done:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov esp, KSTACK
    jmp pm_extras.after_user

v86_monitor:
    ; The #GP frame from virtual-8086 mode: error code, EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS.
    mov ebx, eax                             ; the virtual-8086 code's AX
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    pm_report s_v86_error, [esp]
    pm_report s_v86_cs, [esp + 8]
    mov eax, [esp + 12]
    shr eax, 17
    and eax, 1
    pm_report s_v86_vm, eax
    pm_report s_v86_ds, [esp + 28]
    movzx eax, bx
    pm_report s_v86_ax, eax
    mov esp, KSTACK
    jmp pm_extras_done

pm_newline:
    push eax
    push edx
    mov dx, COM1
    mov al, 10
    out dx, al
    pop edx
    pop eax
    ret

; pm_puthex: EAX as 0x and 8 hex digits.
pm_puthex:
    push eax
    push ebx
    push ecx
    push edx
    mov ebx, eax
    mov dx, COM1
    mov al, '0'
    out dx, al
    mov al, 'x'
    out dx, al
    mov ecx, 8
.digit:
    rol ebx, 4
    mov al, bl
    and al, 0x0F
    add al, '0'
    cmp al, '9'
    jbe .print
    add al, 'a' - '0' - 10
.print:
    out dx, al
    loop .digit
    pop edx
    pop ecx
    pop ebx
    pop eax
    ret

BITS 16
v86_code:
    mov ax, [0x0000]
    int 0x30

BITS 16
back16:
    mov eax, cr0
    and al, 0xFE
    mov cr0, eax
    jmp 0xF000:real_again
real_again:
    xor ax, ax
    mov ss, ax
    mov sp, STACK_TOP - 2          ; our return address is still there
    mov es, ax                     ; ES: base 0, and still the 4 GiB limit of selector 0x10
    mov ax, cs
    mov ds, ax
    print s_real_again
    mov eax, [es:dword 0x200000]
    print s_unreal
    call puthex32
    call newline
    ; LMSW sets PE (it cannot clear it): 16-bit protected mode in the same code.
    smsw ax
    or al, 1
    lmsw ax
    jmp 0x18:lmsw_pm
lmsw_pm:
    smsw bx
    report s_lmsw, bx
    mov eax, cr0
    and al, 0xFE
    mov cr0, eax
    jmp 0xF000:.real
.real:
    ret

; ---------------------------------------------------------------------------------------
; Handlers.
int30_handler:
    pushf
    pop word [fs:v_flags]
    push bp
    mov bp, sp
    mov bx, [bp + 6]               ; the FLAGS the INT pushed
    mov [fs:v_fault_ip], bx
    pop bp
    add ax, 0x2222
    iret

; #DE and #UD: remembers the IP pushed, resumes v_skip bytes after it.
fault_handler:
    push bp
    mov bp, sp
    push ax
    mov ax, [bp + 2]
    mov [fs:v_fault_ip], ax
    add ax, [fs:v_skip]
    mov [bp + 2], ax
    pop ax
    pop bp
    iret

int3_handler:
    push bp
    mov bp, sp
    push ax
    mov ax, [bp + 2]
    mov [fs:v_fault_ip], ax
    pop ax
    pop bp
    iret

timer_handler:
    push ax
    inc word [fs:v_ticks]
    mov al, 0x20
    out 0x20, al
    pop ax
    iret

far_procedure:
    mov ax, cs
    retf

far_procedure_2:
    mov ax, 0x4242
    retf

; ---------------------------------------------------------------------------------------
; Output on COM1 (DS:SI strings).
putc:
    push dx
    push ax
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop ax
    mov dx, COM1
    out dx, al
    pop dx
    ret

puts:
    push ax
.next:
    lodsb
    test al, al
    jz .end
    call putc
    jmp .next
.end:
    pop ax
    ret

newline:
    push ax
    mov al, 10
    call putc
    pop ax
    ret

; puthex16: AX as 0x and 4 hex digits; puthex32: EAX as 0x and 8.
puthex16:
    push cx
    push eax
    shl eax, 16
    mov cx, 4
    jmp puthex_digits
puthex32:
    push cx
    push eax
    mov cx, 8
puthex_digits:
    push eax
    mov al, '0'
    call putc
    mov al, 'x'
    call putc
    pop eax
.digit:
    rol eax, 4
    push eax
    and al, 0x0F
    add al, '0'
    cmp al, '9'
    jbe .print
    add al, 'a' - '0' - 10
.print:
    call putc
    pop eax
    loop .digit
    pop eax
    pop cx
    ret

BITS 32
pm_puts:
    push eax
    push edx
.next:
    lodsb
    test al, al
    jz .end
    mov ah, al
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    mov al, ah
    mov dx, COM1
    out dx, al
    jmp .next
.end:
    pop edx
    pop eax
    ret
BITS 16

; ---------------------------------------------------------------------------------------
align 8
gdt:
    dq 0
    dq 0x00CF9B000000FFFF          ; 0x08: 32-bit code, base 0, 4 GiB (accessed: ROM is not written)
    dq 0x00CF93000000FFFF          ; 0x10: 32-bit data, base 0, 4 GiB
    dq 0x00009B0F0000FFFF          ; 0x18: 16-bit code, base 0xF0000, 64 KiB
    dq 0x000093000000FFFF          ; 0x20: 16-bit data, base 0, 64 KiB
gdt_end:
gdt_pointer:
    dw gdt_end - gdt - 1
    dd ROM_BASE + gdt
far_pointer:
    dw far_procedure_2, 0xF000
ram_gdt_pointer:
    dw 0x4F
    dd RAM_GDT
ram_idt_pointer:
    dw 0x7FF
    dd RAM_IDT
real_idt_pointer:
    dw 0x3FF
    dd 0

s_hello:      db "keel reset ROM: real mode from the reset vector", 10, 0
s_cs:         db "CS after the far jump: ", 0
s_msw:        db "SMSW (CR0 low bits after reset): ", 0
s_ip:         db "IP of the first call's return: ", 0
s_alias:      db "1235:0000 after a write to 1234:0010: ", 0
s_wrap:       db "ES:[FFFF + 2] (offset 1): ", 0
s_int30:      db "INT 30h handler: AX = ", 0
s_int30_if:   db "IF in the handler: ", 0
s_int30_flags: db "FLAGS pushed by INT (IF bit): ", 0
s_de:         db "#DE: pushed IP - DIV's IP = ", 0
s_ud:         db "#UD from LTR in real mode: pushed IP - LTR's IP = ", 0
s_int3:       db "INT3: pushed IP - next IP = ", 0
s_timer:      db "timer: IRQ 0 at vector 8 woke HLT three times", 10, 0
s_farcall:    db "far CALL 0xF000:proc returned CS = ", 0
s_farcall_mem: db "far CALL through memory returned AX = ", 0
s_popa:       db "POPA: sum of the seven registers = ", 0
s_popa_sp:    db "POPA: SP after - SP before = ", 0
s_copied:     db "REP MOVSB copied this line from F000 to 2000", 10, 0
s_copied_end:
s_eax:        db "ROR EAX (0x12345678), 8 = ", 0
s_a20_on:     db "A20 on: 0000:0500 after a write to FFFF:0510 = ", 0
s_a20_off:    db "A20 off (keyboard controller DD): 0000:0500 after a write to FFFF:0510 = ", 0
s_a20_port92: db "port 0x92 A20 on: FFFF:0510 = ", 0
s_a20_both_off: db "port 0x92 A20 off again: FFFF:0510 = ", 0
s_a20_kbc:    db "keyboard controller DF: FFFF:0510 = ", 0
s_pm:         db "protected mode: 32-bit code at 0x000Fxxxx through selector 0x08", 10, 0
s_task_b:     db "task B: running after a JMP to its TSS, TR = ", 0
s_task_a:     db "task A: resumed after B's JMP back, EBX = ", 0
s_task_tr:    db "task A: TR = ", 0
s_task_b_type: db "task B's TSS type after the switch back (available) = ", 0
s_user:       db "CPL 3 code: CS = ", 0
s_gate_cs:    db "call gate: CS at the target = ", 0
s_gate_param: db "call gate: the parameter copied to the inner stack = ", 0
s_gate_ss:    db "call gate: the caller's SS on the inner stack = ", 0
s_user_back:  db "back at CPL 3 after RETF 4: ESP = ", 0
s_v86_error:  db "virtual-8086 INT 30h with IOPL 0: #GP error code = ", 0
s_v86_cs:     db "virtual-8086 monitor: pushed CS = ", 0
s_v86_vm:     db "virtual-8086 monitor: pushed EFLAGS.VM = ", 0
s_v86_ds:     db "virtual-8086 monitor: pushed DS = ", 0
s_v86_ax:     db "virtual-8086 code read DS:0000 (0x20000) into AX = ", 0
s_real_again: db "back in real mode", 10, 0
s_unreal:     db "unreal mode: ES:[0x200000] = ", 0
s_lmsw:       db "LMSW set PE: MSW in 16-bit protected mode = ", 0
s_done:       db "reset ROM done", 10, 0

; The reset vector: 16 bytes before the end, reached at 0xFFFFFFF0.
times 0xFFF0 - ($ - $$) db 0xFF
reset_vector:
    jmp 0xF000:start
times 0x10000 - ($ - $$) db 0xFF
