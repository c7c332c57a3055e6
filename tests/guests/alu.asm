; Integer ALU instructions: results and the flags the Intel SDM (Vol 2, each
; instruction's "Flags Affected") defines; flags it leaves undefined are masked out.
; One output line per group; a failing check adds a FAIL line naming itself.
; Operand sizes 8/16/32/64 and the high-byte registers are mixed in throughout:
; 8/16-bit writes keep the rest of the register, 32-bit writes zero bits 63:32
; (SDM Vol 1 3.4.1.1). This file: arithmetic, logic, multiply/divide, sign
; extension; alu_shift.asm: shifts and rotates; alu_bits.asm: bit instructions,
; setcc/cmovcc, flag instructions, exchanges.
bits 64
default rel

%include "guest_main.inc"

section .text
extern shifts, rotates, double_shifts, byte_swap          ; alu_shift.asm
extern bit_test, bit_scan, setcc_cmovcc, flag_instructions, exchange   ; alu_bits.asm
GUEST_MAIN
    call add_adc
    call sub_sbb_cmp
    call logic
    call inc_dec_neg_not
    call shifts
    call rotates
    call double_shifts
    call multiply
    call divide
    call bit_test
    call bit_scan
    call setcc_cmovcc
    call sign_extend
    call byte_swap
    call flag_instructions
    call exchange
    GUEST_MAIN_END "alu"

add_adc:
    mov rax, 0x1122334455667788
    add al, 0x90                    ; 0x88 + 0x90 = 0x118: carry, and two negatives
    CHECKF ARITH, CF | PF | OF, "add al flags"  ; gave a positive
    CHECK rax, 0x1122334455667718, "add al"
    mov rbx, 0x80FF
    add bh, bl                      ; 0x80 + 0xFF = 0x17F
    CHECKF ARITH, CF | OF, "add bh,bl flags"
    CHECK rbx, 0x7FFF, "add bh,bl"
    mov rcx, -1
    add cx, 1                       ; 0xFFFF + 1 = 0 (carry out of bit 3 too: AF)
    CHECKF ARITH, CF | ZF | AF | PF, "add cx flags"
    CHECK rcx, 0xFFFFFFFFFFFF0000, "add cx"
    mov rdx, 0xFFFFFFFF7FFFFFFF
    add edx, 1                      ; signed overflow; 32-bit write zeroes 63:32
    CHECKF ARITH, OF | SF | AF | PF, "add edx flags"
    CHECK rdx, 0x80000000, "add edx"
    mov rsi, 0x7FFFFFFFFFFFFFFF
    mov rdi, 0x8000000000000001
    add rsi, rdi
    CHECKF ARITH, CF | ZF | AF | PF, "add rsi,rdi flags"
    CHECK rsi, 0, "add rsi,rdi"
    mov r8, 0x100
    add r8, -1                      ; imm8 sign-extended to 64 bits
    CHECKF ARITH, CF | PF, "add r8,-1 flags"
    CHECK r8, 0xFF, "add r8,-1"
    ; 128-bit add through adc: (5:2^64-1) + (0:1)
    mov rax, -1
    mov rdx, 5
    add rax, 1
    adc rdx, 0
    CHECK rax, 0, "adc low"
    CHECK rdx, 6, "adc high"
    stc
    mov al, 0x7F
    adc al, 0                       ; 0x7F + 0 + CF = 0x80
    CHECKF ARITH, OF | SF | AF, "adc al flags"
    CHECK rax, 0x80, "adc al"
    stc
    mov ecx, 0xFFFF
    adc cx, 0                       ; 0xFFFF + 0 + 1: wraps to zero
    CHECKF ARITH, CF | ZF | AF | PF, "adc cx flags"
    CHECK rcx, 0, "adc cx"
    clc
    mov r9d, 0x12345678
    adc r9d, 0x11111111
    CHECKF ARITH, 0, "adc r9d flags"
    CHECK r9, 0x23456789, "adc r9d"
    mov qword [scratch], 0xFFFFFFFFFFFFFFFE
    stc
    adc qword [scratch], 1          ; memory destination
    CHECKF ARITH, CF | ZF | AF | PF, "adc mem flags"
    CHECK qword [scratch], 0, "adc mem"
    GROUP_END "add/adc"
    ret

sub_sbb_cmp:
    mov rax, -1
    mov eax, 5
    sub eax, 7
    CHECKF ARITH, CF | SF | AF, "sub eax flags"
    CHECK rax, 0xFFFFFFFE, "sub eax"
    mov eax, 0x8000
    sub ah, 1                       ; 0x80 - 1: signed overflow
    CHECKF ARITH, OF | AF, "sub ah flags"
    CHECK rax, 0x7F00, "sub ah"
    mov rbx, 0x123456789ABCDEF0
    sub rbx, rbx
    CHECKF ARITH, ZF | PF, "sub rbx,rbx flags"
    CHECK rbx, 0, "sub rbx,rbx"
    mov r10, 0x8000000000000000
    sub r10, 1
    CHECKF ARITH, OF | AF | PF, "sub r10 flags"
    CHECK r10, 0x7FFFFFFFFFFFFFFF, "sub r10"
    stc
    mov ecx, 0x10
    sbb cx, 0x10                    ; 0x10 - 0x10 - 1
    CHECKF ARITH, CF | SF | AF | PF, "sbb cx flags"
    CHECK rcx, 0xFFFF, "sbb cx"
    ; 128-bit subtract: (1:0) - (0:1) = (0:2^64-1)
    xor eax, eax
    mov edx, 1
    sub rax, 1
    sbb rdx, 0
    CHECKF ARITH, ZF | PF, "sbb rdx flags"
    CHECK rax, 0xFFFFFFFFFFFFFFFF, "sbb low"
    CHECK rdx, 0, "sbb high"
    stc
    mov dl, 0
    sbb dl, 0xFF                    ; 0 - 0xFF - 1 = 0 with borrow
    CHECKF ARITH, CF | ZF | AF | PF, "sbb dl flags"
    CHECK rdx, 0, "sbb dl"
    mov rax, -5
    cmp rax, 3                      ; flags of -8, rax unchanged
    CHECKF ARITH, SF, "cmp rax,3 flags"
    CHECK rax, -5, "cmp leaves rax"
    mov bl, 0x80
    cmp bl, 1
    CHECKF ARITH, OF | AF, "cmp bl flags"
    mov dword [scratch], 7
    cmp dword [scratch], 8
    CHECKF ARITH, CF | SF | AF | PF, "cmp mem flags"
    mov ecx, 0x4000
    cmp cx, 0x4000
    CHECKF ARITH, ZF | PF, "cmp cx flags"
    GROUP_END "sub/sbb/cmp"
    ret

; AND/OR/XOR/TEST: OF=CF=0, SF/ZF/PF from the result, AF undefined (SDM Vol 2 AND).
%define LOGIC (CF | PF | ZF | SF | OF)
logic:
    mov rax, 0xFF00FF00FF00FF00
    SETFLAGS CF | OF
    and al, 0x0F
    CHECKF LOGIC, ZF | PF, "and al flags"
    CHECK rax, 0xFF00FF00FF00FF00, "and al"
    and ah, 0xF0
    CHECKF LOGIC, SF | PF, "and ah flags"
    CHECK rax, 0xFF00FF00FF00F000, "and ah"
    and eax, 0xFFFFFFFF             ; 32-bit: zero-extends even when nothing changes
    CHECK rax, 0xFF00F000, "and eax"
    mov rbx, 0x8000000000000001
    and rbx, -2                     ; imm8 sign-extended
    CHECKF LOGIC, SF | PF, "and rbx flags"
    CHECK rbx, 0x8000000000000000, "and rbx"
    mov cx, 0x1200
    or cx, 0x0034
    CHECKF LOGIC, 0, "or cx flags"
    CHECK rcx, 0x1234, "or cx"
    mov qword [scratch], 0x10
    or qword [scratch], 0x7F000000
    CHECK qword [scratch], 0x7F000010, "or mem"
    mov rdx, 0x5555555555555555
    xor rdx, 0x5555555555555555 & 0x7FFFFFFF
    CHECK rdx, 0x5555555500000000, "xor rdx"
    xor edx, edx
    CHECKF LOGIC, ZF | PF, "xor edx,edx flags"
    CHECK rdx, 0, "xor edx,edx"
    mov dh, 0x81
    xor dh, 0x03
    CHECKF LOGIC, SF | PF, "xor dh flags"
    CHECK rdx, 0x8200, "xor dh"
    mov rsi, 0x00000000F0000000
    test esi, 0x80000000
    CHECKF LOGIC, SF | PF, "test esi flags"
    CHECK rsi, 0xF0000000, "test leaves rsi"
    test sil, sil                   ; REX byte register
    CHECKF LOGIC, ZF | PF, "test sil flags"
    GROUP_END "and/or/xor/test"
    ret

inc_dec_neg_not:
    SETFLAGS CF                     ; INC/DEC leave CF alone (SDM Vol 2 INC)
    mov eax, 0x7F
    inc al
    CHECKF ARITH, CF | OF | SF | AF, "inc al flags"
    CHECK rax, 0x80, "inc al"
    SETFLAGS 0
    mov rbx, -1
    inc rbx
    CHECKF ARITH, ZF | AF | PF, "inc rbx flags"
    CHECK rbx, 0, "inc rbx"
    SETFLAGS CF
    mov ecx, 0x10000
    dec cx                          ; 0 - 1 in 16 bits, upper bits kept
    CHECKF ARITH, CF | SF | AF | PF, "dec cx flags"
    CHECK rcx, 0x1FFFF, "dec cx"
    mov edx, 0x8000
    dec dh
    CHECKF ARITH, CF | OF | AF, "dec dh flags"
    CHECK rdx, 0x7F00, "dec dh"
    mov dword [scratch], 1
    dec dword [scratch]
    CHECKF ARITH, CF | ZF | PF, "dec mem flags"
    CHECK qword [scratch], 0, "dec mem"
    mov rsi, 5
    neg rsi                         ; CF = (source != 0)
    CHECKF ARITH, CF | SF | AF, "neg rsi flags"
    CHECK rsi, -5, "neg rsi"
    xor edi, edi
    neg edi
    CHECKF ARITH, ZF | PF, "neg 0 flags"
    CHECK rdi, 0, "neg 0"
    mov r8b, 0x80
    neg r8b                         ; -(-128) overflows back to -128
    CHECKF ARITH, CF | OF | SF, "neg r8b flags"
    CHECK r8, 0x80, "neg r8b"
    mov r9, 0x0123456789ABCDEF
    SETFLAGS CF | ZF                ; NOT changes no flags
    not r9
    CHECKF ARITH, CF | ZF, "not flags"
    CHECK r9, 0xFEDCBA9876543210, "not r9"
    not r9d
    CHECK r9, 0x89ABCDEF, "not r9d"
    mov eax, 0x00FF
    not ah
    CHECK rax, 0xFFFF, "not ah"
    GROUP_END "inc/dec/neg/not"
    ret

; MUL/IMUL: CF=OF says whether the high half is significant; SF/ZF/AF/PF undefined.
%define MULF (CF | OF)
multiply:
    mov rax, 0x7777777777777700 | 200
    mov bl, 3
    mul bl                          ; AX = 200 * 3 = 600
    CHECKF MULF, MULF, "mul bl flags"
    CHECK rax, 0x7777777777770258, "mul bl"
    mov eax, 0x100
    mov ecx, 0xABCD0100
    mov rdx, 0xFEDCBA9876543210
    mul cx                          ; DX:AX = 0x100 * 0x100 = 0x10000; 63:16 kept
    CHECKF MULF, MULF, "mul cx flags"
    CHECK rax, 0, "mul cx ax"
    CHECK rdx, 0xFEDCBA9876540001, "mul cx dx"
    mov rdx, -1
    mov eax, 0xFFFFFFFF
    mov esi, 2
    mul esi                         ; EDX:EAX, both zero-extended
    CHECK rax, 0xFFFFFFFE, "mul esi eax"
    CHECK rdx, 1, "mul esi edx"
    mov rax, 0xFFFFFFFFFFFFFFFF
    mul rax                         ; (2^64-1)^2 = 2^128 - 2^65 + 1
    CHECKF MULF, MULF, "mul rax flags"
    CHECK rax, 1, "mul rax low"
    CHECK rdx, 0xFFFFFFFFFFFFFFFE, "mul rax high"
    mov rax, 3
    mov qword [scratch], 5
    mul qword [scratch]
    CHECKF MULF, 0, "mul mem flags"
    CHECK rax, 15, "mul mem"
    CHECK rdx, 0, "mul mem high"
    ; one-operand IMUL
    mov al, -4
    mov bh, 50
    imul bh                         ; -200 does not fit in AL
    CHECKF MULF, MULF, "imul bh flags"
    CHECK rax, 0xFF38, "imul bh"
    mov rax, -3
    mov rcx, 4
    imul rcx
    CHECKF MULF, 0, "imul rcx flags"
    CHECK rax, -12, "imul rcx low"
    CHECK rdx, -1, "imul rcx high"
    mov eax, 0x10000
    mov edx, 0x10000
    imul edx                        ; 2^32: EDX=1, EAX=0
    CHECKF MULF, MULF, "imul edx flags"
    CHECK rax, 0, "imul edx eax"
    CHECK rdx, 1, "imul edx edx"
    ; two-operand IMUL: truncated product, CF=OF if it did not fit
    mov r8, -6
    mov r9, 7
    imul r8, r9
    CHECKF MULF, 0, "imul r8,r9 flags"
    CHECK r8, -42, "imul r8,r9"
    mov r10w, 0x4000
    mov r11w, 2
    imul r10w, r11w
    CHECKF MULF, MULF, "imul r10w flags"
    CHECK r10, 0x8000, "imul r10w"
    mov dword [scratch], -3
    mov r12, 0xFFFFFFFF00000005
    imul r12d, dword [scratch]
    CHECK r12, 0xFFFFFFF1, "imul r12d,mem"
    ; three-operand IMUL, imm8 and imm32
    mov r13, 1000
    imul r14, r13, -2
    CHECK r14, -2000, "imul r14,r13,-2"
    imul r15d, r13d, 0x12345
    CHECK r15, 0x471C588, "imul r15d,imm32"
    mov rbx, 0x4000000000000000
    imul rbx, rbx, 4
    CHECKF MULF, MULF, "imul rbx,4 flags"
    CHECK rbx, 0, "imul rbx,4"
    GROUP_END "mul/imul"
    ret

; DIV/IDIV: all flags undefined. Quotients truncate toward zero; the remainder takes
; the dividend's sign (SDM Vol 2 IDIV).
divide:
    mov eax, 0x1234                 ; AX / r8 -> AL quotient, AH remainder
    mov bl, 0x56
    div bl                          ; 4660 = 54 * 86 + 16
    CHECK rax, 0x1036, "div bl"
    mov rax, 0x7777777777770000 | 1000
    mov edx, 1
    mov cx, 3
    div cx                          ; DX:AX = 0x103E8 = 66536 = 3 * 22178 + 2
    CHECK rax, 0x77777777777756A2, "div cx ax"
    CHECK rdx, 2, "div cx dx"
    mov edx, 1
    mov eax, 0
    mov esi, 0x10
    div esi                         ; 2^32 / 16
    CHECK rax, 0x10000000, "div esi eax"
    CHECK rdx, 0, "div esi edx"
    mov rdx, 0x123
    mov rax, 0x456789ABCDEF0123
    mov rdi, 0x1000
    div rdi                         ; 128-bit dividend
    CHECK rax, 0x123456789ABCDEF0, "div rdi quotient"
    CHECK rdx, 0x123, "div rdi remainder"
    mov rax, 0x123456789ABCFFF9     ; AX = -7
    mov cl, 2
    idiv cl                         ; -7 / 2 = -3 remainder -1; 63:16 kept
    CHECK rax, 0x123456789ABCFFFD, "idiv cl"
    mov ax, 7
    mov dl, -2
    idiv dl                         ; 7 / -2 = -3 remainder 1
    CHECK rax, 0x123456789ABC01FD, "idiv dl"
    mov eax, -100
    cdq
    mov r8d, 7
    idiv r8d                        ; -100 / 7 = -14 remainder -2
    CHECK rax, 0xFFFFFFF2, "idiv r8d eax"
    CHECK rdx, 0xFFFFFFFE, "idiv r8d edx"
    mov rax, 0x8000000000000000
    cqo
    mov r9, 3
    idiv r9
    CHECK rax, 0xD555555555555556, "idiv r9 quotient"
    CHECK rdx, -2, "idiv r9 remainder"
    mov qword [scratch], -10
    mov rax, 1000
    cqo
    idiv qword [scratch]
    CHECK rax, -100, "idiv mem"
    CHECK rdx, 0, "idiv mem remainder"
    GROUP_END "div/idiv"
    ret

sign_extend:
    mov rax, 0x12345678ABCD9080
    cbw                             ; AL -> AX
    CHECK rax, 0x12345678ABCDFF80, "cbw"
    cwde                            ; AX -> EAX, zero-extended into RAX
    CHECK rax, 0xFFFFFF80, "cwde"
    cdqe
    CHECK rax, 0xFFFFFFFFFFFFFF80, "cdqe"
    mov rax, 0x7F
    cdqe
    CHECK rax, 0x7F, "cdqe positive"
    mov rdx, 0x123456789
    mov ax, 0x8000
    cwd                             ; DX only
    CHECK rdx, 0x12345FFFF, "cwd"
    mov eax, 0x7FFFFFFF
    cdq                             ; EDX = 0, zero-extended
    CHECK rdx, 0, "cdq positive"
    mov eax, 0x80000000
    cdq
    CHECK rdx, 0xFFFFFFFF, "cdq negative"
    mov rax, -2
    cqo
    CHECK rdx, -1, "cqo"
    GROUP_END "cbw/cwde/cdqe/cwd/cdq/cqo"
    ret

section .bss align=16
scratch: resq 2
