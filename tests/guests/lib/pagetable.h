/* Builds 4-level page tables (SDM Vol 3A 4.5) from a pool of pages in the image. The
 * tables are reached through their physical addresses, so they must stay identity-
 * mapped (the image is: pt_map_image). */
#ifndef KEEL_GUEST_PAGETABLE_H
#define KEEL_GUEST_PAGETABLE_H

#include <stdint.h>

#define PTE_P   (1ull << 0)
#define PTE_W   (1ull << 1)
#define PTE_U   (1ull << 2)
#define PTE_A   (1ull << 5)
#define PTE_D   (1ull << 6)
#define PTE_PS  (1ull << 7)
#define PTE_NX  (1ull << 63)
#define PTE_ADDR 0x000FFFFFFFFFF000ull

typedef volatile uint64_t pte_t;   /* the CPU writes A/D bits behind the compiler */

pte_t *pt_new(void);   /* an empty PML4 */
/* The entry for va at level (1 = PT ... 4 = PML4), creating missing tables down to
 * that level when create is set (they get P|W|U: the leaf decides the rights). */
pte_t *pt_entry(pte_t *pml4, uint64_t va, int level, int create);
void pt_map(pte_t *pml4, uint64_t va, uint64_t pa, uint64_t flags);      /* 4 KiB */
void pt_map_2m(pte_t *pml4, uint64_t va, uint64_t pa, uint64_t flags);   /* 2 MiB */
/* Identity-maps the whole image (code, data, stack, these tables), 4 KiB pages, RW. */
void pt_map_image(pte_t *pml4);

#endif
