; alu.asm, continued: bit test/scan/count, setcc/cmovcc, the flag instructions and
; the exchanges (xchg/cmpxchg/cmpxchg16b/xadd, with and without lock).
bits 64
default rel

%include "check.inc"

section .text
global bit_test, bit_scan, setcc_cmovcc, flag_instructions, exchange

; BT/BTS/BTR/BTC: CF = the selected bit; the SDM leaves OF/SF/AF/PF undefined and
; AMD also ZF, so only CF is checked. A register offset into memory addresses a
; bit string (SDM Vol 2 BT, "bit base, bit offset"): it may select a byte outside
; the operand, even before it.
bit_test:
    mov rax, 0x8000000000000010
    bt rax, 4
    CHECKF CF, CF, "bt rax,4"
    bt rax, 68                      ; immediate masked to 6 bits: bit 4
    CHECKF CF, CF, "bt rax,68"
    mov ecx, 63
    bt rax, rcx
    CHECKF CF, CF, "bt rax,rcx"
    bts eax, 0
    CHECKF CF, 0, "bts eax flags"
    CHECK rax, 0x11, "bts eax zero-extends"
    mov bx, 0x00FF
    btr bx, 3
    CHECKF CF, CF, "btr bx flags"
    CHECK rbx, 0xF7, "btr bx"
    mov edx, 33
    mov rsi, 0
    btc rsi, rdx
    CHECKF CF, 0, "btc rsi flags"
    CHECK rsi, 0x200000000, "btc rsi"
    btc rsi, rdx
    CHECKF CF, CF, "btc rsi again flags"
    CHECK rsi, 0, "btc rsi again"
    ; bit strings in memory
    lea rdi, [bits_area + 8]
    mov qword [rdi - 8], 0
    mov qword [rdi], 0
    mov qword [rdi + 8], 0
    mov ecx, 100                    ; byte 12, bit 4
    bts qword [rdi], rcx
    CHECKF CF, 0, "bts mem,100 flags"
    CHECK qword [rdi + 8], 0x1000000000, "bts mem,100"
    mov rcx, -1                     ; bit 7 of the byte before rdi
    bts qword [rdi], rcx
    CHECK qword [rdi - 8], 0x8000000000000000, "bts mem,-1"
    bt dword [rdi], ecx             ; same bit through a 32-bit operand
    CHECKF CF, CF, "bt mem32,-1"
    bt dword [rdi + 8], 36          ; immediate masked to 5 bits: bit 4 of the dword
    CHECKF CF, 0, "bt mem32,36"
    mov dword [rdi + 8], 0x10
    lock btr dword [rdi + 8], 4
    CHECKF CF, CF, "lock btr flags"
    CHECK qword [rdi + 8], 0x1000000000, "lock btr"
    mov ecx, 100
    lock btc qword [rdi], rcx
    CHECKF CF, CF, "lock btc flags"
    CHECK qword [rdi + 8], 0, "lock btc"
    GROUP_END "bt/bts/btr/btc"
    ret

; BSF/BSR: ZF = (source == 0); the destination is undefined then, and other flags
; always are. TZCNT/LZCNT: CF = (source == 0), ZF = (result == 0), the count of a zero
; source is the operand size. POPCNT clears OF/SF/AF/CF/PF and sets ZF = (source == 0).
bit_scan:
    mov rax, 0x0000100000000800
    bsf rbx, rax
    CHECKF ZF, 0, "bsf rbx flags"
    CHECK rbx, 11, "bsf rbx"
    bsr rcx, rax
    CHECK rcx, 44, "bsr rcx"
    mov dx, 0x8000
    bsf si, dx
    CHECK rsi, 15, "bsf si"
    xor edi, edi
    bsf rdx, rdi
    CHECKF ZF, ZF, "bsf zero flags"
    mov r8d, 0x00F00000
    bsr r9d, r8d
    CHECK r9, 23, "bsr r9d"
    tzcnt r10, rax
    CHECKF (CF | ZF), 0, "tzcnt r10 flags"
    CHECK r10, 11, "tzcnt r10"
    tzcnt r11, rdi
    CHECKF (CF | ZF), CF, "tzcnt zero flags"
    CHECK r11, 64, "tzcnt zero"
    mov ax, 1
    mov rbx, 0x1234567800000000
    tzcnt bx, ax
    CHECKF (CF | ZF), ZF, "tzcnt bx flags"
    CHECK rbx, 0x1234567800000000, "tzcnt bx keeps 63:16"
    lzcnt r12, rax                  ; rax = 0x0000100000000001 now
    CHECKF (CF | ZF), 0, "lzcnt r12 flags"
    CHECK r12, 19, "lzcnt r12"
    lzcnt r13d, edi
    CHECKF (CF | ZF), CF, "lzcnt zero flags"
    CHECK r13, 32, "lzcnt r13d zero"
    mov r14, 0xFFFFFFFFFFFF8000
    lzcnt r14w, r14w
    CHECKF (CF | ZF), ZF, "lzcnt r14w flags"
    CHECK r14, 0xFFFFFFFFFFFF0000, "lzcnt r14w"
    SETFLAGS ARITH
    mov r15, 0xF0F0F0F0F0F0F0F0
    popcnt r15, r15
    CHECKF ARITH, 0, "popcnt r15 flags"
    CHECK r15, 32, "popcnt r15"
    SETFLAGS ARITH
    popcnt eax, edi
    CHECKF ARITH, ZF, "popcnt zero flags"
    CHECK rax, 0, "popcnt zero"
    mov word [scratch], 0x7FFF
    popcnt cx, word [scratch]
    CHECK rcx, 15, "popcnt cx,mem"
    GROUP_END "bsf/bsr/tzcnt/lzcnt/popcnt"
    ret

