; String instructions: MOVS/STOS/LODS/CMPS/SCAS in all four sizes, with REP/REPE/REPNE,
; forwards (DF=0) and backwards (DF=1), overlapping MOVS, a copy across pages, and
; RCX=0 (nothing happens, flags included). SDM Vol 2 for each instruction and
; "REP/REPE/REPZ/REPNE/REPNZ". One line per group; a failing check names itself.
bits 64
default rel

%include "guest_main.inc"

section .text
GUEST_MAIN
    cld
    call movs
    call movs_overlap
    call movs_pages
    call stos
    call lods
    call cmps
    call scas
    cld
    GUEST_MAIN_END "strings"

; Fills dst (64 bytes) with 0xEE so stray writes show up.
clear_dst:
    push rdi
    push rcx
    push rax
    lea rdi, [dst]
    mov ecx, 64
    mov al, 0xEE
    rep stosb
    pop rax
    pop rcx
    pop rdi
    ret

movs:
    call clear_dst
    lea rsi, [src]
    lea rdi, [dst]
    movsb                           ; one byte, no prefix
    CHECK rsi, src + 1, "movsb rsi"
    CHECK rdi, dst + 1, "movsb rdi"
    mov ecx, 3
    rep movsb
    CHECK rcx, 0, "rep movsb rcx"
    CHECK qword [dst], 0xEEEEEEEE03020100, "rep movsb data"
    call clear_dst
    lea rsi, [src]
    lea rdi, [dst]
    mov ecx, 3
    rep movsw
    CHECK rsi, src + 6, "rep movsw rsi"
    CHECK qword [dst], 0xEEEE050403020100, "rep movsw data"
    mov ecx, 2
    rep movsd
    CHECK rdi, dst + 14, "rep movsd rdi"
    CHECK qword [dst + 8], 0xEEEE0D0C0B0A0908, "rep movsd data"
    lea rsi, [src]
    lea rdi, [dst]
    mov ecx, 4
    rep movsq
    CHECK rsi, src + 32, "rep movsq rsi"
    CHECK qword [dst + 24], 0x1F1E1D1C1B1A1918, "rep movsq data"
    ; DF=1: addresses decrease; start at the last element
    call clear_dst
    std
    lea rsi, [src + 12]
    lea rdi, [dst + 12]
    mov ecx, 4
    rep movsd                       ; copies src[0..15] from the top down
    cld
    CHECK rsi, src - 4, "std rep movsd rsi"
    CHECK rdi, dst - 4, "std rep movsd rdi"
    CHECK qword [dst], 0x0706050403020100, "std rep movsd data low"
    CHECK qword [dst + 8], 0x0F0E0D0C0B0A0908, "std rep movsd data high"
    CHECK qword [dst + 16], 0xEEEEEEEEEEEEEEEE, "std rep movsd bounds"
    std
    lea rsi, [src + 7]
    lea rdi, [dst + 23]
    movsb
    cld
    CHECK rsi, src + 6, "std movsb rsi"
    CHECK qword [dst + 16], 0x07EEEEEEEEEEEEEE, "std movsb data"
    ; RCX=0: no iteration, registers and memory unchanged
    call clear_dst
    lea rsi, [src]
    lea rdi, [dst]
    xor ecx, ecx
    rep movsq
    CHECK rsi, src, "rcx=0 rep movsq rsi"
    CHECK rdi, dst, "rcx=0 rep movsq rdi"
    CHECK qword [dst], 0xEEEEEEEEEEEEEEEE, "rcx=0 rep movsq data"
    GROUP_END "movs"
    ret

; Overlapping copies behave as the element-by-element loop the SDM describes.
movs_overlap:
    mov rax, 0x4847464544434241     ; "ABCDEFGH"
    mov [dst], rax
    lea rsi, [dst]
    lea rdi, [dst + 1]
    mov ecx, 7
    rep movsb                       ; forward with dst = src + 1 smears byte 0
    CHECK qword [dst], 0x4141414141414141, "forward overlap smears"
    mov rax, 0x4847464544434241
    mov [dst], rax
    std
    lea rsi, [dst + 6]
    lea rdi, [dst + 7]
    mov ecx, 7
    rep movsb                       ; backward: a correct memmove by one
    cld
    CHECK qword [dst], 0x4746454443424141, "backward overlap shifts"
    mov qword [dst], 0x1111
    mov qword [dst + 8], 0x2222
    lea rsi, [dst]
    lea rdi, [dst + 8]
    mov ecx, 3
    rep movsq                       ; qword pattern repeats every 8 bytes
    CHECK qword [dst + 24], 0x1111, "forward overlap movsq"
    mov dword [dst], 0x11223344
    lea rsi, [dst]
    lea rdi, [dst + 2]
    mov ecx, 1
    rep movsd                       ; one element: reads all before writing
    CHECK qword [dst], 0x112233443344, "overlap within one movsd"
    GROUP_END "movs overlap"
    ret

