; Memory operands and control transfer: every ModRM/SIB addressing form, RIP-relative,
; the 32-bit address-size override, FS/GS bases (set with WRMSR), movzx/movsx/movsxd,
; lea, the stack instructions, enter/leave, indirect jumps and calls, loop/jrcxz.
; One output line per group; a failing check adds a FAIL line naming itself.
bits 64
default rel

%include "guest_main.inc"

%define MSR_FS_BASE 0xC0000100
%define MSR_GS_BASE 0xC0000101

%ifdef NATIVE
; The native runner (native/) runs at CPL 3, where WRMSR and RDMSR fault: there the FS and
; GS bases are written and read with arch_prctl(2), which Linux carries out with the same
; MSRs. Same contract as the instructions: ECX names the MSR, EDX:EAX is the value, and
; no other register changes.
%define ARCH_SET_GS 0x1001
%define ARCH_SET_FS 0x1002
%define ARCH_GET_FS 0x1003
%define ARCH_GET_GS 0x1004
%define SYS_ARCH_PRCTL 158

%macro WRITE_BASE_MSR 0
    push rax
    push rcx
    push rdx
    push rsi
    push rdi
    push r11
    mov esi, eax
    shl rdx, 32
    or rsi, rdx
    mov edi, ARCH_SET_FS
    cmp ecx, MSR_FS_BASE
    je %%call
    mov edi, ARCH_SET_GS
%%call:
    mov eax, SYS_ARCH_PRCTL
    syscall
    pop r11
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rax
%endmacro

%macro READ_BASE_MSR 0
    push rcx
    push rsi
    push rdi
    push r11
    sub rsp, 8                      ; arch_prctl stores the base here
    mov rsi, rsp
    mov edi, ARCH_GET_FS
    cmp ecx, MSR_FS_BASE
    je %%call
    mov edi, ARCH_GET_GS
%%call:
    mov eax, SYS_ARCH_PRCTL
    syscall
    pop rax
    mov rdx, rax
    shr rdx, 32
    mov eax, eax
    pop r11
    pop rdi
    pop rsi
    pop rcx
%endmacro
%else
%define WRITE_BASE_MSR wrmsr
%define READ_BASE_MSR rdmsr
%endif

section .text
GUEST_MAIN
    call addressing
    call address_size
    call segment_bases
    call extend
    call load_effective_address
    call stack
    call call_ret_enter_leave
    call indirect
    call loops
    GUEST_MAIN_END "memory"

; table[i] = 0x1111111111111111 * i for i in 0..7 (see .data)
addressing:
    lea rbx, [table]
    mov rax, [rbx]                              ; base
    CHECK rax, 0, "[base]"
    mov rax, [rbx + 8]                          ; base + disp8
    CHECK rax, 0x1111111111111111, "[base+disp8]"
    lea rcx, [rbx + 0x1000]
    mov rax, [rcx - 0x1000 + 16]                ; base + negative disp32
    CHECK rax, 0x2222222222222222, "[base-disp32]"
    mov esi, 3
    mov rax, [rbx + rsi * 8]                    ; base + index*8
    CHECK rax, 0x3333333333333333, "[base+index*8]"
    mov rax, [rbx + rsi * 4 + 20]               ; base + index*4 + disp8: 12+20 = 32
    CHECK rax, 0x4444444444444444, "[base+index*4+disp]"
    mov edi, 20
    mov rax, [rbx + rdi * 2]                    ; index*2: 40
    CHECK rax, 0x5555555555555555, "[base+index*2]"
    mov rax, [rbx + rdi * 1 + 28]               ; index*1: 48
    CHECK rax, 0x6666666666666666, "[base+index*1+disp]"
    mov r15, 7
    mov rax, [rbx + r15 * 8]                    ; REX.X index
    CHECK rax, 0x7777777777777777, "[base+r15*8]"
    mov eax, 1
    mov rax, [abs table + rax * 8]              ; no base: disp32 + index*8 (SIB)
    CHECK rax, 0x1111111111111111, "[disp32+index*8]"
    mov rax, [abs table + 16]                   ; disp32 alone (SIB, no base/index)
    CHECK rax, 0x2222222222222222, "[abs disp32]"
    mov r12, rbx                                ; r12 as base needs a SIB byte
    mov rax, [r12 + 24]
    CHECK rax, 0x3333333333333333, "[r12+disp]"
    mov r13, rbx                                ; r13 as base needs a displacement
    mov rax, [r13]
    CHECK rax, 0, "[r13]"
    mov rbp, rbx
    mov rax, [rbp + 32]                         ; rbp base (mod=01)
    CHECK rax, 0x4444444444444444, "[rbp+disp]"
    push qword [rbx + 40]
    mov rax, [rsp]                              ; rsp base needs a SIB byte
    pop rcx
    CHECK rax, 0x5555555555555555, "[rsp]"
    mov rax, [table + 48]                       ; RIP-relative load
    CHECK rax, 0x6666666666666666, "[rip+disp]"
    mov qword [rip_target], 0x1234              ; RIP-relative store with an imm32:
    CHECK qword [rip_target], 0x1234, "store [rip+disp],imm"  ; disp counts the imm
    lea rax, [table]
    mov rcx, table                              ; absolute address as an imm64
    CHECK rax, rcx, "lea [rip+disp]"
    mov byte [rbx + rsi * 8 + 7], 0x99          ; byte store into the middle of a qword
    mov rax, [rbx + 24]
    CHECK rax, 0x9933333333333333, "byte store"
    mov word [rbx + 24 + 2], 0xABCD
    mov eax, [rbx + 24]                         ; 32-bit load zero-extends
    CHECK rax, 0xABCD3333, "word store, dword load"
    mov rax, 0x3333333333333333
    mov [rbx + 24], rax
    GROUP_END "addressing modes"
    ret

