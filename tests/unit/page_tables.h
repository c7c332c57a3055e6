#pragma once
// Hand-built x86-64 4-level page tables in a GuestMachine's RAM (Intel SDM vol. 3 §4.5),
// for the MMU and translation-cache tests. Creating one points CR3 at a fresh, empty
// PML4 (tables come from a bump allocator at 1 MiB) and flushes the TLB.
#include <vector>
#include "guest_machine.h"

namespace keel::unit {

// Entry bits (SDM §4.5, tables 4-15 to 4-20).
namespace pte {
constexpr u64 P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80, G = 0x100, XD = 1ull << 63;
}

class PageTables {
public:
    explicit PageTables(GuestMachine& m) : m_m(m)
    {
        m_pml4 = allocate();
        x86::CpuState& s = m.cpu();
        s.cr3 = m_pml4;
        m.engine().flush_tlb();
    }

    // Maps `va` to `pa` with a leaf at `level` (0: 4 KiB PTE, 1: 2 MiB PDE, 2: 1 GiB
    // PDPTE). Upper levels get P|RW|US; the leaf gets `flags`. Returns the leaf's address.
    u64 map(u64 va, u64 pa, u64 flags, int level = 0)
    {
        u64 table = m_pml4;
        for (int l = 3; l > level; --l) {
            u64 entry_address = table + ((va >> (12 + 9 * l)) & 511) * 8;
            u64 e = m_m.read(entry_address, 8);
            if (!(e & pte::P)) {
                e = allocate() | pte::P | pte::RW | pte::US;
                m_m.engine().memory().write(entry_address, e, 8);
            }
            table = e & 0x000FFFFFFFFFF000ull;
        }
        u64 leaf = table + ((va >> (12 + 9 * level)) & 511) * 8;
        m_m.engine().memory().write(leaf, pa | flags | (level ? pte::PS : 0), 8);
        return leaf;
    }
    // The entries a walk for `va` uses, from the PML4E down (for A/D checks).
    std::vector<u64> walk_entries(u64 va, int leaf_level = 0)
    {
        std::vector<u64> out;
        u64 table = m_pml4;
        for (int l = 3; l >= leaf_level; --l) {
            u64 address = table + ((va >> (12 + 9 * l)) & 511) * 8;
            out.push_back(address);
            table = m_m.read(address, 8) & 0x000FFFFFFFFFF000ull;
        }
        return out;
    }
    u64 entry(u64 address) { return m_m.read(address, 8); }
    void set_entry(u64 address, u64 value) { m_m.engine().memory().write(address, value, 8); }

private:
    u64 allocate()
    {
        u64 t = m_next;
        m_next += 0x1000;
        std::vector<u8> zeros(0x1000);
        m_m.write(t, zeros);
        return t;
    }
    GuestMachine& m_m;
    u64 m_next = 0x100000;
    u64 m_pml4 = 0;
};

} // namespace keel::unit
