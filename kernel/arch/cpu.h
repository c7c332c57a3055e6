#pragma once
// Privileged x86-64 instructions the kernel uses, as inline functions (Intel SDM vol. 2).
#include "dbt/base/host_cpuid.h"
#include "dbt/base/types.h"

namespace keel::kernel::cpu {

inline void outb(u16 port, u8 value) { asm volatile("outb %0, %1" ::"a"(value), "Nd"(port)); }
inline void outw(u16 port, u16 value) { asm volatile("outw %0, %1" ::"a"(value), "Nd"(port)); }
inline void outl(u16 port, u32 value) { asm volatile("outl %0, %1" ::"a"(value), "Nd"(port)); }
inline u8 inb(u16 port)
{
    u8 value;
    asm volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

inline u64 read_msr(u32 msr)
{
    u32 lo, hi;
    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (u64(hi) << 32) | lo;
}
inline void write_msr(u32 msr, u64 value) { asm volatile("wrmsr" ::"c"(msr), "a"(u32(value)), "d"(u32(value >> 32))); }

inline u64 rdtsc()
{
    u32 lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (u64(hi) << 32) | lo;
}

inline void cpuid(u32 leaf, u32 subleaf, u32& a, u32& b, u32& c, u32& d) { host_cpuid(leaf, subleaf, a, b, c, d); }

#define KEEL_READ_CR(n)                               \
    inline u64 read_cr##n()                           \
    {                                                 \
        u64 value;                                    \
        asm volatile("mov %%cr" #n ", %0" : "=r"(value)); \
        return value;                                 \
    }
KEEL_READ_CR(0)
KEEL_READ_CR(2)
KEEL_READ_CR(3)
KEEL_READ_CR(4)
#undef KEEL_READ_CR
inline void write_cr3(u64 value) { asm volatile("mov %0, %%cr3" ::"r"(value) : "memory"); }
inline void write_cr4(u64 value) { asm volatile("mov %0, %%cr4" ::"r"(value) : "memory"); }
inline void write_cr0(u64 value) { asm volatile("mov %0, %%cr0" ::"r"(value) : "memory"); }

inline void invlpg(u64 address) { asm volatile("invlpg (%0)" ::"r"(address) : "memory"); }
inline void cli() { asm volatile("cli" ::: "memory"); }
inline void sti() { asm volatile("sti" ::: "memory"); }
inline void hlt() { asm volatile("hlt" ::: "memory"); }
inline void pause() { asm volatile("pause"); }

inline u64 read_rflags()
{
    u64 value;
    asm volatile("pushfq; popq %0" : "=r"(value));
    return value;
}

[[noreturn]] inline void halt_forever()
{
    for (;;) {
        cli();
        hlt();
    }
}

constexpr u32 msr_efer = 0xC0000080;
constexpr u32 msr_apic_base = 0x1B;
constexpr u64 efer_nxe = 1u << 11;

} // namespace keel::kernel::cpu
