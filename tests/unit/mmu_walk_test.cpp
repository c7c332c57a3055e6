// The softMMU with the x86 4-level page walk (Intel SDM vol. 3 ch. 4): hand-built page
// tables in guest RAM, accesses through Mmu::read/write/translate_code at CPL 0 (MMU
// index 0) and CPL 3 (index 1). Checks translations for 4 KiB, 2 MiB and 1 GiB pages,
// accessed/dirty bits (§4.8), #PF error codes and CR2 (§4.7), access rights (§4.6),
// reserved bits (§4.5), non-canonical addresses (§3.3.7.1), and TLB behaviour (§4.10.4).
// Part of ctest unit.mmu.
#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include "guest_machine.h"
#include "page_tables.h"
#include "plugins/arch/x86/exceptions.h"
#include "plugins/arch/x86/mode.h"

using namespace keel;
using keel::unit::GuestMachine;
using keel::unit::PageTables;
using namespace keel::unit::pte;

namespace {

struct Fixture {
    GuestMachine m;
    PageTables pt;
    Fixture() : m(), pt((m.load(0x10000, { 0xF4 }), m)) { m.ctx().hot.pc = 0x10000; }

    bool read(u64 va, u64& v, unsigned size = 8, u32 mmu_index = 0, u32 flags = 0)
    {
        return m.engine().mmu().read(m.ctx(), va, size, mmu_index, v, flags);
    }
    bool write(u64 va, u64 v, unsigned size = 8, u32 mmu_index = 0, u32 flags = 0)
    {
        return m.engine().mmu().write(m.ctx(), va, v, size, mmu_index, flags);
    }
    bool fetch(u64 va, u32 mmu_index = 0)
    {
        u64 physical;
        return m.engine().mmu().translate_code(m.ctx(), va, mmu_index, physical);
    }
    // The pending exception (and clears it).
    x86::PendingEvent take_event()
    {
        x86::PendingEvent e = m.cpu().event;
        m.cpu().event.kind = x86::PendingEvent::Kind::None;
        return e;
    }
    // Asserts a #PF with `error` at `va`.
    void require_page_fault(u64 va, u32 error)
    {
        x86::PendingEvent e = take_event();
        INFO("vector " << +e.vector << " error 0x" << std::hex << e.error_code << " cr2 0x" << m.cpu().cr2);
        REQUIRE(e.kind == x86::PendingEvent::Kind::Fault);
        CHECK(e.vector == x86::vector::PF);
        CHECK(e.has_error_code);
        CHECK(e.error_code == error);
        CHECK(m.cpu().cr2 == va);
        CHECK(e.return_rip == 0x10000); // a fault reports the faulting instruction
    }
};

} // namespace

TEST_CASE("page walk: a 4 KiB page translates; A on every level, D only on write (SDM §4.8)", "[mmu]")
{
    Fixture f;
    u64 leaf = f.pt.map(0x7F0000400000ull, 0x300000, P | RW);
    f.m.engine().memory().write(0x300123, 0x1122334455667788ull, 8);
    u64 v = 0;
    REQUIRE(f.read(0x7F0000400123ull, v));
    CHECK(v == 0x1122334455667788ull);
    REQUIRE(f.read(0x7F0000400125ull, v, 2));
    CHECK(v == 0x5566);
    for (u64 address : f.pt.walk_entries(0x7F0000400000ull)) {
        INFO("entry at 0x" << std::hex << address);
        CHECK((f.pt.entry(address) & A) == A);
        CHECK((f.pt.entry(address) & D) == 0);
    }
    REQUIRE(f.write(0x7F0000400200ull, 0xCAFE, 2));
    CHECK(f.m.read(0x300200, 2) == 0xCAFE);
    CHECK((f.pt.entry(leaf) & D) == D);
    for (u64 address : f.pt.walk_entries(0x7F0000400000ull)) {
        if (address != leaf)
            CHECK((f.pt.entry(address) & D) == 0); // D exists only in the entry that maps the page
    }
    CHECK(f.m.cpu().event.kind == x86::PendingEvent::Kind::None);
}

