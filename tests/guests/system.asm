; System instructions: the entry state (read back with sgdt/sidt and the control
; registers), cpuid, rdtsc, rdmsr/wrmsr, swapgs, mov to/from CR0/CR2/CR3/CR4/CR8,
; lgdt/lidt/ltr, iretq to the same CPL, and a round trip through CPL 3: iretq into
; user code, int 0x80 back to CPL 0 on the TSS's RSP0 stack, iretq to CPL 3 again,
; and a second int 0x80 that returns to the kernel flow.
; One line per group; a failing check adds a FAIL line naming itself.
bits 64
default rel

%include "guest_main.inc"

extern idt_init, idt_set_gate

%define MSR_EFER           0xC0000080
%define MSR_FS_BASE        0xC0000100
%define MSR_GS_BASE        0xC0000101
%define MSR_KERNEL_GS_BASE 0xC0000102

; docs/test-guest-entry-state.md, for the default 256 MiB of RAM (run_guest.sh
; passes no -m).
%define RAM_TOP      (256 << 20)
%define ENTRY_GDT    (RAM_TOP - 0x7000)
%define ENTRY_PML4   (RAM_TOP - 0x6000)

%define SEL_KCODE 0x08
%define SEL_KDATA 0x10
%define SEL_UDATA (0x18 | 3)
%define SEL_UCODE (0x20 | 3)
%define SEL_TSS   0x28

%define TSS_SIZE  104               ; SDM Vol 3A 8.7, Figure 8-11

; What int80_handler records per call: the CPU's frame, and RSP on entry.
%define FRAME_RIP       0
%define FRAME_CS        8
%define FRAME_RFLAGS    16
%define FRAME_RSP       24
%define FRAME_SS        32
%define FRAME_ENTRY_RSP 40
%define FRAME_SIZE      48

; Reads MSR %1 into rax (all 64 bits).
%macro RDMSR64 1
    mov ecx, %1
    rdmsr
    shl rdx, 32
    or rax, rdx
%endmacro

; Writes rax to MSR %1.
%macro WRMSR64 1
    mov ecx, %1
    mov rdx, rax
    shr rdx, 32
    wrmsr
%endmacro

section .text
GUEST_MAIN
    call entry_state                ; first, before anything is changed
    call identification
    call time_stamp
    call descriptor_tables
    call control_registers
    call model_specific_registers
    call iretq_same_cpl
    call user_mode
    GUEST_MAIN_END "system"

entry_state:
    sidt [table_reg]
    movzx eax, word [table_reg]
    CHECK rax, 0, "IDTR limit"
    CHECK qword [table_reg + 2], 0, "IDTR base"
    sgdt [table_reg]
    CHECK qword [table_reg + 2], ENTRY_GDT, "GDTR base"
    movzx eax, word [table_reg]
    cmp eax, 0x17                   ; null, 0x08 and 0x10 lie inside the limit
    setae al
    CHECK rax, 1, "GDTR limit covers 0x10"
    mov rax, cr0
    CHECK rax, 0x80010033, "CR0"
    mov rax, cr3
    and rax, ~0xFFF
    CHECK rax, ENTRY_PML4, "CR3"
    mov rax, cr4
    CHECK rax, 0x620, "CR4"
    RDMSR64 MSR_EFER
    CHECK rax, 0xD00, "EFER"
    GROUP_END "entry state"
    ret

; CPUID. Only what a CPU running this suite must report: long mode and the
; features the entry state or the other guests use (SDM Vol 2 CPUID, Tables 3-8
; to 3-20). Vendor strings and model numbers differ between real CPUs: not checked.
identification:
    xor eax, eax
    cpuid
    mov r12d, eax                   ; highest basic leaf
    cmp eax, 1
    setae al
    movzx eax, al
    CHECK rax, 1, "leaf 0: basic leaves up to 1 at least"
    mov eax, 1
    xor ecx, ecx
    cpuid
    mov eax, edx
    and eax, (1 << 4) | (1 << 5) | (1 << 6)
    CHECK rax, 0x70, "leaf 1 EDX: TSC, MSR, PAE"
    mov eax, ecx                    ; alu.asm uses cmpxchg16b and popcnt
    and eax, (1 << 13) | (1 << 23)
    CHECK rax, (1 << 13) | (1 << 23), "leaf 1 ECX: CMPXCHG16B, POPCNT"
    xor r13d, r13d                  ; leaf 7 EBX, if leaf 7 exists
    cmp r12d, 7
    jb .no_leaf7
    mov eax, 7
    xor ecx, ecx
    cpuid
    mov r13d, ebx