; SETcc writes all 16 conditions into bytes; the pattern is checked as two qwords.
%macro ALL_SETCC 1
    seto [%1 + 0]
    setno [%1 + 1]
    setb [%1 + 2]
    setae [%1 + 3]
    sete [%1 + 4]
    setne [%1 + 5]
    setbe [%1 + 6]
    seta [%1 + 7]
    sets [%1 + 8]
    setns [%1 + 9]
    setp [%1 + 10]
    setnp [%1 + 11]
    setl [%1 + 12]
    setge [%1 + 13]
    setle [%1 + 14]
    setg [%1 + 15]
%endmacro

setcc_cmovcc:
    SETFLAGS CF | PF | SF
    ALL_SETCC conds
    CHECK qword [conds], 0x0001010000010100, "setcc CF|PF|SF o..a"
    CHECK qword [conds + 8], 0x0001000100010001, "setcc CF|PF|SF s..g"
    SETFLAGS ZF | OF
    ALL_SETCC conds
    CHECK qword [conds], 0x0001000101000001, "setcc ZF|OF o..a"
    CHECK qword [conds + 8], 0x0001000101000100, "setcc ZF|OF s..g"
    mov rax, 0x1122334455667788
    mov ecx, 5
    cmp ecx, 7                      ; 5 < 7: b, l, ne
    setl ah
    CHECK rax, 0x1122334455660188, "setl ah"
    setg al
    CHECK rax, 0x1122334455660100, "setg al"
    setb r8b
    movzx r8, r8b
    CHECK r8, 1, "setb r8b"
    ; CMOVcc
    mov rbx, 0x1111111111111111
    mov rdx, 0x2222222222222222
    cmovb rbx, rdx                  ; taken
    CHECK rbx, 0x2222222222222222, "cmovb taken"
    mov rsi, 0x3333333333333333
    cmova rsi, rdx                  ; not taken: unchanged
    CHECK rsi, 0x3333333333333333, "cmova not taken"
    cmova esi, edx                  ; 32-bit: 63:32 are zeroed even when not taken
    CHECK rsi, 0x33333333, "cmova esi not taken zero-extends"  ; (SDM Vol 2 CMOVcc)
    mov rdi, 0x4444444444444444
    cmovne di, dx                   ; 16-bit keeps 63:16
    CHECK rdi, 0x4444444444442222, "cmovne di"
    mov qword [scratch], 0x55
    cmovl r9, qword [scratch]
    CHECK r9, 0x55, "cmovl mem"
    SETFLAGS ZF | SF
    cmovg r10, rdx                  ; ZF=1: not greater
    cmovle r11, rdx
    CHECK r11, 0x2222222222222222, "cmovle"
    cmovs r12d, edx
    CHECK r12, 0x22222222, "cmovs r12d"
    GROUP_END "setcc/cmovcc"
    ret

; LAHF/SAHF move SF:ZF:0:AF:0:PF:1:CF through AH (SDM Vol 2 LAHF); PUSHF/POPF,
; CLC/STC/CMC, CLD/STD.
flag_instructions:
    SETFLAGS ARITH
    mov eax, 0
    lahf
    CHECK rax, 0xD700, "lahf all set"
    SETFLAGS 0
    lahf
    CHECK rax, 0x0200, "lahf none set"
    mov ah, 0x95 | 0x28             ; SF AF PF CF, plus bits 3 and 5: ignored
    SETFLAGS OF | ZF
    sahf                            ; OF is not in AH: kept
    CHECKF ARITH, OF | SF | AF | PF | CF, "sahf"
    SETFLAGS CF | ZF
    pushfq
    pop rbx
    and rbx, ARITH | DF
    CHECK rbx, CF | ZF, "pushf"
    push CF | PF | DF | 2
    popfq
    CHECKF (ARITH | DF), CF | PF | DF, "popf sets DF"
    cld
    CHECKF DF, 0, "cld"
    std
    CHECKF DF, DF, "std"
    cld
    clc
    CHECKF CF, 0, "clc"
    stc
    CHECKF CF, CF, "stc"
    cmc
    CHECKF CF, 0, "cmc from 1"
    cmc
    CHECKF CF, CF, "cmc from 0"
    SETFLAGS ARITH
    clc                             ; touches CF only
    CHECKF ARITH, ARITH & ~CF, "clc keeps others"
    GROUP_END "lahf/sahf/pushf/popf/clc/stc/cmc/cld/std"
    ret