; A 10000-byte copy spanning page boundaries, source and destination on
; differently aligned offsets.
movs_pages:
    lea rdi, [big_src]
    mov ecx, 10003
    xor eax, eax
.fill:
    mov [rdi], al
    add al, 7
    inc rdi
    loop .fill
    lea rsi, [big_src + 3]
    lea rdi, [big_dst + 1]
    mov ecx, 10000
    rep movsb
    ; sum of the copied bytes and compare a few positions
    lea rsi, [big_dst + 1]
    mov ecx, 10000
    xor ebx, ebx
    xor eax, eax
.sum:
    lodsb
    add rbx, rax
    loop .sum
    CHECK rbx, 1274136, "10000-byte copy checksum"
    movzx eax, byte [big_dst + 1 + 4095]
    CHECK rax, (3 + 4095) * 7 % 256, "byte at 4096"
    lea rsi, [big_src]
    lea rdi, [big_dst]
    mov ecx, 1250
    rep movsq
    CHECK rsi, big_src + 10000, "rep movsq 10000 bytes rsi"
    mov rax, [big_dst + 9992]
    mov rcx, [big_src + 9992]
    CHECK rax, rcx, "rep movsq last qword"
    GROUP_END "movs across pages"
    ret

stos:
    call clear_dst
    lea rdi, [dst]
    mov rax, 0x1122334455667788
    stosb
    CHECK rdi, dst + 1, "stosb rdi"
    mov ecx, 2
    rep stosw
    mov ecx, 1
    rep stosd
    CHECK rdi, dst + 9, "rep stosd rdi"
    mov ecx, 2
    rep stosq
    CHECK rdi, dst + 25, "rep stosq rdi"
    CHECK rcx, 0, "rep stosq rcx"
    CHECK qword [dst], 0x6677887788778888, "stos data 0"
    CHECK qword [dst + 8], 0x2233445566778855, "stos data 8"
    CHECK qword [dst + 16], 0x2233445566778811, "stos data 16"
    CHECK qword [dst + 24], 0xEEEEEEEEEEEEEE11, "stos data 24"
    std
    lea rdi, [dst + 40]
    mov rax, 0xAAAABBBBCCCCDDDD
    mov ecx, 2
    rep stosq                       ; writes dst+40, then dst+32
    CHECK rdi, dst + 24, "std rep stosq rdi"
    CHECK qword [dst + 32], 0xAAAABBBBCCCCDDDD, "std rep stosq data"
    CHECK qword [dst + 40], 0xAAAABBBBCCCCDDDD, "std rep stosq data 2"
    lea rdi, [dst + 50]
    stosw
    CHECK rdi, dst + 48, "std stosw rdi"
    xor ecx, ecx
    rep stosd                       ; rcx=0: nothing
    cld
    CHECK rdi, dst + 48, "rcx=0 rep stosd rdi"
    CHECK qword [dst + 48], 0xEEEEEEEEDDDDEEEE, "std stosw data"
    GROUP_END "stos"
    ret

lods:
    lea rsi, [src]
    mov rax, -1
    lodsb                           ; AL only: 63:8 kept
    CHECK rax, 0xFFFFFFFFFFFFFF00, "lodsb"
    lodsw
    CHECK rax, 0xFFFFFFFFFFFF0201, "lodsw"
    lodsd                           ; 32-bit: zero-extended
    CHECK rax, 0x06050403, "lodsd"
    lodsq
    CHECK rax, 0x0E0D0C0B0A090807, "lodsq"
    CHECK rsi, src + 15, "lods rsi"
    mov ecx, 4
    rep lodsb                       ; keeps the last byte
    CHECK rax, 0x0E0D0C0B0A090812, "rep lodsb"
    CHECK rsi, src + 19, "rep lodsb rsi"
    CHECK rcx, 0, "rep lodsb rcx"
    std
    lea rsi, [src + 8]
    lodsd
    cld
    CHECK rax, 0x0B0A0908, "std lodsd"
    CHECK rsi, src + 4, "std lodsd rsi"
    xor ecx, ecx
    rep lodsq
    CHECK rax, 0x0B0A0908, "rcx=0 rep lodsq rax"
    CHECK rsi, src + 4, "rcx=0 rep lodsq rsi"
    GROUP_END "lods"
    ret