.no_leaf7:
    and r13d, 1 << 3                ; BMI1: tzcnt (alu.asm)
    CHECK r13, 1 << 3, "leaf 7 EBX: BMI1"
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    setae al
    movzx eax, al
    CHECK rax, 1, "leaf 0x80000000: extended leaves up to 0x80000001"
    mov eax, 0x80000001
    cpuid
    mov eax, edx                    ; LM: we run in IA-32e mode; NX: EFER.NXE is set
    and eax, (1 << 29) | (1 << 20)  ; (SDM Vol 3A 4.1.4)
    CHECK rax, (1 << 29) | (1 << 20), "leaf 0x80000001 EDX: LM, NX"
    mov eax, ecx                    ; LAHF/SAHF in 64-bit mode, LZCNT (alu.asm)
    and eax, (1 << 0) | (1 << 5)
    CHECK rax, (1 << 0) | (1 << 5), "leaf 0x80000001 ECX: LAHF-SAHF, LZCNT"
    GROUP_END "cpuid"
    ret

; RDTSC: EDX:EAX with bits 63:32 of RAX and RDX cleared (SDM Vol 2 RDTSC); the
; counter never goes backwards and moves across a loop of a thousand iterations.
time_stamp:
    mov rax, -1
    mov rdx, -1
    rdtsc
    mov rcx, rax
    or rcx, rdx
    shr rcx, 32
    CHECK rcx, 0, "rdtsc zero-extends"
    shl rdx, 32
    or rax, rdx
    mov r12, rax
    mov ecx, 1000
.spin:
    loop .spin
    rdtsc
    shl rdx, 32
    or rax, rdx
    cmp rax, r12
    seta al
    movzx eax, al
    CHECK rax, 1, "rdtsc increases"
    GROUP_END "rdtsc"
    ret