TEST_CASE("page walk: 2 MiB and 1 GiB pages", "[mmu]")
{
    Fixture f;
    u64 pde = f.pt.map(0x40000000ull + 0x600000, 0x800000, P | RW, 1);   // 2 MiB at 8 MiB
    u64 pdpte = f.pt.map(0x8000000000ull, 0, P | RW, 2);                   // 1 GiB at 0
    f.m.engine().memory().write(0x800000 + 0x12345, 0xAB, 1);
    f.m.engine().memory().write(0x654321, 0xCD, 1);
    u64 v = 0;
    REQUIRE(f.read(0x40000000ull + 0x612345, v, 1));
    CHECK(v == 0xAB);
    REQUIRE(f.read(0x8000000000ull + 0x654321, v, 1));
    CHECK(v == 0xCD);
    CHECK((f.pt.entry(pde) & (A | D)) == A);
    CHECK((f.pt.entry(pdpte) & (A | D)) == A);
    REQUIRE(f.write(0x8000000000ull + 0x654000, 7, 1));
    CHECK((f.pt.entry(pdpte) & D) == D);
    CHECK(f.m.read(0x654000, 1) == 7);
    for (u64 address : f.pt.walk_entries(0x40000000ull + 0x600000, 1))
        CHECK((f.pt.entry(address) & A) == A);
}

TEST_CASE("page walk: #PF error codes and CR2 (SDM §4.7)", "[mmu]")
{
    Fixture f;
    // Error code bits (SDM §4.7): P, W/R, U/S, RSVD, I/D.
    constexpr u32 present = x86::pf_error::present, wr = x86::pf_error::write, user = x86::pf_error::user,
                  reserved = x86::pf_error::reserved, fetch = x86::pf_error::fetch;
    u64 v;
    SECTION("not present: P = 0, W/U as the access")
    {
        CHECK_FALSE(f.read(0x500000, v));
        f.require_page_fault(0x500000, 0);
        CHECK_FALSE(f.write(0x500008, 1));
        f.require_page_fault(0x500008, wr);
        CHECK_FALSE(f.read(0x500010, v, 4, 1));
        f.require_page_fault(0x500010, user);
        CHECK_FALSE(f.write(0x500018, 1, 1, 1));
        f.require_page_fault(0x500018, user | wr);
        // An instruction fetch with EFER.NXE = 1 (the entry state) sets I/D.
        CHECK_FALSE(f.fetch(0x500020));
        f.require_page_fault(0x500020, fetch);
    }
    SECTION("a page-crossing access faults on the page that is missing, writing nothing")
    {
        f.pt.map(0x600000, 0x300000, P | RW);
        f.pt.map(0x601000, 0x301000, P);
        CHECK_FALSE(f.read(0x602FFC, v, 8));
        f.require_page_fault(0x602FFC, 0); // the first page is missing
        CHECK_FALSE(f.write(0x600FFE, 0xFFFFFFFF, 4));
        x86::PendingEvent e = f.take_event();
        CHECK(e.vector == x86::vector::PF);
        CHECK(e.error_code == (present | wr)); // the second page is read-only
        CHECK(f.m.read(0x300FFE, 2) == 0);     // and the first got nothing
    }
    SECTION("write to a read-only page: faults at CPL 3 and with CR0.WP = 1, not with WP = 0")
    {
        f.pt.map(0x600000, 0x300000, P | US);
        REQUIRE(f.read(0x600000, v));
        CHECK_FALSE(f.write(0x600000, 1));
        f.require_page_fault(0x600000, present | wr);
        CHECK_FALSE(f.write(0x600000, 1, 8, 1));
        f.require_page_fault(0x600000, present | wr | user);
        f.m.cpu().cr0 &= ~x86::cr0::WP;
        f.m.engine().flush_tlb();
        CHECK(f.write(0x600000, 0x99, 1)); // supervisor, WP = 0
        CHECK(f.m.read(0x300000, 1) == 0x99);
        CHECK_FALSE(f.write(0x600000, 1, 1, 1)); // user: still read-only
        f.require_page_fault(0x600000, present | wr | user);
    }
    SECTION("user access to a supervisor page, through any level")
    {
        f.pt.map(0x600000, 0x300000, P | RW); // leaf without US
        CHECK(f.read(0x600000, v));             // supervisor: fine
        CHECK_FALSE(f.read(0x600000, v, 8, 1));
        f.require_page_fault(0x600000, present | user);
        u64 leaf = f.pt.map(0x800000, 0x300000, P | RW | US);
        u64 pde = f.pt.walk_entries(0x800000)[2];
        f.pt.set_entry(pde, f.pt.entry(pde) & ~US); // a supervisor-only directory
        (void)leaf;
        CHECK_FALSE(f.write(0x800010, 1, 8, 1));
        f.require_page_fault(0x800010, present | user | wr);
    }
    SECTION("no-execute: fetch faults with I/D when EFER.NXE = 1; reads do not")
    {
        f.pt.map(0x600000, 0x300000, P | RW | XD);
        CHECK(f.read(0x600000, v));
        CHECK_FALSE(f.fetch(0x600010));
        f.require_page_fault(0x600010, present | fetch);
        // With NXE = 0, bit 63 is reserved: any access faults with RSVD (and no I/D).
        f.m.cpu().efer &= ~x86::efer::NXE;
        f.m.engine().flush_tlb();
        CHECK_FALSE(f.read(0x600000, v));
        f.require_page_fault(0x600000, present | reserved);
        CHECK_FALSE(f.fetch(0x600000));
        f.require_page_fault(0x600000, present | reserved);
    }
    SECTION("reserved bits: above MAXPHYADDR, PS in a PML4E, low address bits of a large page")
    {
        u64 leaf = f.pt.map(0x600000, 0x300000, P | RW);
        f.pt.set_entry(leaf, f.pt.entry(leaf) | (1ull << 51));
        CHECK_FALSE(f.read(0x600000, v));
        f.require_page_fault(0x600000, present | reserved);

        u64 pde = f.pt.map(0x40000000, 0x800000 | 0x2000, P | RW, 1); // bit 13 of a 2 MiB PDE
        (void)pde;
        CHECK_FALSE(f.write(0x40000000, 1));
        f.require_page_fault(0x40000000, present | reserved | wr);

        u64 pml4e = f.pt.walk_entries(0x600000)[0];
        f.pt.set_entry(pml4e, f.pt.entry(pml4e) | PS);
        f.m.engine().flush_tlb();
        CHECK_FALSE(f.read(0x600000, v, 1, 1));
        f.require_page_fault(0x600000, present | reserved | user);
    }
}