exchange:
    mov rax, 0x1111111111111111
    mov rbx, 0x2222222222222222
    xchg rax, rbx
    CHECK rax, 0x2222222222222222, "xchg rax,rbx"
    CHECK rbx, 0x1111111111111111, "xchg rbx,rax"
    xchg eax, ebx                   ; 32-bit: both zero-extended
    CHECK rax, 0x11111111, "xchg eax,ebx"
    CHECK rbx, 0x22222222, "xchg ebx,eax"
    mov ecx, 0x1234
    xchg ch, cl
    CHECK rcx, 0x3412, "xchg ch,cl"
    mov edx, 0xAAAA
    xchg dx, cx
    CHECK rdx, 0x3412, "xchg dx,cx"
    mov qword [scratch], 7
    mov rsi, 9
    xchg [scratch], rsi             ; implicitly locked
    CHECK rsi, 7, "xchg mem old"
    CHECK qword [scratch], 9, "xchg mem new"
    ; CMPXCHG: compare accumulator with destination (flags as CMP)
    mov rax, 9
    mov rdi, 42
    cmpxchg [scratch], rdi          ; equal: store
    CHECKF ARITH, ZF | PF, "cmpxchg success flags"
    CHECK qword [scratch], 42, "cmpxchg success"
    mov rax, 9
    lock cmpxchg [scratch], rdi     ; 9 != 42: load into RAX
    CHECKF ARITH, CF | SF | AF, "lock cmpxchg fail flags"
    CHECK rax, 42, "lock cmpxchg fail loads rax"
    CHECK qword [scratch], 42, "lock cmpxchg fail keeps mem"
    mov rax, 0xFFFFFFFF00000005
    mov dword [scratch], 6
    cmpxchg [scratch], edi          ; fails: EAX = 6, zero-extended
    CHECK rax, 6, "cmpxchg dword fail"
    mov eax, 0x10
    mov r8b, 0x10
    mov r9b, 0x99
    cmpxchg r8b, r9b                ; byte registers, success
    CHECKF ZF, ZF, "cmpxchg r8b flags"
    CHECK r8, 0x99, "cmpxchg r8b"
    ; CMPXCHG16B: RDX:RAX against m128 (16-byte aligned), ZF; on failure the memory
    ; value is loaded into RDX:RAX (SDM Vol 2 CMPXCHG8B/CMPXCHG16B).
    mov qword [pair], 1
    mov qword [pair + 8], 2
    mov eax, 1
    mov edx, 2
    mov ebx, 3
    mov ecx, 4
    lock cmpxchg16b [pair]
    CHECKF ZF, ZF, "cmpxchg16b success flags"
    CHECK qword [pair], 3, "cmpxchg16b low"
    CHECK qword [pair + 8], 4, "cmpxchg16b high"
    mov eax, 1
    mov edx, 2
    cmpxchg16b [pair]
    CHECKF ZF, 0, "cmpxchg16b fail flags"
    CHECK rax, 3, "cmpxchg16b fail rax"
    CHECK rdx, 4, "cmpxchg16b fail rdx"
    ; XADD: exchange and add (flags as ADD)
    mov r10, 5
    mov r11, 0xFFFFFFFFFFFFFFFF
    xadd r10, r11
    CHECKF ARITH, CF | AF, "xadd flags"
    CHECK r10, 4, "xadd sum"
    CHECK r11, 5, "xadd old"
    mov dword [scratch], 0x7FFFFFFF
    mov r12d, 1
    lock xadd [scratch], r12d
    CHECKF ARITH, OF | SF | AF | PF, "lock xadd flags"
    CHECK r12, 0x7FFFFFFF, "lock xadd old"
    CHECK qword [scratch], 0x80000000, "lock xadd sum"
    mov word [scratch], 0xFFFF
    lock inc word [scratch]
    CHECK qword [scratch], 0x80000000, "lock inc word"
    lock add qword [scratch], -0x80000000
    CHECK qword [scratch], 0, "lock add"
    lock or byte [scratch + 7], 0x80
    lock and dword [scratch + 4], 0x80000001
    lock xor word [scratch], 0x1234
    lock sub byte [scratch], 0x34
    CHECK qword [scratch], 0x8000000000001200, "lock or/and/xor/sub"
    lock neg qword [scratch]
    lock not qword [scratch]
    CHECK qword [scratch], 0x8000000000001200 - 1, "lock neg/not"
    GROUP_END "xchg/cmpxchg/cmpxchg16b/xadd/lock"
    ret

section .bss align=16
pair: resq 2                        ; cmpxchg16b needs 16-byte alignment
scratch: resq 2
conds: resb 16
bits_area: resq 3
