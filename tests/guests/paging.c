/* 4-level paging with the guest's own tables (SDM Vol 3A 4.5): 4 KiB pages for the
 * image and the test pages, CR3 switched to them; one physical page at two virtual
 * addresses; a mapping changed under a live TLB entry and made visible with INVLPG
 * (and with a CR3 reload); the Accessed and Dirty bits the CPU sets (4.8); a 2 MiB
 * page. Changing a live mapping without INVLPG (or a CR3 write) is undefined (4.10.4). */
#include "cpu.h"
#include "gdt.h"
#include "idt.h"
#include "pagetable.h"
#include "rt.h"

#define ALIAS_A 0x40000000ull    /* both map g_shared; different PD and PT entries */
#define ALIAS_B 0x40203000ull
#define REMAP_VA 0x40010000ull   /* g_one, then g_two, then g_one again */
#define AD_VA 0x8000001000ull    /* PML4 index 1: a walk through fresh entries only */
#define BIG_VA 0x80000000ull     /* a 2 MiB page onto physical 0 */

static uint8_t g_shared[4096] __attribute__((aligned(4096)));
static uint8_t g_one[4096] __attribute__((aligned(4096)));
static uint8_t g_two[4096] __attribute__((aligned(4096)));
static uint8_t g_ad[4096] __attribute__((aligned(4096)));
static volatile uint64_t g_marker = 0x0123456789ABCDEFull;

static volatile uint64_t *at(uint64_t va)
{
    return (volatile uint64_t *)(uintptr_t)va;
}

static void aliasing(void)
{
    volatile uint64_t *a = at(ALIAS_A), *b = at(ALIAS_B);
    volatile uint64_t *phys = (volatile uint64_t *)g_shared;
    a[0] = 0x1111222233334444ull;
    expect_hex("alias: write A, read B", b[0], 0x1111222233334444ull);
    expect_hex("alias: write A, read identity", phys[0], 0x1111222233334444ull);
    b[511] = 0x5555666677778888ull;
    expect_hex("alias: write B, read A", a[511], 0x5555666677778888ull);
    ((volatile uint8_t *)a)[7] = 0x99;
    expect_hex("alias: byte write A, read B", b[0], 0x9911222233334444ull);
}

static void remapping(pte_t *pml4)
{
    ((volatile uint64_t *)g_one)[0] = 0x1111111111111111ull;
    ((volatile uint64_t *)g_two)[0] = 0x2222222222222222ull;
    volatile uint64_t *r = at(REMAP_VA);
    pte_t *pte = pt_entry(pml4, REMAP_VA, 1, 0);
    expect_hex("remap: first page", r[0], 0x1111111111111111ull);   /* now in the TLB */
    *pte = (uintptr_t)g_two | PTE_P | PTE_W;
    invlpg(r);
    expect_hex("remap: second page after invlpg", r[0], 0x2222222222222222ull);
    *pte = (uintptr_t)g_one | PTE_P | PTE_W;
    write_cr3(read_cr3());   /* flushes all non-global translations (4.10.4.1) */
    expect_hex("remap: first page after CR3 reload", r[0], 0x1111111111111111ull);
}

static void print_ad(const char *when, pte_t *e4, pte_t *e3, pte_t *e2, pte_t *e1)
{
    printf("A/D %s: PML4E A=%d PDPTE A=%d PDE A=%d PTE A=%d D=%d\n", when, !!(*e4 & PTE_A),
           !!(*e3 & PTE_A), !!(*e2 & PTE_A), !!(*e1 & PTE_A), !!(*e1 & PTE_D));
}

/* The CPU sets A in every entry of the walk it uses, and D in the entry that maps
 * the page when it writes (SDM Vol 3A 4.8). The printed state is the check. */
static void accessed_dirty(pte_t *pml4)
{
    pte_t *e4 = pt_entry(pml4, AD_VA, 4, 0), *e3 = pt_entry(pml4, AD_VA, 3, 0);
    pte_t *e2 = pt_entry(pml4, AD_VA, 2, 0), *e1 = pt_entry(pml4, AD_VA, 1, 0);
    volatile uint64_t *p = at(AD_VA);
    uint64_t before = (*e4 | *e3 | *e2 | *e1) & (PTE_A | PTE_D);
    print_ad("before any access", e4, e3, e2, e1);
    (void)p[0];
    print_ad("after a read", e4, e3, e2, e1);
    p[1] = 1;
    print_ad("after a write", e4, e3, e2, e1);
    bool first = before == 0 && (*e4 & *e3 & *e2 & *e1 & PTE_A) && (*e1 & PTE_D);
    *e1 &= ~(PTE_A | PTE_D);
    invlpg(p);
    p[2] = 2;
    print_ad("after clearing A/D, invlpg, a write", e4, e3, e2, e1);
    bool second = (*e1 & (PTE_A | PTE_D)) == (PTE_A | PTE_D);
    *e1 &= ~(PTE_A | PTE_D);
    invlpg(p);
    (void)p[3];
    print_ad("after clearing A/D, invlpg, a read", e4, e3, e2, e1);
    bool third = (*e1 & (PTE_A | PTE_D)) == PTE_A;
    expect_true("accessed/dirty bits", first && second && third);
    expect_hex("data written through the page", ((volatile uint64_t *)g_ad)[2], 2);
}

static void large_page(pte_t *pml4)
{
    pte_t *pde = pt_entry(pml4, BIG_VA, 2, 0);
    volatile uint64_t *m = at(BIG_VA + (uintptr_t)&g_marker);   /* physical 0 + offset */
    expect_hex("2 MiB page: read", *m, 0x0123456789ABCDEFull);
    *m = 0xFEDCBA9876543210ull;
    expect_hex("2 MiB page: write seen through the identity map", g_marker, 0xFEDCBA9876543210ull);
    printf("2 MiB PDE: PS=%d A=%d D=%d\n", !!(*pde & PTE_PS), !!(*pde & PTE_A), !!(*pde & PTE_D));
}

int main(void)
{
    printf("paging: own 4-level page tables\n");
    gdt_install();   /* ours: the new tables do not map keel's GDT */
    idt_init();      /* so a stray fault is reported instead of triple-faulting */

    pte_t *pml4 = pt_new();
    pt_map_image(pml4);
    pt_map(pml4, ALIAS_A, (uintptr_t)g_shared, PTE_P | PTE_W);
    pt_map(pml4, ALIAS_B, (uintptr_t)g_shared, PTE_P | PTE_W);
    pt_map(pml4, REMAP_VA, (uintptr_t)g_one, PTE_P | PTE_W);
    pt_map(pml4, AD_VA, (uintptr_t)g_ad, PTE_P | PTE_W);
    pt_map_2m(pml4, BIG_VA, 0, PTE_P | PTE_W);
    write_cr3((uintptr_t)pml4);
    expect_true("CR3 holds the new PML4", read_cr3() == (uintptr_t)pml4);

    aliasing();
    remapping(pml4);
    accessed_dirty(pml4);
    large_page(pml4);
    return check_summary("paging");
}
