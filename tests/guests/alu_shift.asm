; alu.asm, continued: shifts, rotates, double shifts and bswap.
bits 64
default rel

%include "check.inc"

section .text
global shifts, rotates, double_shifts, byte_swap

; SHL/SHR/SAR (SDM Vol 2 SAL/SAR/SHL/SHR): CF = last bit out, SF/ZF/PF from the
; result, OF only for 1-bit shifts, AF undefined; a masked count of 0 changes nothing.
%define SHIFT1 (CF | PF | ZF | SF | OF)
%define SHIFTN (CF | PF | ZF | SF)
shifts:
    mov eax, 0xC1
    shl al, 1                       ; OF = MSB(result) xor CF = 1 xor 1
    CHECKF SHIFT1, CF | SF | PF, "shl al,1 flags"
    CHECK rax, 0x82, "shl al,1"
    mov eax, 0x40
    shl al, 1
    CHECKF SHIFT1, OF | SF, "shl al,1 overflow flags"
    mov ebx, 0x8001
    shl bx, 4
    CHECKF SHIFTN, 0, "shl bx,4 flags"
    CHECK rbx, 0x0010, "shl bx,4"
    mov rcx, 0xFFFFFFFF80000001
    shl ecx, 1
    CHECKF SHIFT1, CF | OF, "shl ecx,1 flags"
    CHECK rcx, 0x00000002, "shl ecx,1"
    mov rdx, 0x1
    mov cl, 65                      ; 64-bit count is masked to 6 bits: 65 -> 1
    shl rdx, cl
    CHECK rdx, 0x2, "shl rdx,65"
    mov rsi, 0x8000000000000000
    mov cl, 63
    shr rsi, cl
    CHECKF SHIFTN, 0, "shr rsi,63 flags"
    CHECK rsi, 1, "shr rsi,63"
    mov edi, 0x81
    shr dil, 1                      ; OF = MSB of the original operand
    CHECKF SHIFT1, CF | OF, "shr dil,1 flags"
    CHECK rdi, 0x40, "shr dil,1"
    mov r8d, 0x80000000
    sar r8d, 31
    CHECKF SHIFTN, SF | PF, "sar r8d,31 flags"
    CHECK r8, 0xFFFFFFFF, "sar r8d,31"
    mov r9, 0x1234567800008001
    sar r9w, 1                      ; SAR by 1 always clears OF
    CHECKF SHIFT1, CF | SF | PF, "sar r9w,1 flags"
    CHECK r9, 0x123456780000C000, "sar r9w,1"
    mov r10, -7
    sar r10, 1                      ; rounds toward minus infinity
    CHECK r10, -4, "sar r10,1"
    mov r11, 0x1234
    mov cl, 64                      ; masked to 0: value and flags unchanged
    SETFLAGS CF | ZF | OF
    shl r11, cl
    CHECKF ARITH, CF | ZF | OF, "shl count 0 flags"
    CHECK r11, 0x1234, "shl count 0"
    mov cl, 32                      ; 32-bit count masked to 5 bits: 0, flags kept,
    mov r11, 0xFFFFFFFF00001234     ; but the 32-bit destination is still written
    shr r11d, cl
    CHECKF ARITH, CF | ZF | OF, "shr r11d count 0 flags"
    CHECK r11, 0x1234, "shr r11d count 0 zero-extends"
    mov byte [scratch], 0x03
    shr byte [scratch], 1
    CHECKF SHIFT1, CF, "shr mem flags"
    CHECK qword [scratch], 0x01, "shr mem"
    GROUP_END "shl/shr/sar"
    ret