TEST_CASE("page walk: non-canonical addresses raise #GP(0), or #SS(0) for stack accesses", "[mmu]")
{
    Fixture f;
    u64 v;
    u64 cr2 = f.m.cpu().cr2;
    CHECK_FALSE(f.read(0x0000800000000000ull, v));
    x86::PendingEvent e = f.take_event();
    CHECK(e.kind == x86::PendingEvent::Kind::Fault);
    CHECK(e.vector == x86::vector::GP);
    CHECK(e.has_error_code);
    CHECK(e.error_code == 0);
    CHECK_FALSE(f.write(0xFFFF7FFFFFFFFFF8ull, 1, 8, 0, access_flag::stack));
    e = f.take_event();
    CHECK(e.vector == x86::vector::SS);
    CHECK(e.error_code == 0);
    CHECK(f.m.cpu().cr2 == cr2); // not a page fault
    // The highest canonical addresses are fine (they just are not mapped here).
    CHECK_FALSE(f.read(0xFFFF800000000000ull, v));
    CHECK(f.take_event().vector == x86::vector::PF);
}

TEST_CASE("TLB: a changed PTE is not seen until INVLPG or a CR3 reload (SDM §4.10.4)", "[mmu]")
{
    Fixture f;
    f.m.engine().memory().write(0x300000, 0x1111, 8);
    f.m.engine().memory().write(0x301000, 0x2222, 8);
    f.m.engine().memory().write(0x302000, 0x3333, 8);
    u64 leaf = f.pt.map(0x600000, 0x300000, P | RW);
    u64 other = f.pt.map(0x700000, 0x300000, P | RW);
    u64 v = 0;
    REQUIRE(f.read(0x600000, v));
    CHECK(v == 0x1111);
    REQUIRE(f.read(0x700000, v));

    f.pt.set_entry(leaf, 0x301000 | P | RW);
    f.pt.set_entry(other, 0x302000 | P | RW);
    REQUIRE(f.read(0x600000, v));
    CHECK(v == 0x1111); // the cached translation
    f.m.engine().flush_tlb_page(0x600FFF); // INVLPG of any address in the page
    REQUIRE(f.read(0x600000, v));
    CHECK(v == 0x2222);
    REQUIRE(f.read(0x700000, v));
    CHECK(v == 0x1111); // INVLPG affects only its page
    f.m.engine().flush_tlb(); // MOV CR3
    REQUIRE(f.read(0x700000, v));
    CHECK(v == 0x3333);

    // Removing a mapping: reads keep working until the flush, then fault.
    REQUIRE(f.read(0x600000, v));
    f.pt.set_entry(leaf, 0);
    CHECK(f.read(0x600000, v));
    CHECK(v == 0x2222);
    f.m.engine().flush_tlb_page(0x600000);
    CHECK_FALSE(f.read(0x600000, v));
    f.require_page_fault(0x600000, 0);
}

