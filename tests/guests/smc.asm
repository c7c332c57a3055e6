; Self-modifying code. A translator caches host code per guest block, so every write
; to guest code that has been (or is being) executed must be seen by the next
; execution of that code. On the CPU side the SDM guarantees it: stores to code are
; snooped by physical address, including instructions already prefetched (Vol 3A,
; Memory Cache Control, "Self-Modifying Code"). "Handling Self- and Cross-Modifying
; Code" (Vol 3A, Multiple-Processor Management) asks for a jump between the store and
; the modified code only for portability to pre-P6 parts; the "same block" cases
; below deliberately leave it out.
bits 64
default rel

%include "guest_main.inc"

section .text
GUEST_MAIN
    call patch_immediate
    call same_block
    call executed_page
    GUEST_MAIN_END "smc"

; Execute, rewrite the immediate of a mov, execute again: three versions.
patch_immediate:
    call patch_site
    CHECK rax, 0x11111111, "first version"
    mov dword [patch_site + 1], 0x22222222
    call patch_site
    CHECK rax, 0x22222222, "after first patch"
    mov dword [patch_site + 1], 0x33333333
    call patch_site
    CHECK rax, 0x33333333, "after second patch"
    mov dword [patch_site + 1], 0x11111111   ; the code is as assembled again
    call patch_site
    CHECK rax, 0x11111111, "patched back"
    GROUP_END "patch an immediate, re-execute"
    ret

patch_site:
    mov eax, 0x11111111             ; B8 imm32: the immediate is at patch_site + 1
    ret

; Stores that change instructions further down the same straight-line block: no
; branch between the store and the instruction it changes.
same_block:
    xor ebx, ebx
    mov ecx, 1
.again:                             ; three passes, each writing a new immediate
    mov eax, ecx
    imul eax, eax, 0x1111
    mov [.imm + 1], eax
.imm:
    mov eax, 0                      ; B8 imm32, rewritten just above
    add ebx, eax
    inc ecx
    cmp ecx, 4
    jne .again
    CHECK rbx, 0x1111 + 0x2222 + 0x3333, "immediate rewritten in the same block"
    ; Change the opcode itself: add (01 /r) <-> sub (29 /r), same ModRM. The first
    ; pass makes it sub, the second (same block, now translated) add again.
    xor ebx, ebx
    mov esi, 0x29
    mov ecx, 2
.op_pass:
    mov eax, 100
    mov edx, 1
    mov [.op], sil
.op:
    add eax, edx                    ; 01 D0 / 29 D0
    imul ebx, ebx, 1000
    add ebx, eax
    mov esi, 0x01
    dec ecx
    jnz .op_pass
    CHECK rbx, 99101, "opcode rewritten in the same block"   ; 99, then 101
    mov byte [.next], 0x90          ; turn the ud2 below into two NOPs,
    mov byte [.next + 1], 0x90      ; one byte at a time
.next:
    ud2
    mov eax, 7
    CHECK rax, 7, "ud2 rewritten into nops"
    GROUP_END "modify the running block"
    ret

; A page of code that runs, then is changed while its translations exist: one
; function patched, its neighbour left alone, then one rewritten wholesale by a
; string copy.
executed_page:
    call page_fn_a
    CHECK rax, 0xA, "fn_a before"
    call page_fn_b
    CHECK rax, 0xB, "fn_b before"
    mov dword [page_fn_b + 1], 0xBB
    call page_fn_a
    CHECK rax, 0xA, "fn_a unchanged neighbour"
    call page_fn_b
    CHECK rax, 0xBB, "fn_b patched"
    lea rsi, [replacement]          ; rep movsb over code that has run
    lea rdi, [page_fn_a]
    mov ecx, replacement_end - replacement
    rep movsb
    mov edi, 20
    call page_fn_a
    CHECK rax, 41, "fn_a replaced by rep movsb"
    call page_fn_b
    CHECK rax, 0xBB, "fn_b still patched"
    call page_tail                  ; the last bytes of the page, run, patched, rerun
    CHECK rax, 0x11, "end of the page before"
    mov byte [page_tail + 3], 0x5A
    call page_tail
    CHECK rax, 0x5A, "end of the page patched"
    GROUP_END "modify a page that has run"
    ret

; replacement for page_fn_a: rax = rdi * 2 + 1
replacement:
    lea eax, [rdi * 2 + 1]
    ret
replacement_end:

section .text.smc_page progbits alloc exec nowrite align=4096
page_fn_a:
    mov eax, 0xA
    ret
    times 16 - ($ - page_fn_a) int3 ; room for the replacement
page_fn_b:
    mov eax, 0xB
    ret
    times 4096 - 5 - ($ - page_fn_a) int3
page_tail:                          ; exactly the page's last 5 bytes
    xor eax, eax                    ; 31 C0
    mov al, 0x11                    ; B0 ib: the immediate is at page_tail + 3
    ret
