#include "gdt.h"
#include "cpu.h"

/* SDM Vol 3A 7.7, Figure 7-11: the 64-bit TSS. */
struct __attribute__((packed)) tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;   /* = sizeof: no I/O bitmap, so CPL 3 port I/O faults */
};

static struct tss64 g_tss __attribute__((aligned(16)));

/* Code/data descriptors (SDM Vol 3A 3.4.5): access byte in bits 40-47, flags in 52-55
 * (L=1 for 64-bit code, G and D/B for data). Bases and limits are ignored in 64-bit
 * mode except for the TSS. */
static uint64_t g_gdt[10] __attribute__((aligned(16))) = {
    0,
    0x00AF9A000000FFFFull,   /* 0x08 kernel code, DPL 0, L */
    0x00CF92000000FFFFull,   /* 0x10 kernel data, DPL 0, writable */
    0x00CFF2000000FFFFull,   /* 0x18 user data, DPL 3, writable */
    0x00AFFA000000FFFFull,   /* 0x20 user code, DPL 3, L */
    0, 0,                    /* 0x28 TSS: 16 bytes, filled in by gdt_install */
    0x00CF9A000000FFFFull,   /* 0x38 32-bit code, DPL 0, D (compatibility mode) */
    0x00CF92000000FFFFull,   /* 0x40 data, DPL 0, flat */
    0x00CF92001000FFFFull,   /* 0x48 data, DPL 0, base 0x1000, limit 4 GiB */
};

void tss_set_rsp0(uint64_t rsp0)
{
    g_tss.rsp[0] = rsp0;
}

void gdt_install(void)
{
    uint64_t base = (uintptr_t)&g_tss;
    uint64_t limit = sizeof(g_tss) - 1;
    g_tss.iomap_base = sizeof(g_tss);
    /* SDM Vol 3A 8.2.3, Figure 8-4: type 9 = available 64-bit TSS, P=1, DPL 0. */
    g_gdt[5] = (limit & 0xFFFF) | (base & 0xFFFFFF) << 16 | 0x89ull << 40 |
               ((limit >> 16) & 0xF) << 48 | ((base >> 24) & 0xFF) << 56;
    g_gdt[6] = base >> 32;
    struct descriptor_ptr p = { sizeof(g_gdt) - 1, (uint64_t)(uintptr_t)g_gdt };
    lgdt(&p);
    ltr(SEL_TSS);
}