TEST_CASE("TLB: user and supervisor translations are kept apart", "[mmu]")
{
    Fixture f;
    f.pt.map(0x600000, 0x300000, P | RW); // supervisor only
    u64 v;
    REQUIRE(f.read(0x600000, v, 8, 0)); // fills the supervisor entry
    CHECK_FALSE(f.read(0x600000, v, 8, 1));
    f.require_page_fault(0x600000, x86::pf_error::present | x86::pf_error::user);
}

TEST_CASE("guest code: a #PF leaves registers and flags as they were before the instruction", "[mmu]")
{
    // mov ecx, 0x1111 / xor eax, eax / mov rdx, 0x100000000 / mov rbx, [rdx] (faults:
    // only the low 4 GiB are mapped) / mov ecx, 0x2222 / add eax, 1 / hlt.
    // Faults are precise (Intel SDM vol. 3 §6.5): RCX and the XOR's flags must be seen by
    // the handler even though later instructions of the block overwrite them.
    GuestMachine m;
    m.load(0x10000, { 0xB9, 0x11, 0x11, 0x00, 0x00, 0x31, 0xC0, 0x48, 0xBA, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                         0x48, 0x8B, 0x1A, 0xB9, 0x22, 0x22, 0x00, 0x00, 0x83, 0xC0, 0x01, 0xF4 });
    m.gpr(x86::RBX) = 0x5555;
    m.gpr(x86::RAX) = 0x7777;
    RunResult r = m.run_to_halt();
    REQUIRE(r.kind == RunResult::Kind::GuestException);
    const x86::PendingEvent& e = m.cpu().event;
    CHECK(e.vector == x86::vector::PF);
    CHECK(e.error_code == 0);
    CHECK(e.return_rip == 0x10011);
    CHECK(m.ctx().hot.pc == 0x10011);
    CHECK(m.cpu().cr2 == 0x100000000ull);
    CHECK(m.gpr(x86::RCX) == 0x1111);
    CHECK(m.gpr(x86::RBX) == 0x5555);
    CHECK(m.gpr(x86::RAX) == 0);
    CHECK(m.gpr(x86::RDX) == 0x100000000ull);
    CHECK((x86::read_rflags(m.ctx()) & 0x8D5) == 0x44); // ZF PF from the XOR
}

// CR2 for an access that crosses into a missing page. The host CPU (a SIGSEGV's si_addr
// for an 8-byte read 4 bytes before a PROT_NONE page), QEMU (cputlb.c, mmu_lookup) and
// Bochs fault at the first byte the access touches in that page, the page boundary; keel
// translates the access's last byte (dbt/mmu/mmu.cpp, Mmu::read and Mmu::write_impl pass
// `last` = vaddr + size - 1 to entry_for()), so CR2 = 0x601003 for an 8-byte read at
// 0x600FFC. The page is right; a handler comparing CR2 with the faulting operand's
// address is not.
TEST_CASE("page walk: a page-crossing access reports the page boundary in CR2", "[mmu]")
{
    Fixture f;
    f.pt.map(0x600000, 0x300000, P | RW);
    u64 v;
    CHECK_FALSE(f.read(0x600FFC, v, 8));
    f.require_page_fault(0x601000, 0);
    CHECK_FALSE(f.write(0x600FFE, 0xFFFF, 4));
    f.require_page_fault(0x601000, x86::pf_error::write);
}

// INVLPG takes any address in a page (SDM vol. 2 INVLPG; vol. 3 §4.10.4.1): for a 2 MiB
// page, an address in a different 4 KiB part of it than the one used must still drop every
// TLB entry the large page filled (keel's TLB holds 4 KiB entries).
TEST_CASE("TLB: INVLPG of any address inside a 2 MiB page drops the whole page", "[mmu]")
{
    Fixture f;
    f.m.engine().memory().write(0x800000 + 0x1000, 0x11, 1);
    f.m.engine().memory().write(0xA00000 + 0x1000, 0x22, 1);
    u64 pde = f.pt.map(0x40000000ull, 0x800000, P | RW, 1);
    u64 v = 0;
    REQUIRE(f.read(0x40001000ull, v, 1));
    CHECK(v == 0x11);
    f.pt.set_entry(pde, 0xA00000 | P | RW | PS);
    f.m.engine().flush_tlb_page(0x401FF000ull); // the large page's last 4 KiB
    REQUIRE(f.read(0x40001000ull, v, 1));
    CHECK(v == 0x22);
}

