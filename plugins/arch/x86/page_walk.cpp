#include "plugins/arch/x86/page_walk.h"
#include "dbt/base/log.h"
#include "dbt/plugin/arch_services.h"
#include "plugins/arch/x86/exceptions.h"

namespace keel::x86 {
namespace {

constexpr u64 P = 1 << 0, RW = 1 << 1, US = 1 << 2, A = 1 << 5, D = 1 << 6, PS = 1 << 7, G = 1 << 8;
constexpr u64 XD = 1ull << 63;
constexpr u64 address_bits = ((1ull << max_physical_address_bits) - 1) & ~0xFFFull;
// Bits 51..MAXPHYADDR of every entry are reserved (§4.5.4, table 4-20 and following).
constexpr u64 reserved_high = ((1ull << 52) - 1) & ~((1ull << max_physical_address_bits) - 1);

} // namespace

namespace {

// The three paging forms (Intel SDM vol. 3 §4.3-§4.5), walked by one loop: how many levels,
// how wide an entry is, how many address bits index each table.
struct PagingForm {
    unsigned levels;      // 4: IA-32e (4-level), 3: PAE (PDPTE, PD, PT), 2: 32-bit (PD, PT)
    unsigned entry_bytes; // 8, or 4 for 32-bit paging
    unsigned index_bits;  // 9, or 10 for 32-bit paging
};
constexpr PagingForm four_level { 4, 8, 9 }, pae { 3, 8, 9 }, paging32 { 2, 4, 10 }; // pae's top level is the PDPTE registers

// A PDPTE's bits 1-2 and 5-8 are reserved, as is XD (§4.4.1, table 4-8).
constexpr u64 pdpte_reserved = (RW | US | A | D | PS | G | XD) | reserved_high;

} // namespace

bool load_pdptes(CpuContext& ctx, u64 cr3)
{
    CpuState& s = state(ctx);
    u64 table = cr3 & 0xFFFFFFE0ull;
    u64 entries[4];
    for (unsigned i = 0; i < 4; ++i) {
        entries[i] = ctx.services->read_physical(table + 8 * i, 8);
        if ((entries[i] & P) && (entries[i] & pdpte_reserved))
            return raise_fault(ctx, vector::GP, 0); // §4.4.1: a reserved bit set faults the load
    }
    for (unsigned i = 0; i < 4; ++i)
        s.pdpte[i] = entries[i];
    return true;
}

bool translate_address(CpuContext& ctx, u64 vaddr, Access access, u32 mmu_index, u32 flags, Translation& out)
{
    CpuState& s = state(ctx);
    bool probe = flags & access_flag::probe;
    bool user = mmu_index == 1;
    bool write = access == Access::Write;
    bool fetch = access == Access::Execute;

    if (!(s.cr0 & cr0::PG)) {
        u64 linear = (s.efer & efer::LMA) ? vaddr : vaddr & 0xFFFFFFFFull;
        out = Translation { linear & guest_page_mask & a20_mask(s), true, true };
        return true;
    }
    bool long_mode = s.efer & efer::LMA;
    PagingForm form = long_mode ? four_level : (s.cr4 & cr4::PAE) ? pae : paging32;
    if (!long_mode)
        vaddr &= 0xFFFFFFFFull; // linear addresses are 32 bits outside IA-32e mode
    else if (!is_canonical(vaddr)) {
        // Not a page fault: a general-protection (or stack) fault (§3.3.7.1).
        if (!probe)
            raise_fault(ctx, (flags & access_flag::stack) ? vector::SS : vector::GP, 0);
        return false;
    }

    // XD exists with 64-bit entries and EFER.NXE; 32-bit paging has neither.
    bool nxe = (s.efer & efer::NXE) && form.entry_bytes == 8;
    u64 reserved = form.entry_bytes == 8 ? reserved_high | (nxe ? 0 : XD) : 0;
    u32 fetch_bit = (fetch && nxe) ? pf_error::fetch : 0;
    u32 base_error = (write ? pf_error::write : 0) | (user ? pf_error::user : 0) | fetch_bit;
    ArchServices& memory = *ctx.services;
    bool large_pages = form.entry_bytes == 8 || (s.cr4 & cr4::PSE); // 32-bit paging: PSE

    u64 entries[4];
    u64 entry_addresses[4];
    unsigned levels = 0;
    unsigned first_walked = 0; // PAE's PDPTE comes from the registers MOV CR3 loaded
    u64 table = s.cr3 & address_bits;
    bool all_user = true, all_writable = true, no_execute = false;
    u64 page_base = 0, page_offset_mask = 0xFFF;
    for (int level = static_cast<int>(form.levels) - 1; level >= 0; --level) {
        unsigned shift = 12 + form.index_bits * level;
        u64 e;
        if (form.levels == 3 && level == 2) {
            e = s.pdpte[(vaddr >> 30) & 3];
            entries[levels] = e;
            entry_addresses[levels++] = 0;
            first_walked = 1;
            if (!(e & P)) {
                if (!probe)
                    raise_page_fault(ctx, vaddr, base_error);
                return false;
            }
            table = e & address_bits; // a PDPTE carries no rights (§4.6.1 counts only PDE and PTE)
            continue;
        }
        u64 entry_address = table + ((vaddr >> shift) & ((1u << form.index_bits) - 1)) * form.entry_bytes;
        e = memory.read_physical(entry_address, form.entry_bytes);
        entries[levels] = e;
        entry_addresses[levels++] = entry_address;
        if (!(e & P)) {
            if (!probe)
                raise_page_fault(ctx, vaddr, base_error);
            return false;
        }
        // Large pages: 1 GiB and 2 MiB with 64-bit entries below the PML4, 4 MiB at the
        // 32-bit PD with CR4.PSE (keel offers no PSE-36: bits 21:13 are reserved there).
        bool large = large_pages && (e & PS) && level >= 1 && (form.levels == 4 ? level <= 2 : level == 1);
        u64 level_reserved = reserved;
        if (form.levels == 4 && level == 3 && (e & PS))
            level_reserved |= PS; // PML4 entries have no page-size bit
        if (large)
            level_reserved |= form.entry_bytes == 4 ? 0x3FE000ull : (level == 2 ? 0x3FFFE000ull : 0x1FE000ull);
        if (e & level_reserved) {
            if (!probe)
                raise_page_fault(ctx, vaddr, base_error | pf_error::present | pf_error::reserved);
            return false;
        }
        all_user &= (e & US) != 0;
        all_writable &= (e & RW) != 0;
        no_execute |= nxe && (e & XD);
        if (level == 0 || large) {
            page_offset_mask = (1ull << shift) - 1;
            out.page_bits = static_cast<u8>(shift);
            page_base = e & address_bits & ~page_offset_mask;
            break;
        }
        table = e & address_bits;
    }

    // Access rights (§4.6.1). No SMEP/SMAP: CPUID does not offer them.
    bool supervisor_write_ok = all_writable || !(s.cr0 & cr0::WP);
    bool can_write = user ? (all_user && all_writable) : supervisor_write_ok;
    bool can_read = !user || all_user;
    bool can_fetch = can_read && !no_execute;
    bool allowed = write ? can_write : fetch ? can_fetch : can_read;
    if (!allowed) {
        if (!probe)
            raise_page_fault(ctx, vaddr, base_error | pf_error::present);
        return false;
    }

    u64& leaf = entries[levels - 1];
    if (!probe) {
        // Accessed on every entry used, dirty on the leaf for writes (§4.8).
        for (unsigned i = first_walked; i < levels; ++i) {
            u64 update = entries[i] | A;
            if (i == levels - 1 && write)
                update |= D;
            if (update != entries[i]) {
                // Through the code-page tracking: the entry may share a page with code.
                memory.write_physical(entry_addresses[i], update, form.entry_bytes);
                entries[i] = update;
            }
        }
    }
    out.physical_page = (page_base | (vaddr & page_offset_mask)) & guest_page_mask & a20_mask(s);
    out.writable = can_write && (leaf & D);
    out.executable = can_fetch;
    // Global: the leaf's G bit while CR4.PGE is set (§4.10.2.4); MOV CR3 keeps it.
    out.global = (leaf & G) && (s.cr4 & cr4::PGE);
    return true;
}

} // namespace keel::x86
