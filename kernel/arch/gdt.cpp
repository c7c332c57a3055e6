#include "kernel/arch/gdt.h"
#include "dbt/base/assert.h"

namespace keel::kernel::gdt {
namespace {

// The 64-bit TSS (SDM vol. 3 §7.7, figure 7-11). RSP0-2 are unused: keel never leaves
// ring 0.
struct [[gnu::packed]] Tss {
    u32 reserved0;
    u64 rsp[3];
    u64 reserved1;
    u64 ist[7];
    u64 reserved2;
    u16 reserved3;
    u16 io_map_base;
};
static_assert(sizeof(Tss) == 104);

struct [[gnu::packed]] DescriptorTablePointer {
    u16 limit;
    u64 base;
};

// Segment descriptors (SDM vol. 3 §3.4.5, figure 3-8). In 64-bit mode base and limit are
// ignored for code and data; what matters is P, DPL, S, the type and, for code, L = 1
// (and D = 0).
constexpr u64 descriptor_present = 1ull << 47;
constexpr u64 descriptor_code_or_data = 1ull << 44; // S
constexpr u64 descriptor_long_mode = 1ull << 53;    // L
constexpr u64 descriptor_default_32 = 1ull << 54;   // D/B
constexpr u64 descriptor_granularity_4k = 1ull << 55;
constexpr u64 descriptor_limit_max = 0xFFFFull | (0xFull << 48);
constexpr u64 type_code_execute_read = 0xAull << 40;
constexpr u64 type_data_read_write = 0x2ull << 40;
constexpr u64 type_tss_available = 0x9ull << 40; // 64-bit TSS (available), §3.5 table 3-2

constexpr u64 kernel_code = descriptor_present | descriptor_code_or_data | type_code_execute_read | descriptor_long_mode
    | descriptor_granularity_4k | descriptor_limit_max; // 0x00af9a000000ffff
constexpr u64 kernel_data = descriptor_present | descriptor_code_or_data | type_data_read_write | descriptor_default_32
    | descriptor_granularity_4k | descriptor_limit_max; // 0x00cf92000000ffff
static_assert(kernel_code == 0x00af9a000000ffffull && kernel_data == 0x00cf92000000ffffull);

// null, code, data, TSS (a 16-byte system descriptor: two slots, §7.7.2 figure 7-4).
constexpr u32 gdt_entries = 5;
alignas(16) u64 g_gdt[gdt_entries];
alignas(16) Tss g_tss;

void set_tss_descriptor(u64 base, u32 limit)
{
    u64 low = (limit & 0xFFFFull) | ((base & 0xFFFFFFull) << 16) | type_tss_available | descriptor_present
        | (u64((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFFull) << 56);
    g_gdt[tss_selector / 8] = low;
    g_gdt[tss_selector / 8 + 1] = base >> 32;
}

// Far return into the new code segment (there is no far jump with a 64-bit immediate),
// then the data segments. FS and GS get the flat data segment too: keel uses neither's
// base.
void load(const DescriptorTablePointer& gdtr)
{
    asm volatile("lgdt %0\n\t"
                 "pushq %1\n\t"
                 "leaq 1f(%%rip), %%rax\n\t"
                 "pushq %%rax\n\t"
                 "lretq\n"
                 "1:\n\t"
                 "movl %2, %%eax\n\t"
                 "movl %%eax, %%ds\n\t"
                 "movl %%eax, %%es\n\t"
                 "movl %%eax, %%fs\n\t"
                 "movl %%eax, %%gs\n\t"
                 "movl %%eax, %%ss\n\t"
                 "ltr %w3"
                 :
                 : "m"(gdtr), "i"(u64(kernel_code_selector)), "i"(u32(kernel_data_selector)), "r"(tss_selector)
                 : "rax", "memory");
}

} // namespace

void initialize(const u64 (&ist_stack_tops)[ist_count])
{
    for (u32 i = 0; i < ist_count; ++i) {
        VERIFY(ist_stack_tops[i] != 0 && ist_stack_tops[i] % 16 == 0);
        g_tss.ist[i] = ist_stack_tops[i];
    }
    // No I/O permission bitmap: the base points past the TSS limit (§19.5.2). Irrelevant at
    // CPL 0, but it keeps the TSS self-consistent.
    g_tss.io_map_base = sizeof(Tss);

    g_gdt[0] = 0;
    g_gdt[kernel_code_selector / 8] = kernel_code;
    g_gdt[kernel_data_selector / 8] = kernel_data;
    set_tss_descriptor(reinterpret_cast<u64>(&g_tss), sizeof(Tss) - 1);

    DescriptorTablePointer gdtr { sizeof(g_gdt) - 1, reinterpret_cast<u64>(&g_gdt[0]) };
    load(gdtr);
}

} // namespace keel::kernel::gdt