// INVLPG inside a 2 MiB page drops the entries of that 2 MiB region only: the soft TLB's
// entries for other large pages (Linux maps its whole kernel with them) stay.
TEST_CASE("TLB: INVLPG inside a 2 MiB page keeps the entries of other 2 MiB regions", "[mmu]")
{
    Fixture f;
    f.m.engine().memory().write(0x800000, 0x11, 1);
    f.m.engine().memory().write(0xA00000, 0x22, 1);
    f.m.engine().memory().write(0xC00000, 0x33, 1);
    u64 first = f.pt.map(0x40000000ull, 0x800000, P | RW, 1);
    u64 second = f.pt.map(0x40200000ull, 0xA00000, P | RW, 1);
    u64 v = 0;
    REQUIRE(f.read(0x40000000ull, v, 1));
    REQUIRE(f.read(0x40200000ull, v, 1));
    f.pt.set_entry(first, 0xC00000 | P | RW | PS);
    f.pt.set_entry(second, 0xC00000 | P | RW | PS);
    f.m.engine().flush_tlb_page(0x40100000ull);
    REQUIRE(f.read(0x40000000ull, v, 1));
    CHECK(v == 0x33); // walked again
    REQUIRE(f.read(0x40200000ull, v, 1));
    CHECK(v == 0x22); // still the cached translation: INVLPG did not touch it
}

// MOV CR3 keeps global translations when CR4.PGE is set (SDM vol. 3 §4.10.2.4, §4.10.4.1);
// without CR4.PGE the G bit means nothing; a full flush (CR4.PGE toggled) drops them too.
TEST_CASE("TLB: MOV CR3 keeps global translations, only with CR4.PGE", "[mmu]")
{
    for (bool pge : { true, false }) {
        INFO("CR4.PGE " << pge);
        Fixture f;
        if (pge)
            f.m.cpu().cr4 |= x86::cr4::PGE;
        f.m.engine().memory().write(0x300000, 0x11, 1);
        f.m.engine().memory().write(0x301000, 0x22, 1);
        f.m.engine().memory().write(0x302000, 0x33, 1);
        u64 global = f.pt.map(0x600000, 0x300000, P | RW | G);
        u64 local = f.pt.map(0x700000, 0x301000, P | RW);
        u64 v = 0;
        REQUIRE(f.read(0x600000, v, 1));
        REQUIRE(f.read(0x700000, v, 1));
        f.pt.set_entry(global, 0x302000 | P | RW | G);
        f.pt.set_entry(local, 0x302000 | P | RW);
        f.m.engine().flush_tlb_non_global(); // MOV CR3
        REQUIRE(f.read(0x700000, v, 1));
        CHECK(v == 0x33);
        REQUIRE(f.read(0x600000, v, 1));
        CHECK(v == (pge ? 0x11 : 0x33));
        f.m.engine().flush_tlb(); // CR4.PGE toggled
        REQUIRE(f.read(0x600000, v, 1));
        CHECK(v == 0x33);
    }
}

// The MMU remembers which entries it filled so that a flush rewrites those only; past what
// it remembers (1024 entries), a flush must still reach every entry. Three 2 MiB pages
// touched in every 4 KiB part fill 1536 entries.
TEST_CASE("TLB: flushes reach every entry after more fills than the MMU remembers", "[mmu]")
{
    for (bool keep_global : { true, false }) {
        INFO((keep_global ? "MOV CR3" : "full flush"));
        Fixture f;
        f.m.cpu().cr4 |= x86::cr4::PGE;
        // Every 4 KiB part of the old pages reads 0x55; the new page (0x600000) reads 0x11 at
        // its start and 0 elsewhere.
        for (u64 pa = 0x800000; pa < 0xE00000; pa += 0x1000)
            f.m.engine().memory().write(pa, 0x55, 1);
        f.m.engine().memory().write(0x600000, 0x11, 1);
        u64 pdes[3];
        for (int i = 0; i < 3; ++i)
            pdes[i] = f.pt.map(0x40000000ull + i * 0x200000ull, 0x800000 + i * 0x200000ull, P | RW, 1);
        u64 v = 0;
        for (u64 va = 0x40000000ull; va < 0x40600000ull; va += 0x1000)
            REQUIRE(f.read(va, v, 1));
        for (u64 pde : pdes)
            f.pt.set_entry(pde, 0x600000 | P | RW | PS);
        if (keep_global)
            f.m.engine().flush_tlb_non_global();
        else
            f.m.engine().flush_tlb();
        for (u64 va = 0x40000000ull; va < 0x40600000ull; va += 0x1000) {
            REQUIRE(f.read(va, v, 1));
            INFO("va 0x" << std::hex << va);
            REQUIRE(v == ((va & 0x1FFFFF) == 0 ? 0x11 : 0));
        }
    }
}