; Our own GDT (same 0x08/0x10 as keel's, plus user segments and a TSS) and IDT.
; lgdt does not touch the segment registers, whose cached descriptors stay valid
; (SDM Vol 3A 3.4.3). LTR marks the TSS descriptor busy: type 9 -> 11 (Vol 2 LTR).
descriptor_tables:
    push rbx                        ; (16-byte aligned calls below)
    lea rax, [tss]                  ; TSS descriptor (SDM Vol 3A 8.2.3, Figure 8-4)
    mov rdx, rax
    and edx, 0xFFFFFF
    shl rdx, 16
    or rdx, TSS_SIZE - 1            ; limit 15:0
    mov rcx, 0x89 << 40             ; P, DPL 0, type 9: available 64-bit TSS
    or rdx, rcx
    mov rcx, rax
    shr rcx, 24
    and ecx, 0xFF
    shl rcx, 56                     ; base 31:24
    or rdx, rcx
    mov [gdt + SEL_TSS], rdx
    shr rax, 32
    mov [gdt + SEL_TSS + 8], rax    ; base 63:32
    lea rax, [kstack_top]
    mov [tss + 4], rax              ; RSP0
    mov word [tss + 102], TSS_SIZE  ; I/O map base beyond the limit: no bitmap
    lgdt [gdtr]
    sgdt [table_reg]
    movzx eax, word [table_reg]
    CHECK rax, gdt_end - gdt - 1, "sgdt limit"
    lea rax, [gdt]
    CHECK qword [table_reg + 2], rax, "sgdt base"
    mov ax, SEL_TSS
    ltr ax
    movzx eax, byte [gdt + SEL_TSS + 5]
    CHECK rax, 0x8B, "ltr marks the TSS busy"
    ; The runtime's IDT (lib/idt.c: all vectors report and exit), with a DPL 3
    ; interrupt gate for int 0x80 so CPL 3 may use it (SDM Vol 3A 6.12.1.1).
    call idt_init
    mov edi, 0x80
    lea rsi, [int80_handler]
    mov edx, 0xE
    mov ecx, 3
    call idt_set_gate
    sidt [table_reg]
    movzx eax, word [table_reg]
    CHECK rax, 256 * 16 - 1, "sidt limit after idt_init"
    mov rax, [table_reg + 2]
    mov [idtr + 2], rax             ; load the same table again, here
    mov word [idtr], 256 * 16 - 1
    lidt [idtr]
    sidt [table_reg]
    CHECK qword [table_reg + 2], rax, "lidt/sidt base"
    GROUP_END "lgdt/sgdt/ltr/lidt/sidt"
    pop rbx
    ret

; Control registers (SDM Vol 3A 2.5). Each change is undone.
control_registers:
    mov rax, cr0
    mov rbx, rax
    btr rax, 16                     ; clear WP
    mov cr0, rax
    mov rax, cr0
    CHECK rax, 0x80000033, "CR0 without WP"
    mov cr0, rbx
    mov rax, cr0
    CHECK rax, 0x80010033, "CR0 restored"
    mov rax, 0x0000123456789ABC     ; CR2 is writable and holds any value
    mov cr2, rax
    xor eax, eax
    mov rax, cr2
    CHECK rax, 0x123456789ABC, "CR2"
    mov rax, cr4
    mov rbx, rax
    or rax, 1 << 2                  ; TSD: only affects rdtsc at CPL > 0
    mov cr4, rax
    mov rax, cr4
    CHECK rax, 0x624, "CR4 with TSD"
    mov cr4, rbx
    mov rax, cr4
    CHECK rax, 0x620, "CR4 restored"
    mov eax, 5                      ; CR8 = TPR (SDM Vol 3A 11.8.6.5)
    mov cr8, rax
    xor eax, eax
    mov rax, cr8
    CHECK rax, 5, "CR8"
    xor eax, eax
    mov cr8, rax
    ; Our own page tables: 0-4 MiB as two 2 MiB pages, user-accessible so that
    ; user_mode can run from the image. The image, stacks and GDT live there.
    lea rax, [pdpt]
    or rax, 7                       ; P, R/W, U/S
    mov [pml4], rax
    lea rax, [pdir]
    or rax, 7
    mov [pdpt], rax
    mov qword [pdir], 0x000000 | 0x87        ; P, R/W, U/S, PS
    mov qword [pdir + 8], 0x200000 | 0x87
    lea rbx, [pml4]
    mov cr3, rbx
    mov rax, cr3
    CHECK rax, rbx, "CR3 switched"
    mov rax, [cr3_probe]            ; still running, and data reads through the
    CHECK rax, 0xC3C3C3C3, "read after CR3 switch"   ; new tables work
    GROUP_END "mov to/from CR0/CR2/CR3/CR4/CR8"
    ret

; EFER, FS/GS bases, KERNEL_GS_BASE and swapgs, which exchanges GS_BASE with
; KERNEL_GS_BASE (SDM Vol 2 SWAPGS).
model_specific_registers:
    RDMSR64 MSR_EFER
    mov rbx, rax
    or rax, 1                       ; SCE
    WRMSR64 MSR_EFER
    RDMSR64 MSR_EFER
    CHECK rax, 0xD01, "EFER with SCE"
    mov rax, rbx
    WRMSR64 MSR_EFER
    RDMSR64 MSR_EFER
    CHECK rax, 0xD00, "EFER restored"
    mov rax, 0xFFFF800012345678     ; any canonical address
    WRMSR64 MSR_FS_BASE
    RDMSR64 MSR_FS_BASE
    CHECK rax, 0xFFFF800012345678, "FS_BASE"
    lea rax, [gs_area_a]
    WRMSR64 MSR_GS_BASE
    lea rax, [gs_area_b]
    WRMSR64 MSR_KERNEL_GS_BASE
    RDMSR64 MSR_KERNEL_GS_BASE
    lea rcx, [gs_area_b]
    CHECK rax, rcx, "KERNEL_GS_BASE"
    mov rax, [gs:0]
    CHECK rax, 0xAAAA, "gs:0 before swapgs"
    swapgs
    mov rax, [gs:0]
    CHECK rax, 0xBBBB, "gs:0 after swapgs"
    RDMSR64 MSR_GS_BASE
    lea rcx, [gs_area_b]
    CHECK rax, rcx, "GS_BASE after swapgs"
    RDMSR64 MSR_KERNEL_GS_BASE
    lea rcx, [gs_area_a]
    CHECK rax, rcx, "KERNEL_GS_BASE after swapgs"
    swapgs
    mov rax, [gs:0]
    CHECK rax, 0xAAAA, "gs:0 after second swapgs"
    xor eax, eax
    WRMSR64 MSR_FS_BASE
    WRMSR64 MSR_GS_BASE
    WRMSR64 MSR_KERNEL_GS_BASE
    GROUP_END "rdmsr/wrmsr/swapgs"
    ret

; IRETQ to CPL 0 pops RIP, CS, RFLAGS, RSP and SS (64-bit mode always pops all
; five, SDM Vol 2 IRET) and lands with exactly that RSP and RFLAGS.
iretq_same_cpl:
    mov rbx, rsp
    lea rcx, [rbx - 64]
    push SEL_KDATA
    push rcx
    push 0x2 | 0x1 | 0x40 | 0x800   ; CF, ZF, OF
    push SEL_KCODE
    lea rax, [.landed]
    push rax
    iretq
    CHECK 1, 0, "iretq fell through"
.landed:
    CHECKF 0xFFF, 0x843, "iretq RFLAGS"
    mov rax, rsp
    lea rcx, [rbx - 64]
    CHECK rax, rcx, "iretq RSP"
    mov rsp, rbx
    GROUP_END "iretq to CPL 0"
    ret

; CPL 3 round trip. The frames int 0x80 pushes on the RSP0 stack are recorded by
; int80_handler and checked here (SDM Vol 3A 6.12.1, 6.14.2: the CPU loads RSP0,
; aligns it to 16 bytes and pushes SS, RSP, RFLAGS, CS, RIP).
user_mode:
    mov [kernel_rsp], rsp
    push SEL_UDATA                  ; SS
    lea rax, [ustack_top]
    push rax                        ; RSP
    push 0x2                        ; RFLAGS: IF=0, IOPL 0
    push SEL_UCODE                  ; CS
    lea rax, [user_code]
    push rax                        ; RIP
    iretq
    CHECK 1, 0, "iretq to CPL 3 fell through"
.returned:                          ; from int80_handler's second call, CPL 0
    CHECK qword [int80_count], 2, "int 0x80 calls"
    CHECK qword [user_sum], 5050, "work done at CPL 3"
    CHECK qword [user_rax], 0x1234, "rax set by the handler"
    lea rbx, [int80_frames]
    CHECK qword [rbx + FRAME_RIP], user_code.after_first, "1st frame RIP"
    CHECK qword [rbx + FRAME_CS], SEL_UCODE, "1st frame CS"
    CHECK qword [rbx + FRAME_RFLAGS], 0x46, "1st frame RFLAGS"
    CHECK qword [rbx + FRAME_RSP], ustack_top, "1st frame RSP"
    CHECK qword [rbx + FRAME_SS], SEL_UDATA, "1st frame SS"
    CHECK qword [rbx + FRAME_ENTRY_RSP], kstack_top - 40, "1st entry on RSP0"
    add rbx, FRAME_SIZE
    CHECK qword [rbx + FRAME_RIP], user_code.after_second, "2nd frame RIP"
    CHECK qword [rbx + FRAME_CS], SEL_UCODE, "2nd frame CS"
    CHECK qword [rbx + FRAME_RFLAGS], 0x97, "2nd frame RFLAGS"
    CHECK qword [rbx + FRAME_RSP], ustack_top - 8, "2nd frame RSP"
    CHECK qword [rbx + FRAME_SS], SEL_UDATA, "2nd frame SS"
    CHECK qword [rbx + FRAME_ENTRY_RSP], kstack_top - 40, "2nd entry on RSP0"
    GROUP_END "iretq to CPL 3, int 0x80 back through TSS.RSP0"
    ret

; Runs at CPL 3 (ring 3 may not do I/O, so it only computes and traps).
user_code:
    xor eax, eax
    mov ecx, 100
.sum:
    add eax, ecx
    loop .sum
    mov [user_sum], rax
    mov eax, 1                      ; "system call" 1: return to CPL 3
    cmp eax, eax                    ; RFLAGS in the frame: ZF PF (0x46)
    int 0x80
.after_first:
    mov [user_rax], rax
    push rax                        ; the 2nd frame must show RSP = ustack_top - 8
    mov eax, 2                      ; "system call" 2: back to the kernel flow
    cmp eax, 3                      ; 2 - 3: CF PF AF SF (0x97)
    int 0x80
.after_second:
    ud2                             ; not reached

; The int 0x80 gate: CPL 0, on the RSP0 stack. Records the frame; call 1 returns
; to CPL 3 with rax = 0x1234, call 2 abandons the user stack and goes back to
; user_mode.returned on the kernel stack.
int80_handler:
    mov rcx, [int80_count]
    imul rcx, rcx, FRAME_SIZE
    lea rdx, [int80_frames]
    add rdx, rcx
    mov [rdx + FRAME_ENTRY_RSP], rsp
    mov rcx, [rsp]
    mov [rdx + FRAME_RIP], rcx
    mov rcx, [rsp + 8]
    mov [rdx + FRAME_CS], rcx
    mov rcx, [rsp + 16]
    mov [rdx + FRAME_RFLAGS], rcx
    mov rcx, [rsp + 24]
    mov [rdx + FRAME_RSP], rcx
    mov rcx, [rsp + 32]
    mov [rdx + FRAME_SS], rcx
    inc qword [int80_count]
    cmp eax, 1
    jne .to_kernel
    mov eax, 0x1234
    iretq
.to_kernel:
    mov rsp, [kernel_rsp]
    jmp user_mode.returned

section .data
align 16
gdt:
    dq 0
    dq 0x00AF9A000000FFFF           ; 0x08 kernel code: P, DPL 0, L
    dq 0x00CF92000000FFFF           ; 0x10 kernel data: P, DPL 0, writable
    dq 0x00CFF2000000FFFF           ; 0x18 user data: P, DPL 3, writable
    dq 0x00AFFA000000FFFF           ; 0x20 user code: P, DPL 3, L
    dq 0, 0                         ; 0x28 TSS, filled in at run time
gdt_end:
gdtr:                               ; pseudo-descriptors: limit (2), base (8)
    dw gdt_end - gdt - 1
    dq gdt
idtr:
    dw 0
    dq 0
gs_area_a: dq 0xAAAA
gs_area_b: dq 0xBBBB
cr3_probe: dq 0xC3C3C3C3

section .bss align=4096
pml4: resb 4096
pdpt: resb 4096
pdir: resb 4096
kstack: resb 4096                   ; the RSP0 stack
kstack_top:
ustack: resb 4096                   ; the CPL 3 stack
ustack_top:
alignb 16
tss: resb TSS_SIZE
alignb 8
table_reg: resb 16                  ; sgdt/sidt results: limit (2), base (8)
kernel_rsp: resq 1
int80_count: resq 1
int80_frames: resb 2 * 48
user_sum: resq 1
user_rax: resq 1