; 0x67 prefix: the effective address is computed in 32 bits and wraps at 4 GiB
; (SDM Vol 1 3.3.7); bits 63:32 of the registers play no part.
address_size:
    lea rbx, [table]
    mov rcx, 0xFFFFFFFF00000000
    or rbx, rcx                                 ; garbage in 63:32 of the base
    mov rax, [ebx + 8]
    CHECK rax, 0x1111111111111111, "[ebx+disp] ignores 63:32"
    lea ebx, [table + 0x20]
    mov ecx, 0xFFFFFFF0                         ; -16 in 32 bits
    mov rax, [ebx + ecx]                        ; wraps to table + 0x10
    CHECK rax, 0x2222222222222222, "[ebx+ecx] wraps"
    mov edx, 0x7FFFFFFF
    mov rax, [ebx + edx * 2 + 2 - 8]            ; table+0x20 + 0xFFFFFFFE + 2 - 8 = table+0x18
    CHECK rax, 0x3333333333333333, "[ebx+edx*2+disp] wraps"
    lea rax, [ebx + ecx]                        ; a32 lea: 32-bit result, zero-extended
    mov rdx, table + 0x10
    CHECK rax, rdx, "lea a32"
    lea eax, [rbx + rcx * 1]                    ; 64-bit address, 32-bit destination
    CHECK rax, rdx, "lea eax"
    GROUP_END "32-bit address size"
    ret

; In 64-bit mode FS and GS keep a 64-bit base (written here through the MSRs) that is
; added to the effective address, after any 32-bit truncation (SDM Vol 3A 3.4.4).
segment_bases:
    mov ecx, MSR_FS_BASE
    lea rax, [table + 8]
    mov rdx, rax
    shr rdx, 32
    WRITE_BASE_MSR
    mov ecx, MSR_GS_BASE
    lea rax, [table + 16]
    mov rdx, rax
    shr rdx, 32
    WRITE_BASE_MSR
    mov rax, [fs:0]
    CHECK rax, 0x1111111111111111, "[fs:0]"
    mov rax, [gs:0]
    CHECK rax, 0x2222222222222222, "[gs:0]"
    mov esi, 2
    mov rax, [fs:rsi * 8 + 8]                   ; table + 8 + 16 + 8
    CHECK rax, 0x4444444444444444, "[fs:index*8+disp]"
    mov ebx, 0xFFFFFFF8
    mov rax, [fs:ebx + 16]                      ; 32-bit EA wraps to 8, then + base
    CHECK rax, 0x2222222222222222, "[fs:ebx+disp] wraps the offset"
    mov rcx, 0x0BAD0BAD
    mov [gs:40], rcx                            ; store through GS: table + 56
    CHECK qword [table + 56], 0x0BAD0BAD, "store [gs:disp]"
    mov rcx, 0x7777777777777777
    mov [table + 56], rcx
    mov ecx, MSR_GS_BASE
    READ_BASE_MSR
    shl rdx, 32
    or rax, rdx
    lea rcx, [table + 16]
    CHECK rax, rcx, "rdmsr GS_BASE"
    mov ecx, MSR_GS_BASE                        ; a small base under a RIP-relative
    mov eax, 16                                 ; operand: table + 8 + 16
    xor edx, edx
    WRITE_BASE_MSR
    mov rax, [gs:rel table + 8]
    CHECK rax, 0x3333333333333333, "[gs:rip+disp]"
    xor eax, eax                                ; leave both bases 0 again
    xor edx, edx
    mov ecx, MSR_FS_BASE
    WRITE_BASE_MSR
    mov ecx, MSR_GS_BASE
    WRITE_BASE_MSR
    GROUP_END "fs/gs base"
    ret

