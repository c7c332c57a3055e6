// Switches from the native runner's C++ code into a test case and back (native_runner.cpp).
//
// keel_difftest_enter(const CpuSnapshot* in) saves the host's callee-saved registers,
// RFLAGS and RSP, loads all 16 GPRs and RFLAGS from *in and jumps to the case code. The
// code page ends with an epilogue (written by native_child.cpp):
//     mov [keel_difftest_out.gpr[0]], rax    ; 48 A3 moffs64
//     mov rax, keel_difftest_exit            ; 48 B8 imm64
//     jmp rax                                ; FF E0
// keel_difftest_exit stores the other registers into keel_difftest_out without touching
// the case's stack (which lies in the compared data area) or its flags: it points RSP
// just past the snapshot and pushes downwards into it. keel_difftest_resume then restores
// the host. A signal handler that catches a fault in the case sets the interrupted RIP to
// keel_difftest_resume, so faults come back the same way.
//
// CpuSnapshot layout: gpr[16] at 0..127 (x86 encoding order), rflags at 128.

    .intel_syntax noprefix
    .text

    .globl keel_difftest_enter
    .hidden keel_difftest_enter
    .type keel_difftest_enter, @function
keel_difftest_enter:
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
    pushfq
    mov [rip + keel_difftest_host_rsp], rsp
    stmxcsr [rip + keel_difftest_host_mxcsr]
    fxrstor64 [rdi + 416]
    movdqu xmm0, [rdi + 144]
    movdqu xmm1, [rdi + 160]
    movdqu xmm2, [rdi + 176]
    movdqu xmm3, [rdi + 192]
    movdqu xmm4, [rdi + 208]
    movdqu xmm5, [rdi + 224]
    movdqu xmm6, [rdi + 240]
    movdqu xmm7, [rdi + 256]
    movdqu xmm8, [rdi + 272]
    movdqu xmm9, [rdi + 288]
    movdqu xmm10, [rdi + 304]
    movdqu xmm11, [rdi + 320]
    movdqu xmm12, [rdi + 336]
    movdqu xmm13, [rdi + 352]
    movdqu xmm14, [rdi + 368]
    movdqu xmm15, [rdi + 384]
    ldmxcsr [rdi + 400]
    // From popfq on, only MOVs (which leave RFLAGS alone) until the case runs.
    push qword ptr [rdi + 128]
    popfq
    mov rax, [rdi + 0]
    mov rcx, [rdi + 8]
    mov rdx, [rdi + 16]
    mov rbx, [rdi + 24]
    mov rbp, [rdi + 40]
    mov rsi, [rdi + 48]
    mov r8,  [rdi + 64]
    mov r9,  [rdi + 72]
    mov r10, [rdi + 80]
    mov r11, [rdi + 88]
    mov r12, [rdi + 96]
    mov r13, [rdi + 104]
    mov r14, [rdi + 112]
    mov r15, [rdi + 120]
    mov rsp, [rdi + 32]
    mov rdi, [rdi + 56]
    jmp qword ptr [rip + keel_difftest_entry]
    .size keel_difftest_enter, . - keel_difftest_enter

    .globl keel_difftest_exit
    .hidden keel_difftest_exit
    .type keel_difftest_exit, @function
keel_difftest_exit:
    // RAX is already saved and holds this address. MOV, LEA and PUSH leave RFLAGS alone.
    mov [rip + keel_difftest_case_rsp], rsp
    lea rsp, [rip + keel_difftest_out + 136]
    pushfq                                   // -> rflags
    push r15
    push r14
    push r13
    push r12
    push r11
    push r10
    push r9
    push r8
    push rdi
    push rsi
    push rbp
    push qword ptr [rip + keel_difftest_case_rsp]
    push rbx
    push rdx
    push rcx                                 // -> gpr[1]; gpr[0] came from the epilogue
    movdqu [rip + keel_difftest_out + 144], xmm0
    movdqu [rip + keel_difftest_out + 160], xmm1
    movdqu [rip + keel_difftest_out + 176], xmm2
    movdqu [rip + keel_difftest_out + 192], xmm3
    movdqu [rip + keel_difftest_out + 208], xmm4
    movdqu [rip + keel_difftest_out + 224], xmm5
    movdqu [rip + keel_difftest_out + 240], xmm6
    movdqu [rip + keel_difftest_out + 256], xmm7
    movdqu [rip + keel_difftest_out + 272], xmm8
    movdqu [rip + keel_difftest_out + 288], xmm9
    movdqu [rip + keel_difftest_out + 304], xmm10
    movdqu [rip + keel_difftest_out + 320], xmm11
    movdqu [rip + keel_difftest_out + 336], xmm12
    movdqu [rip + keel_difftest_out + 352], xmm13
    movdqu [rip + keel_difftest_out + 368], xmm14
    movdqu [rip + keel_difftest_out + 384], xmm15
    stmxcsr [rip + keel_difftest_out + 400]
    fxsave64 [rip + keel_difftest_out + 416]
    jmp keel_difftest_resume
    .size keel_difftest_exit, . - keel_difftest_exit

    .globl keel_difftest_resume
    .hidden keel_difftest_resume
    .type keel_difftest_resume, @function
keel_difftest_resume:
    mov rsp, [rip + keel_difftest_host_rsp]
    ldmxcsr [rip + keel_difftest_host_mxcsr] // the host's rounding and masks again
    fninit                                   // an empty x87 stack, FCW 0x37F
    popfq                                    // the host's flags: DF, AC and TF clear again
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret
    .size keel_difftest_resume, . - keel_difftest_resume

    .data
    .balign 64
    .globl keel_difftest_out
    .hidden keel_difftest_out
keel_difftest_out:
    .zero 928                                // sizeof(CpuSnapshot)
    .globl keel_difftest_host_rsp
    .hidden keel_difftest_host_rsp
keel_difftest_host_rsp:
    .quad 0
keel_difftest_host_mxcsr:
    .long 0, 0
keel_difftest_case_rsp:
    .quad 0
keel_difftest_entry:
    .quad 0x2000000                          // kCodeBase (diff_case.h)

    .section .note.GNU-stack, "", @progbits
