/* Entry point of the keel guest build of a workload.
 *
 * keel enters in 64-bit mode with the low 4 GiB identity-mapped and RSP 16-byte aligned
 * (docs/test-guest-entry-state.md). keel zero-fills p_memsz beyond p_filesz already;
 * clearing .bss here as well keeps the image correct under a loader that only copies
 * the file's bytes. */
    .section .text.start, "ax"
    .globl _start
_start:
    cld                         /* rep stos needs DF = 0; RFLAGS is 0x2 at entry anyway */
    lea     __bss_start(%rip), %rdi
    lea     __bss_end(%rip), %rcx
    sub     %rdi, %rcx
    shr     $3, %rcx            /* guest.ld aligns both ends to 8 bytes */
    xor     %eax, %eax
    rep stosq
    and     $-16, %rsp          /* SysV ABI: RSP % 16 == 0 before a call */
    call    guest_main          /* does not return: it writes to the debug-exit port */
1:  cli
    hlt
    jmp     1b

    .section .note.GNU-stack, "", @progbits /* no executable stack wanted */
