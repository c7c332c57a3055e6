#include "pagetable.h"
#include "rt.h"

#define POOL_PAGES 24

static uint8_t g_pool[POOL_PAGES][4096] __attribute__((aligned(4096)));
static unsigned g_used;
extern char __image_start[], __image_end[];   /* guest.ld */

static pte_t *alloc_table(void)
{
    if (g_used == POOL_PAGES) {
        printf("pagetable: pool of %d pages exhausted\n", POOL_PAGES);
        exit(101);
    }
    return (pte_t *)g_pool[g_used++];   /* .bss: already zero */
}

pte_t *pt_new(void)
{
    return alloc_table();
}

pte_t *pt_entry(pte_t *pml4, uint64_t va, int level, int create)
{
    pte_t *table = pml4;
    for (int l = 4; l > level; l--) {
        pte_t *e = &table[(va >> (12 + 9 * (l - 1))) & 511];
        if (!(*e & PTE_P)) {
            if (!create)
                return NULL;
            *e = (uintptr_t)alloc_table() | PTE_P | PTE_W | PTE_U;
        }
        table = (pte_t *)(uintptr_t)(*e & PTE_ADDR);
    }
    return &table[(va >> (12 + 9 * (level - 1))) & 511];
}

void pt_map(pte_t *pml4, uint64_t va, uint64_t pa, uint64_t flags)
{
    *pt_entry(pml4, va, 1, 1) = (pa & PTE_ADDR) | flags;
}

void pt_map_2m(pte_t *pml4, uint64_t va, uint64_t pa, uint64_t flags)
{
    *pt_entry(pml4, va, 2, 1) = (pa & PTE_ADDR) | flags | PTE_PS;
}

void pt_map_image(pte_t *pml4)
{
    for (uintptr_t a = (uintptr_t)__image_start; a < (uintptr_t)__image_end; a += 4096)
        pt_map(pml4, a, a, PTE_P | PTE_W);
}
