/* Exceptions and software interrupts through the guest's own IDT: #DE (divide by
 * zero, idiv overflow), #UD, #BP, int 0x80, #GP on a non-canonical address, and #PF
 * for a not-present page, a write to a read-only page with CR0.WP=1 and an
 * instruction fetch from an NX page. For each, the handler's frame is checked: vector,
 * error code, CR2, RIP (the instruction for faults, the next one for traps), CS,
 * RFLAGS, RSP, SS, and that the CPU aligned the frame to 16 bytes (SDM Vol 3A 6.14.2).
 * The triggers are in exceptions_trigger.asm. */
#include "cpu.h"
#include "gdt.h"
#include "idt.h"
#include "pagetable.h"
#include "rt.h"

/* exceptions_trigger.asm */
extern uint64_t trig_rsp, trig_fault_rip, trap_resume_rip;
void trigger_div0(void);
void trigger_idiv_overflow(void);
void trigger_ud2(void);
void trigger_int3(void);
uint64_t trigger_int80(uint64_t a, uint64_t b);
void trigger_gp_noncanonical(void);
void trigger_pf_read(uint64_t va);
void trigger_pf_write(uint64_t va, uint32_t value);
void trigger_pf_exec(uint64_t va);

#define TEST_RFLAGS ((uint64_t)0x8D7)   /* what every trigger loads before its instruction */
#define RFLAGS_RF ((uint64_t)1 << 16)

/* Test pages (SDM Vol 3A 4.7 for the #PF error codes). */
#define RO_VA 0x40000000ull   /* present, read-only */
#define NX_VA 0x40001000ull   /* present, writable, execute-disable */
#define NP_VA 0x40002000ull   /* no PTE */
#define NP_PML4_VA 0x7F0000000000ull   /* no PML4 entry at all */
#define PF_P 0x1
#define PF_W 0x2
#define PF_ID 0x10

static uint8_t g_ro_page[4096] __attribute__((aligned(4096)));
static uint8_t g_nx_page[4096] __attribute__((aligned(4096)));

/* What the last exception looked like, as the handler saw it. */
static volatile struct {
    uint64_t count, vector, error, rip, cs, rflags, rsp, ss, cr2, frame_top;
    uint64_t top_of_stack;   /* the qword at the interrupted RSP */
} g_trap;

static void record_trap(struct trap_frame *f)
{
    g_trap.vector = f->vector;
    g_trap.error = f->error;
    g_trap.rip = f->rip;
    g_trap.cs = f->cs;
    g_trap.rflags = f->rflags;
    g_trap.rsp = f->rsp;
    g_trap.ss = f->ss;
    g_trap.cr2 = read_cr2();
    g_trap.frame_top = (uintptr_t)(&f->ss + 1);   /* where the CPU started pushing */
    g_trap.top_of_stack = *(const uint64_t *)(uintptr_t)f->rsp;
    g_trap.count++;
    if (f->vector == 0x80)
        f->rax = f->rdi + f->rsi;   /* a "system call": add the two arguments */
    f->rip = trap_resume_rip;       /* for faults: skip the faulting instruction */
}

struct expectation {
    const char *name;
    uint64_t vector;
    int64_t error;     /* -1: the CPU pushes none */
    uint64_t cr2;      /* checked for #PF only */
    bool trap;         /* RIP is the next instruction, RF is not set */
    uint64_t rip;      /* if nonzero, instead of the trigger's own instruction */
    int64_t rsp_delta; /* the frame's RSP relative to RSP at the instruction */
};

/* One line per exception: the values a real CPU pushes are printed, the ones that
 * depend on the link addresses are compared and printed as ok (or a FAIL line). */
static void check_trap(const struct expectation *e, uint64_t count_before)
{
    if (g_trap.count != count_before + 1) {
        printf("%s: %s\n", e->name, g_trap.count == count_before ? "no exception" : "several exceptions");
        check64(g_trap.count - count_before, 1, "exception count");
        return;
    }
    uint64_t want_rip = e->rip ? e->rip : e->trap ? trap_resume_rip : trig_fault_rip;
    uint64_t want_rsp = trig_rsp + e->rsp_delta;
    /* SDM Vol 3A 18.3.1.1 (and Vol 3A 2.3, EFLAGS.RF): the RFLAGS image a fault
     * pushes has RF set, so that IRET can resume the faulting instruction without
     * re-triggering an instruction breakpoint; traps push RF as it was (0). */
    uint64_t rf = (g_trap.rflags & RFLAGS_RF) ? 1 : 0;

    printf("%s: vector %lu", e->name, g_trap.vector);
    if (e->error >= 0)
        printf(", error 0x%lx", g_trap.error);
    if (e->vector == 14)
        printf(", cr2 0x%lx", g_trap.cr2);
    printf(", rip %s, cs 0x%lx, rflags 0x%lx RF %lu, rsp %s, ss 0x%lx, frame %s\n",
           g_trap.rip == want_rip ? "ok" : "BAD", g_trap.cs, g_trap.rflags & ~RFLAGS_RF, rf,
           g_trap.rsp == want_rsp ? "ok" : "BAD", g_trap.ss,
           g_trap.frame_top == (g_trap.rsp & ~15ull) ? "aligned" : "BAD");

    check64(g_trap.vector, e->vector, "vector");
    if (e->error >= 0)
        check64(g_trap.error, (uint64_t)e->error, "error code");
    if (e->vector == 14)
        check64(g_trap.cr2, e->cr2, "cr2");
    check64(g_trap.rip, want_rip, "rip");
    check64(g_trap.cs, SEL_KERNEL_CS, "cs");
    check64(g_trap.rflags, TEST_RFLAGS | (e->trap ? 0 : RFLAGS_RF), "rflags");
    check64(g_trap.rsp, want_rsp, "rsp");
    check64(g_trap.ss, SEL_KERNEL_DS, "ss");
    check64(g_trap.frame_top, g_trap.rsp & ~15ull, "frame top = rsp aligned down to 16");
}