extend:
    mov rax, -1
    mov byte [scratch], 0x80
    mov word [scratch + 2], 0x8001
    mov dword [scratch + 4], 0x80000002
    movzx ax, byte [scratch]                    ; 16-bit destination keeps 63:16
    CHECK rax, 0xFFFFFFFFFFFF0080, "movzx ax,byte"
    movzx eax, byte [scratch]
    CHECK rax, 0x80, "movzx eax,byte"
    movzx rbx, word [scratch + 2]
    CHECK rbx, 0x8001, "movzx rbx,word"
    mov rcx, -1
    movzx ecx, cx
    CHECK rcx, 0xFFFF, "movzx ecx,cx"
    mov edx, 0xFF00
    movzx edx, dh                               ; high byte source
    CHECK rdx, 0xFF, "movzx edx,dh"
    mov rsi, 0
    movsx si, byte [scratch]
    CHECK rsi, 0xFF80, "movsx si,byte"
    movsx esi, byte [scratch]
    CHECK rsi, 0xFFFFFF80, "movsx esi,byte"
    movsx rsi, byte [scratch]
    CHECK rsi, 0xFFFFFFFFFFFFFF80, "movsx rsi,byte"
    movsx edi, word [scratch + 2]
    CHECK rdi, 0xFFFF8001, "movsx edi,word"
    movsx rdi, word [scratch + 2]
    CHECK rdi, 0xFFFFFFFFFFFF8001, "movsx rdi,word"
    mov r8d, 0x7F
    movsx r9, r8b
    CHECK r9, 0x7F, "movsx r9,r8b"
    movsxd r10, dword [scratch + 4]
    CHECK r10, 0xFFFFFFFF80000002, "movsxd r10,dword"
    mov r11d, 0x7FFFFFFF
    movsxd r11, r11d
    CHECK r11, 0x7FFFFFFF, "movsxd r11,r11d"
    ; plain MOV: 8/16-bit writes merge, 32-bit writes zero-extend
    mov rax, -1
    mov al, 0x12
    CHECK rax, 0xFFFFFFFFFFFFFF12, "mov al"
    mov ah, 0x34
    CHECK rax, 0xFFFFFFFFFFFF3412, "mov ah"
    mov ax, 0x5678
    CHECK rax, 0xFFFFFFFFFFFF5678, "mov ax"
    mov eax, 0x9ABCDEF0
    CHECK rax, 0x9ABCDEF0, "mov eax"
    mov rax, -2                                 ; imm32 sign-extended
    CHECK rax, 0xFFFFFFFFFFFFFFFE, "mov rax,imm32"
    mov rax, 0x123456789ABCDEF0                 ; imm64 (movabs)
    CHECK rax, 0x123456789ABCDEF0, "mov rax,imm64"
    mov qword [scratch], -3
    CHECK qword [scratch], 0xFFFFFFFFFFFFFFFD, "mov mem,imm32"
    GROUP_END "movzx/movsx/movsxd/mov"
    ret