; CMPS computes [rsi] - [rdi] and sets flags as CMP; REPE stops on the first
; difference, REPNE on the first match, both with RCX counting the elements done.
cmps:
    lea rsi, [str_a]
    lea rdi, [str_same]
    mov ecx, 10
    repe cmpsb
    CHECKF ARITH, ZF | PF, "repe cmpsb equal flags"
    CHECK rcx, 0, "repe cmpsb equal rcx"
    CHECK rsi, str_a + 10, "repe cmpsb equal rsi"
    CHECK rdi, str_same + 10, "repe cmpsb equal rdi"
    lea rsi, [str_a]
    lea rdi, [str_diff]
    mov ecx, 10
    repe cmpsb                      ; 'l' - 'L' at index 3
    CHECKF ARITH, 0, "repe cmpsb differ flags"
    CHECK rcx, 6, "repe cmpsb differ rcx"
    CHECK rsi, str_a + 4, "repe cmpsb differ rsi"
    CHECK rdi, str_diff + 4, "repe cmpsb differ rdi"
    lea rsi, [str_diff]
    lea rdi, [str_a]
    mov ecx, 10
    repe cmpsb                      ; 'L' - 'l' = -0x20
    CHECKF ARITH, CF | SF, "repe cmpsb below flags"
    lea rsi, [str_x]
    lea rdi, [str_y]
    mov ecx, 5
    repne cmpsb                     ; first equal byte at index 3
    CHECKF ZF, ZF, "repne cmpsb flags"
    CHECK rcx, 1, "repne cmpsb rcx"
    std
    lea rsi, [qwords_a + 24]
    lea rdi, [qwords_b + 24]
    mov ecx, 4
    repe cmpsq                      ; from index 3 down; index 1 differs
    cld
    CHECKF (ZF | CF), 0, "std repe cmpsq flags"
    CHECK rcx, 1, "std repe cmpsq rcx"
    CHECK rsi, qwords_a, "std repe cmpsq rsi"
    lea rsi, [words_a]
    lea rdi, [words_b]
    cmpsw                           ; 1 - 2
    CHECKF ARITH, CF | SF | AF | PF, "cmpsw flags"
    CHECK rsi, words_a + 2, "cmpsw rsi"
    lea rsi, [dwords_a]
    lea rdi, [dwords_b]
    cmpsd                           ; 0x80000000 - 1
    CHECKF ARITH, OF | AF | PF, "cmpsd flags"
    lea rsi, [str_a]
    lea rdi, [str_diff]
    xor ecx, ecx
    SETFLAGS CF | OF
    repe cmpsb                      ; rcx=0: no compare, flags kept
    CHECKF ARITH, CF | OF, "rcx=0 repe cmpsb flags"
    CHECK rsi, str_a, "rcx=0 repe cmpsb rsi"
    GROUP_END "cmps"
    ret

; SCAS computes accumulator - [rdi].
scas:
    lea rdi, [str_a]
    xor eax, eax
    mov rcx, -1
    repne scasb                     ; strlen: stops after the NUL
    not rcx
    dec rcx
    CHECK rcx, 10, "repne scasb strlen"
    CHECK rdi, str_a + 11, "repne scasb rdi"
    lea rdi, [dwords_scan]
    mov eax, 7
    mov ecx, 4
    repe scasd                      ; 7, 7, then 9
    CHECKF ARITH, CF | SF | AF, "repe scasd flags"
    CHECK rcx, 1, "repe scasd rcx"
    CHECK rdi, dwords_scan + 12, "repe scasd rdi"
    mov rax, 0x0706050403020100
    lea rdi, [src]
    scasq
    CHECKF ZF, ZF, "scasq flags"
    mov rax, 0x12345678FFFF0067     ; SCASB compares AL only
    lea rdi, [str_a]
    scasb
    CHECKF ARITH, CF | SF | AF | PF, "scasb flags"   ; 0x67 - 'k' (0x6B) = 0xFC
    std
    lea rdi, [words_scan + 6]
    mov ax, 0x1234
    mov ecx, 4
    repne scasw                     ; backwards: 0x1234 is at index 1
    cld
    CHECKF ZF, ZF, "std repne scasw flags"
    CHECK rcx, 1, "std repne scasw rcx"
    CHECK rdi, words_scan, "std repne scasw rdi"
    xor ecx, ecx
    lea rdi, [str_a]
    SETFLAGS SF
    repne scasb
    CHECKF ARITH, SF, "rcx=0 repne scasb flags"
    CHECK rdi, str_a, "rcx=0 repne scasb rdi"
    GROUP_END "scas"
    ret

section .rodata
str_a:    db "keel guest", 0
str_same: db "keel guest", 0
str_diff: db "keeL guest", 0
str_x:    db "abcXe"
str_y:    db "zyxXw"
align 8
qwords_a: dq 1, 5, 3, 4
qwords_b: dq 1, 2, 3, 4
words_a:  dw 1
words_b:  dw 2
dwords_a: dd 0x80000000
dwords_b: dd 1
dwords_scan: dd 7, 7, 9, 7
words_scan: dw 0x1111, 0x1234, 0x2222, 0x3333
align 8
src:
%assign i 0
%rep 64
    db i
%assign i i + 1
%endrep

section .bss align=16
    resb 16                         ; room for the DF=1 underrun checks
dst: resb 64
    resb 16
big_src: resb 10008
big_dst: resb 10008
