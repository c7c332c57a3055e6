/* Compatibility mode (issue 15): 32-bit code under IA-32e mode. compat_code.asm switches
 * to a 32-bit code segment with a far return, runs 32-bit instructions (ALU and flags,
 * 4-byte pushes and return addresses, a 32-bit address that wraps, LOOP, REP MOVSB, a
 * data segment with a base, ENTER/LEAVE), takes a #UD to the 64-bit IDT and returns with
 * IRETQ, and comes back to 64-bit code with a direct far jump (JMP ptr16:32). */
#include "cpu.h"
#include "gdt.h"
#include "idt.h"
#include "rt.h"

#define COMPAT_RESULTS 15
uint32_t compat_results[COMPAT_RESULTS];
void compat_run(void);

static volatile struct {
    uint64_t count, vector, cs, rip, ss;
} g_ud;

static void on_ud(struct trap_frame *f)
{
    g_ud.count++;
    g_ud.vector = f->vector;
    g_ud.cs = f->cs;
    g_ud.rip = f->rip;
    g_ud.ss = f->ss;
    f->rip += 2; /* past UD2 */
}

int main(void)
{
    gdt_install();
    idt_init();
    trap_set_handler(6, on_ud, GATE_INTERRUPT, 0);
    printf("compat: 32-bit code segment 0x%x under IA-32e mode\n", SEL_CODE32);
    compat_run();
    const uint32_t *r = compat_results;
    expect_hex("add 0x7fffffff + 1", r[0], 0x80000000);
    expect_hex("its flags (OF SF AF PF)", r[1], 0x894);
    expect_dec("push r32 moves ESP by", r[2], 4);
    expect_dec("push imm16 (66h) moves ESP by", r[3], 2);
    expect_true("call pushes the 4-byte return address", r[4] == r[5]);
    expect_hex("[ebx + ecx] wraps at 4 GiB", r[6], 0xc0debabe);
    expect_dec("loop sum 10..1", r[7], 55);
    expect_hex("rep movsb (32-bit pointers)", r[8], 0x48474645);
    expect_dec("#UD taken", g_ud.count, 1);
    expect_hex("#UD vector", g_ud.vector, 6);
    expect_hex("#UD frame CS", g_ud.cs, SEL_CODE32);
    expect_hex("#UD frame SS", g_ud.ss, SEL_KERNEL_DS);
    expect_true("#UD frame RIP is a 32-bit address", g_ud.rip != 0 && g_ud.rip < 0x100000000ull);
    expect_hex("IRETQ back to compatibility mode", r[9], 0x600d);
    expect_hex("DS with base 0x1000", r[10], 0xba5eda7a);
    expect_hex("rep movsb from a based DS", r[11], 0x45444342);
    expect_hex("setl/cmovl/jge", r[12], 0x10065);
    expect_hex("enter 16,0 / leave", r[13], 0x1400);
    expect_hex("upper half after compatibility mode", r[14], 0);
    return check_summary("compat");
}
