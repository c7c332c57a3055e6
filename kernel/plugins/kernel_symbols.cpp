#include "kernel/plugins/kernel_symbols.h"
#include "dbt/loader/elf.h"

extern "C" {
// Defined by kernel/efi.lds around the kernel's .dynsym and at the start of .dynstr.
extern const keel::u8 __keel_dynsym_start[] __attribute__((visibility("hidden")));
extern const keel::u8 __keel_dynsym_end[] __attribute__((visibility("hidden")));
extern const char __keel_dynstr_start[] __attribute__((visibility("hidden")));
extern const keel::u8 ImageBase[] __attribute__((visibility("hidden")));
}

namespace keel::kernel {
namespace {

int compare(const char* a, const char* b) { return __builtin_strcmp(a, b); }

} // namespace

void KernelSymbols::initialize()
{
    const auto* symbols = reinterpret_cast<const elf::Symbol*>(__keel_dynsym_start);
    usize total = static_cast<usize>(__keel_dynsym_end - __keel_dynsym_start) / sizeof(elf::Symbol);
    m_entries = new Entry[total];
    m_count = 0;
    for (usize i = 1; i < total; ++i) {
        const elf::Symbol& s = symbols[i];
        u8 binding = s.info >> 4;
        if (s.shndx == elf::shn_undef || (binding != elf::stb_global && binding != elf::stb_weak))
            continue;
        m_entries[m_count++] = { __keel_dynstr_start + s.name, reinterpret_cast<u64>(ImageBase) + s.value };
    }
    // Insertion sort would be quadratic over thousands of names: a heap sort, in place.
    auto sift = [&](usize root, usize end) {
        while (2 * root + 1 < end) {
            usize child = 2 * root + 1;
            if (child + 1 < end && compare(m_entries[child].name, m_entries[child + 1].name) < 0)
                ++child;
            if (compare(m_entries[root].name, m_entries[child].name) >= 0)
                return;
            Entry t = m_entries[root];
            m_entries[root] = m_entries[child];
            m_entries[child] = t;
            root = child;
        }
    };
    for (usize i = m_count / 2; i-- > 0;)
        sift(i, m_count);
    for (usize end = m_count; end > 1; --end) {
        Entry t = m_entries[0];
        m_entries[0] = m_entries[end - 1];
        m_entries[end - 1] = t;
        sift(0, end - 1);
    }
}

u64 KernelSymbols::resolve(const char* name)
{
    usize low = 0, high = m_count;
    while (low < high) {
        usize middle = low + (high - low) / 2;
        int c = compare(m_entries[middle].name, name);
        if (c == 0)
            return m_entries[middle].address;
        if (c < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return 0;
}

} // namespace keel::kernel
