/* Code fetched from outside RAM, as a PC does it (issue 11 item 4: keel re-dispatched an
 * empty block there forever): unassigned space reads all-ones, which decodes as FF FF
 * (FF /7, undefined: #UD at the address); the VGA text buffer, a device's MMIO, holds
 * whatever code the guest stored there, and it runs, and runs anew after a change. */
#include "idt.h"
#include "rt.h"

static volatile uint64_t ud_rip;
static volatile unsigned ud_count;

/* #UD: note where, then return to the caller of the code that faulted (the fault is at
 * the first byte called, so the return address is on top of the stack). */
static void ud_handler(struct trap_frame *f)
{
    ud_rip = f->rip;
    ud_count = ud_count + 1;
    f->rip = *(uint64_t *)f->rsp;
    f->rsp += 8;
}

typedef uint64_t (*code_fn)(void);

static void call_expecting_ud(const char *what, uint64_t address)
{
    unsigned before = ud_count;
    ((code_fn)address)();
    expect_dec(what, ud_count - before, 1);
    expect_hex("  #UD at", ud_rip, address);
}

int main(void)
{
    idt_init();
    trap_set_handler(6, ud_handler, GATE_INTERRUPT, 0);

    call_expecting_ud("unassigned 0xA0000 (legacy video hole): #UD", 0xA0000);
    call_expecting_ud("unassigned 0xD0000000 (past RAM): #UD", 0xD0000000ull);

    /* mov eax, imm32; ret, past the visible text page of the VGA buffer. */
    volatile uint8_t *vga = (volatile uint8_t *)0xB9000;
    const uint8_t code[] = { 0xB8, 0x2A, 0x00, 0x00, 0x00, 0xC3 };
    for (unsigned i = 0; i < sizeof code; ++i)
        vga[i] = code[i];
    expect_hex("code in VGA MMIO returns", ((code_fn)0xB9000)() & 0xFFFFFFFF, 0x2A);
    vga[1] = 0x63; /* the immediate changes: never a stale translation */
    expect_hex("changed code in VGA MMIO returns", ((code_fn)0xB9000)() & 0xFFFFFFFF, 0x63);
    return check_summary("fetch_outside_ram");
}
