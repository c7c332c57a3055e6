/* Thin wrappers over the privileged instructions the C guests use. Every one is in
 * the set keel implements (port I/O, control registers, MSRs, descriptor tables). */
#ifndef KEEL_GUEST_CPU_H
#define KEEL_GUEST_CPU_H

#include <stdint.h>

#define MSR_EFER           0xC0000080u
#define MSR_FS_BASE        0xC0000100u
#define MSR_GS_BASE        0xC0000101u
#define MSR_KERNEL_GS_BASE 0xC0000102u

#define CR0_WP (1ull << 16)   /* SDM Vol 3A 2.5: supervisor writes honour R/W */

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

#define DEFINE_CR(n)                                                              \
    static inline uint64_t read_cr##n(void)                                       \
    {                                                                             \
        uint64_t v;                                                               \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                         \
        return v;                                                                 \
    }                                                                             \
    static inline void write_cr##n(uint64_t v) { __asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory"); }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

/* Not in keel's documented instruction list but needed by paging.c: see its header. */
static inline void invlpg(const volatile void *va) { __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory"); }

struct __attribute__((packed)) descriptor_ptr {
    uint16_t limit;
    uint64_t base;
};
static inline void lgdt(const struct descriptor_ptr *p) { __asm__ volatile("lgdt %0" : : "m"(*p)); }
static inline void lidt(const struct descriptor_ptr *p) { __asm__ volatile("lidt %0" : : "m"(*p)); }
static inline void ltr(uint16_t sel) { __asm__ volatile("ltr %0" : : "r"(sel)); }

#endif