#define RUN(expectation, call)                                                   \
    do {                                                                         \
        uint64_t before_ = g_trap.count;                                         \
        call;                                                                    \
        check_trap(&(expectation), before_);                                     \
    } while (0)

static void setup(void)
{
    /* Our GDT first: the page tables below do not map keel's (top of RAM). */
    gdt_install();
    idt_init();
    static const unsigned vectors[] = { 0, 3, 6, 13, 14 };
    for (unsigned i = 0; i < ARRAY_SIZE(vectors); i++)
        trap_set_handler(vectors[i], record_trap, GATE_INTERRUPT, 0);
    trap_set_handler(0x80, record_trap, GATE_TRAP, 3);

    pte_t *pml4 = pt_new();
    pt_map_image(pml4);
    pt_map(pml4, RO_VA, (uintptr_t)g_ro_page, PTE_P);
    pt_map(pml4, NX_VA, (uintptr_t)g_nx_page, PTE_P | PTE_W | PTE_NX);
    g_nx_page[0] = 0xC3;   /* ret: harmless should the fetch not fault */
    write_cr3((uintptr_t)pml4);
}

int main(void)
{
    printf("exceptions: IDT, GDT, 4-level tables with RO and NX pages\n");
    setup();
    expect_hex("CR0.WP", read_cr0() & CR0_WP, CR0_WP);
    expect_hex("EFER.NXE", rdmsr(MSR_EFER) & (1u << 11), 1u << 11);

    static const struct expectation de = { "#DE div by zero", 0, -1, 0, false, 0, 0 };
    static const struct expectation de2 = { "#DE idiv overflow", 0, -1, 0, false, 0, 0 };
    static const struct expectation ud = { "#UD ud2", 6, -1, 0, false, 0, 0 };
    static const struct expectation bp = { "#BP int3", 3, -1, 0, true, 0, 0 };
    static const struct expectation sw = { "int 0x80", 0x80, -1, 0, true, 0, 0 };
    static const struct expectation gp = { "#GP non-canonical", 13, 0, 0, false, 0, 0 };
    RUN(de, trigger_div0());
    RUN(de2, trigger_idiv_overflow());
    RUN(ud, trigger_ud2());
    RUN(bp, trigger_int3());
    uint64_t sum;
    RUN(sw, sum = trigger_int80(40, 2));
    expect_dec("int 0x80 handler result", (int64_t)sum, 42);
    RUN(gp, trigger_gp_noncanonical());

    static const struct expectation np_read = { "#PF not-present read", 14, 0, NP_VA + 8, false, 0, 0 };
    static const struct expectation np_write = { "#PF not-present write", 14, PF_W, NP_VA + 0xFF0, false, 0, 0 };
    static const struct expectation np_pml4 = { "#PF no PML4 entry", 14, 0, NP_PML4_VA, false, 0, 0 };
    static const struct expectation ro = { "#PF write to read-only", 14, PF_P | PF_W, RO_VA + 0x123, false, 0, 0 };
    static const struct expectation nx = { "#PF fetch from NX page", 14, PF_P | PF_ID, NX_VA, false, NX_VA, -8 };
    RUN(np_read, trigger_pf_read(NP_VA + 8));
    RUN(np_write, trigger_pf_write(NP_VA + 0xFF0, 1));
    RUN(np_pml4, trigger_pf_read(NP_PML4_VA));
    RUN(ro, trigger_pf_write(RO_VA + 0x123, 0x5A));
    expect_hex("read-only page unchanged", g_ro_page[0x123], 0);
    RUN(nx, trigger_pf_exec(NX_VA));
    /* the call pushed its return address before the fetch faulted */
    expect_true("NX: return address on the stack", g_trap.top_of_stack == trig_fault_rip + 2);

    /* With CR0.WP=0 supervisor writes ignore R/W (SDM Vol 3A 4.6.1). */
    uint64_t before = g_trap.count;
    write_cr0(read_cr0() & ~CR0_WP);
    trigger_pf_write(RO_VA + 0x124, 0xA5);
    write_cr0(read_cr0() | CR0_WP);
    expect_dec("WP=0 write to read-only: exceptions", (int64_t)(g_trap.count - before), 0);
    expect_hex("WP=0 write to read-only: value", g_ro_page[0x124], 0xA5);

    return check_summary("exceptions");
}