; ROL/ROR/RCL/RCR (SDM Vol 2 RCL/RCR/ROL/ROR): only CF and (1-bit) OF change; SF, ZF,
; AF and PF are never affected, so the mask includes them to check they survive.
rotates:
    SETFLAGS ZF | PF | SF | AF
    mov al, 0x81
    rol al, 1                       ; OF = MSB(result) xor CF = 0 xor 1
    CHECKF ARITH, CF | OF | ZF | PF | SF | AF, "rol al,1 flags"
    CHECK rax, 0x03, "rol al,1"
    SETFLAGS 0
    mov bx, 0x1234
    rol bx, 4
    CHECKF (CF | ZF | PF | SF | AF), CF, "rol bx,4 flags"   ; CF = LSB of result
    CHECK rbx, 0x2341, "rol bx,4"
    mov ecx, 0x00000001
    ror ecx, 1                      ; OF = xor of the two top bits of the result
    CHECKF ARITH, CF | OF, "ror ecx,1 flags"
    CHECK rcx, 0x80000000, "ror ecx,1"
    mov rdx, 0x0123456789ABCDEF
    mov cl, 68                      ; masked to 4
    ror rdx, cl
    CHECKF CF, CF, "ror rdx,68 flags"
    CHECK rdx, 0xF0123456789ABCDE, "ror rdx,68"
    mov sil, 0x81
    ror sil, 9                      ; 8-bit: count masked to 5 bits = 9, i.e. ror 1
    CHECKF CF, CF, "ror sil,9 flags"
    CHECK rsi, 0xC0, "ror sil,9"
    ; RCL/RCR rotate through CF: a 9/17/33/65-bit rotate.
    stc
    mov al, 0x40
    rcl al, 1                       ; CF=1 enters bit 0, bit 7 (0) leaves into CF
    CHECKF (CF | OF), OF, "rcl al,1 flags"
    CHECK rax, 0x81, "rcl al,1"
    clc
    mov ebx, 0xA5
    rcl bl, 3                       ; 1010_0101 + C0 -> 0010_1010 + C1
    CHECKF CF, CF, "rcl bl,3 flags"
    CHECK rbx, 0x2A, "rcl bl,3"
    stc
    mov ecx, 0x0001
    rcr cx, 1
    CHECKF (CF | OF), CF | OF, "rcr cx,1 flags"
    CHECK rcx, 0x8000, "rcr cx,1"
    clc
    mov rdx, 0xFFFFFFFFFFFF8421
    rcr dx, 5                       ; 17-bit rotate: CF (0) enters bit 15 first; CF
    CHECKF CF, 0, "rcr dx,5 flags"  ; ends up with the old bit 4
    CHECK rdx, 0xFFFFFFFFFFFF1421, "rcr dx,5"
    stc
    mov r8, 0x8000000000000000
    rcl r8, 1
    CHECKF (CF | OF), CF | OF, "rcl r8,1 flags"
    CHECK r8, 1, "rcl r8,1"
    stc
    mov r9d, 2
    rcr r9d, 2                      ; 33-bit: old CF lands in bit 30
    CHECKF CF, CF, "rcr r9d,2 flags"
    CHECK r9, 0x40000000, "rcr r9d,2"
    GROUP_END "rol/ror/rcl/rcr"
    ret

; SHLD/SHRD (SDM Vol 2): CF = last bit out of the destination, SF/ZF/PF from the
; result, OF only for count 1, AF undefined; counts above the size are undefined.
double_shifts:
    mov eax, 0x12345678
    mov ebx, 0x9ABCDEF0
    shld eax, ebx, 4
    CHECKF (CF | SF | ZF | PF), CF, "shld eax flags"
    CHECK rax, 0x23456789, "shld eax"
    mov rcx, 0x8000000000000001
    mov rdx, 0xFEDCBA9876543210
    mov r8, rcx
    mov cl, 12
    shrd r8, rdx, cl
    CHECKF (CF | SF | ZF | PF), PF, "shrd r8 flags"
    CHECK r8, 0x2108000000000000, "shrd r8"
    mov si, 0x8000
    mov di, 0xFFFF
    shld si, di, 1
    CHECKF (CF | SF | ZF | PF | OF), CF | OF, "shld si,1 flags"
    CHECK rsi, 0x0001, "shld si,1"
    mov r9, 0x00000000000000FF
    mov r10, 0
    shrd r9, r10, 8
    CHECKF (CF | SF | ZF | PF), CF | ZF | PF, "shrd r9,8 flags"
    CHECK r9, 0, "shrd r9,8"
    mov dword [scratch], 0x0000FFFF
    mov r11d, 0x80000000
    shld dword [scratch], r11d, 16
    CHECK qword [scratch], 0xFFFF8000, "shld mem"
    GROUP_END "shld/shrd"
    ret

byte_swap:
    mov rax, 0x0123456789ABCDEF
    bswap rax
    CHECK rax, 0xEFCDAB8967452301, "bswap rax"
    mov r9, 0xFFFFFFFF11223344
    bswap r9d                       ; 32-bit: zero-extends
    CHECK r9, 0x44332211, "bswap r9d"
    GROUP_END "bswap"
    ret

section .bss align=16
scratch: resq 2