// The accessed/dirty bits the page walk writes are guest-memory writes like any other: a
// page-table entry that shares its bytes with translated code (here the immediate of a
// `mov rax, imm64`) must invalidate that code when the walk sets A in it.
TEST_CASE("page walk: setting A in an entry that lies inside translated code invalidates it", "[mmu][smc]")
{
    Fixture f;
    // Code at 0x203FE: mov rax, imm64 (imm64 at 0x20400..0x20407) / hlt.
    f.pt.map(0x20000, 0x20000, P | RW);
    // Make 0x20000 the page table for 0x600000..0x7FFFFF: the entry for 0x680000 is at
    // 0x20000 + 0x80 * 8 = 0x20400, the mov's immediate.
    f.pt.map(0x680000, 0x300000, P | RW);
    u64 pde = f.pt.walk_entries(0x680000)[2];
    f.pt.set_entry(pde, 0x20000 | P | RW | US);
    const u64 entry = 0x300000 | P | RW; // A clear
    std::vector<u8> code { 0x48, 0xB8 };
    keel::unit::append_le(code, entry, 8);
    code.push_back(0xF4);
    f.m.write(0x203FE, code);
    f.m.engine().flush_tlb();

    f.m.ctx().hot.pc = 0x203FE;
    f.m.require_halted(f.m.run_to_halt());
    CHECK(f.m.gpr(x86::RAX) == entry);
    const u64 invalidated = f.m.engine().blocks().stats().invalidated;

    u64 v = 0;
    REQUIRE(f.read(0x680000, v)); // the walk sets A at 0x20400
    CHECK(f.m.read(0x20400, 8) == (entry | A));
    CHECK(f.m.engine().blocks().stats().invalidated == invalidated + 1);

    f.m.ctx().hot.pc = 0x203FE;
    f.m.require_halted(f.m.run_to_halt());
    CHECK(f.m.gpr(x86::RAX) == (entry | A)); // retranslated, not the stale immediate
}

// An instruction that straddles into a page that cannot be fetched faults there (#PF at
// the instruction, CR2 at the page boundary); once the guest maps the page and returns to
// it, the instruction runs. keel translates such an instruction to a block that raises the
// fetch fault, and that block must not be found again once the page is mapped (QEMU's
// tests/tcg/x86_64/noexec, "fallthrough [cross]", looped forever on it).
TEST_CASE("guest code: an instruction straddling into a missing page faults, then runs once it is mapped", "[mmu]")
{
    Fixture f;
    f.pt.map(0x600000, 0x300000, P | RW);
    u64 second = f.pt.map(0x601000, 0x301000, P | RW);
    // mov ecx, 0x1234 at 0x600FFE (B9 34 | 12 00 00 in the next page) / hlt.
    f.m.write(0x300FFE, { 0xB9, 0x34 });
    f.m.write(0x301000, { 0x12, 0x00, 0x00, 0xF4 });
    f.pt.set_entry(second, 0);
    f.m.engine().flush_tlb();

    // A host-side watchdog: a regression loops in the dispatcher instead of halting.
    std::atomic<bool> done { false };
    std::thread watchdog([&] {
        for (int i = 0; i < 1000 && !done; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (!done)
            f.m.engine().request_stop();
    });
    f.m.ctx().hot.pc = 0x600FFE;
    RunResult r = f.m.run_to_halt();
    CHECK(r.kind == RunResult::Kind::GuestException);
    x86::PendingEvent e = f.take_event();
    CHECK(e.vector == x86::vector::PF);
    CHECK(e.return_rip == 0x600FFE);
    CHECK(f.m.cpu().cr2 == 0x601000);

    f.pt.set_entry(second, 0x301000 | P | RW);
    f.m.ctx().hot.pc = 0x600FFE;
    r = f.m.run_to_halt();
    done = true;
    watchdog.join();
    f.m.require_halted(r);
    CHECK(f.m.gpr(x86::RCX) == 0x1234);
}
