#pragma once
// What plugins' imports resolve to in the kernel: the kernel's own dynamic symbol table.
// The kernel is linked as a shared object, so every global symbol of keel (the engine, the
// runtime) is in .dynsym; kernel/efi.lds brackets it and keeps .dynstr in the image.
#include "dbt/loader/shared_object.h"

namespace keel::kernel {

class KernelSymbols final : public SymbolResolver {
public:
    // Builds a sorted index over .dynsym (once, on the heap).
    void initialize();
    u64 resolve(const char* name) override;
    usize count() const { return m_count; }

private:
    struct Entry {
        const char* name;
        u64 address;
    };
    Entry* m_entries = nullptr;
    usize m_count = 0;
};

} // namespace keel::kernel
