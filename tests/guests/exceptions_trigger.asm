; Triggers for exceptions.c. Each runs one faulting or trapping instruction with a
; known RSP and RFLAGS and records where it is; exceptions.c's handler resumes it at
; trap_resume_rip, right after the instruction. If no exception comes, the trigger
; simply returns and exceptions.c reports the missing exception.
;
; RSP at the instruction is 8 mod 16 unless a trigger says otherwise, so the CPU has
; to realign the stack before pushing its frame (SDM Vol 3A 6.14.2).
bits 64
default rel

global trig_rsp, trig_fault_rip, trap_resume_rip
global trigger_div0, trigger_idiv_overflow, trigger_ud2, trigger_int3
global trigger_int80, trigger_gp_noncanonical
global trigger_pf_read, trigger_pf_write, trigger_pf_exec

; CF PF AF ZF SF OF, and the always-one bit 1; IF stays 0.
TEST_RFLAGS equ 0x8D7

; TRIGGER name, misalign: starts a trigger; misalign 8 or 0 is RSP mod 16 at the
; instruction under test.
%macro TRIGGER 2
%1:
    push rbp
    mov rbp, rsp
    push rbx
    and rsp, -16
    sub rsp, %2
    %push trigger
    lea rax, [%$fault]
    mov [trig_fault_rip], rax
    lea rax, [%$resume]
    mov [trap_resume_rip], rax
%endmacro

; Goes right before the instruction under test, after the trigger's own set-up.
%macro AT_FAULT 0
    mov [trig_rsp], rsp
    push TEST_RFLAGS
    popfq
%$fault:
%endmacro

; Goes right after it: the next instruction, where the handler resumes.
%macro END_TRIGGER 0
%$resume:
    lea rsp, [rbp - 8]
    pop rbx
    pop rbp
    ret
    %pop
%endmacro

section .text

TRIGGER trigger_div0, 8             ; #DE: divide by zero
    mov eax, 1
    xor edx, edx
    xor ecx, ecx
    AT_FAULT
    div ecx
END_TRIGGER

TRIGGER trigger_idiv_overflow, 8    ; #DE: INT64_MIN / -1 does not fit
    mov rax, 0x8000000000000000
    cqo
    mov rcx, -1
    AT_FAULT
    idiv rcx
END_TRIGGER

TRIGGER trigger_ud2, 8              ; #UD
    AT_FAULT
    ud2
END_TRIGGER

TRIGGER trigger_int3, 8             ; #BP, a trap: RIP after the int3
    AT_FAULT
    int3
END_TRIGGER

; uint64_t trigger_int80(uint64_t a, uint64_t b): the handler returns a + b in rax.
; RSP already 16-byte aligned here: nothing for the CPU to adjust.
TRIGGER trigger_int80, 0
    AT_FAULT
    int 0x80
END_TRIGGER

TRIGGER trigger_gp_noncanonical, 8  ; #GP(0): bits 63:47 not all equal
    mov rbx, 0x8000000000000000
    AT_FAULT
    mov rax, [rbx]
END_TRIGGER

; void trigger_pf_read(uint64_t va)
TRIGGER trigger_pf_read, 8
    mov rbx, rdi
    AT_FAULT
    mov rax, [rbx]
END_TRIGGER

; void trigger_pf_write(uint64_t va, uint32_t value)
TRIGGER trigger_pf_write, 8
    mov rbx, rdi
    mov eax, esi
    AT_FAULT
    mov [rbx], eax
END_TRIGGER

; void trigger_pf_exec(uint64_t va): calls va. The call itself completes (the
; return address is pushed), then fetching at va faults: the frame has RIP = va
; and RSP = trig_rsp - 8. If va runs after all, it must hold a ret.
TRIGGER trigger_pf_exec, 8
    mov rbx, rdi
    AT_FAULT
    call rbx                        ; FF D3: the return address is trig_fault_rip + 2
END_TRIGGER

section .bss align=8
trig_rsp: resq 1
trig_fault_rip: resq 1
trap_resume_rip: resq 1