load_effective_address:
    mov rbx, 0x1000
    mov rcx, 0x10
    lea rax, [rbx + rcx * 8 + 0x20]
    CHECK rax, 0x10A0, "lea base+index*8+disp"
    lea rax, [rcx * 4]                          ; no base
    CHECK rax, 0x40, "lea index*4"
    lea rax, [rbx - 0x2000]
    CHECK rax, 0xFFFFFFFFFFFFF000, "lea negative"
    mov rdx, 0xFFFFFFFF00000000
    lea eax, [rdx + rbx]                        ; 32-bit destination truncates
    CHECK rax, 0x1000, "lea eax"
    mov rax, -1
    lea ax, [rbx + rcx + 0xFFFF]                ; 16-bit destination keeps 63:16
    CHECK rax, 0xFFFFFFFFFFFF100F, "lea ax"
    mov r8, 7
    lea r8, [r8 + r8 * 2]
    CHECK r8, 21, "lea r8*3"
    GROUP_END "lea"
    ret

stack:
    mov rbx, rsp
    push -1                                     ; imm8, sign-extended to 64 bits
    CHECK qword [rbx - 8], 0xFFFFFFFFFFFFFFFF, "push imm8"
    push 0x12345678                             ; imm32
    CHECK qword [rbx - 16], 0x12345678, "push imm32"
    mov rax, rsp
    sub rbx, rax
    CHECK rbx, 16, "push moves rsp by 8"
    add rbx, rax                                ; rbx = original rsp again
    push rsp                                    ; pushes the value before the push
    pop rcx
    CHECK rcx, rax, "push rsp"
    pop rcx
    pop rdx
    CHECK rcx, 0x12345678, "pop"
    CHECK rdx, -1, "pop 2"
    mov rax, rsp
    CHECK rax, rbx, "pop restores rsp"
    push qword [table + 8]                      ; push from memory
    pop qword [scratch]                         ; pop to memory
    CHECK qword [scratch], 0x1111111111111111, "push/pop mem"
    ; POP with an RSP-based destination uses RSP after the increment (SDM Vol 2 POP).
    push 0x55
    push 0x66
    pop qword [rsp]                             ; writes 0x66 over the 0x55 slot
    pop rax
    CHECK rax, 0x66, "pop [rsp]"
    ; 16-bit push/pop (operand-size prefix): RSP moves by 2
    mov rax, rsp
    mov cx, 0xBEEF
    push cx
    mov rdx, rsp
    sub rax, rdx
    CHECK rax, 2, "push cx moves rsp by 2"
    mov rdx, -1
    pop dx
    CHECK rdx, 0xFFFFFFFFFFFFBEEF, "pop dx"
    push word 0x1234
    pop word [scratch]
    CHECK qword [scratch], 0x1111111111111234, "push/pop word"
    mov rax, rsp
    CHECK rax, rbx, "rsp balanced"
    GROUP_END "push/pop"
    ret

call_ret_enter_leave:
    mov rbx, rsp
    call .callee                                ; call rel32 pushes the return address
.after_call:
    CHECK rax, .after_call, "call pushes return address"
    push 0xAB                                   ; an argument the callee pops
    call .callee_ret8
    mov rax, rsp
    CHECK rax, rbx, "ret imm16 pops arguments"
    ; ENTER size, 0: push rbp; rbp = rsp; rsp -= size
    mov rbp, 0x5000
    enter 32, 0
    mov rax, rsp
    mov rcx, rbp
    sub rcx, rax
    CHECK rcx, 32, "enter 32,0 allocates"
    mov rax, rbx
    sub rax, 8
    CHECK rbp, rax, "enter 32,0 rbp"
    CHECK qword [rbp], 0x5000, "enter saves rbp"
    leave                                       ; rsp = rbp; pop rbp
    CHECK rbp, 0x5000, "leave restores rbp"
    mov rax, rsp
    CHECK rax, rbx, "leave restores rsp"
    ; ENTER 16, 2: also copies one outer frame pointer from [rbp-8] and pushes the
    ; new frame pointer (SDM Vol 2 ENTER, nesting level 2).
    lea rbp, [outer_frame + 8]
    enter 16, 2
    lea rax, [outer_frame + 8]
    CHECK qword [rbp], rax, "enter 16,2 saved rbp"
    CHECK qword [rbp - 8], 0xD15D15, "enter 16,2 display"
    CHECK qword [rbp - 16], rbp, "enter 16,2 frame pointer"
    mov rax, rbp
    sub rax, rsp
    CHECK rax, 16 + 16, "enter 16,2 rsp"
    mov rax, rbx
    sub rax, 8
    CHECK rbp, rax, "enter 16,2 rbp"
    leave
    lea rax, [outer_frame + 8]
    CHECK rbp, rax, "leave after enter 16,2"
    mov rax, rsp
    CHECK rax, rbx, "rsp balanced"
    GROUP_END "call/ret/enter/leave"
    ret
.callee:
    mov rax, [rsp]
    ret
.callee_ret8:
    mov rax, [rsp + 8]
    CHECK rax, 0xAB, "argument above return address"
    ret 8

indirect:
    lea rax, [.target1]
    jmp rax                                     ; jmp reg
    CHECK 1, 0, "jmp rax fell through"
.target1:
    jmp [jump_ptr]                              ; jmp [rip+disp]
    CHECK 1, 0, "jmp [mem] fell through"
.target2:
    mov ecx, 2
    lea rdx, [jump_table]
    jmp [rdx + rcx * 8]                         ; jump table
.case0:
    mov eax, 100
    jmp .joined
.case1:
    mov eax, 101
    jmp .joined
.case2:
    mov eax, 102
.joined:
    CHECK rax, 102, "jmp [table+index*8]"
    lea r8, [.double_it]
    mov edi, 21
    call r8                                     ; call reg
    CHECK rax, 42, "call r8"
    mov edi, 5
    call [call_ptr]                             ; call [rip+disp]
    CHECK rax, 10, "call [mem]"
    lea rsi, [call_ptr - 16]
    mov edi, 50
    call [rsi + 16]                             ; call [reg+disp]
    CHECK rax, 100, "call [reg+disp]"
    GROUP_END "indirect jmp/call"
    ret
.double_it:
    lea rax, [rdi + rdi]
    ret

; LOOP/LOOPE/LOOPNE decrement RCX without touching flags; JRCXZ tests RCX, JECXZ
; (address-size prefix) only ECX (SDM Vol 2 LOOPcc, Jcc).
loops:
    mov ecx, 10
    xor eax, eax
.sum:
    add rax, rcx
    loop .sum
    CHECK rax, 55, "loop sum 10..1"
    CHECK rcx, 0, "loop leaves rcx 0"
    mov ecx, 3
    stc
    loop .loop_keeps_cf                         ; rcx 3 -> 2: taken
.loop_keeps_cf:
    CHECKF CF, CF, "loop keeps flags"
    CHECK rcx, 2, "loop decrements"
    ; loope: continue while ZF=1 and rcx != 0
    lea rsi, [zeros_then_one]
    mov ecx, 8
.scan_zero:
    mov al, [rsi]
    inc rsi
    cmp al, 0
    loope .scan_zero
    CHECK rcx, 3, "loope stops on ZF=0"       ; 4 zeros, then the 1 ends it: 5 done
    lea rsi, [zeros_then_one + 4]
    mov ecx, 8
.scan_nonzero:
    mov al, [rsi]
    inc rsi
    test al, al
    loopne .scan_nonzero
    CHECK rsi, zeros_then_one + 7, "loopne stops on ZF=1"
    CHECK rcx, 5, "loopne count"
    xor ecx, ecx
    jrcxz .rcx_zero
    CHECK 1, 0, "jrcxz not taken"
.rcx_zero:
    mov rcx, 0x100000000                        ; ECX = 0 but RCX != 0
    jrcxz .wrong
    jecxz .ecx_zero
    CHECK 1, 0, "jecxz not taken"
.wrong:
    CHECK 1, 0, "jrcxz taken with rcx != 0"
.ecx_zero:
    mov rcx, 0x100000002
    xor eax, eax
.count32:
    inc eax
    loop .count32, ecx                          ; a32 loop: counts in ECX only
    CHECK rax, 2, "loop ecx iterations"
    GROUP_END "loop/loope/loopne/jrcxz"
    ret

section .data
align 8
table:
%assign i 0
%rep 8
    dq 0x1111111111111111 * i
%assign i i + 1
%endrep
rip_target: dq 0
jump_ptr: dq indirect.target2
jump_table: dq indirect.case0, indirect.case1, indirect.case2
call_ptr: dq indirect.double_it
outer_frame: dq 0xD15D15, 0                     ; [rbp-8] at enter: one display entry
zeros_then_one: db 0, 0, 0, 0, 1, 2, 0, 3

section .bss align=16
scratch: resq 2
