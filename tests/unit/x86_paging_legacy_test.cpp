// 32-bit and PAE paging outside IA-32e mode (Intel SDM vol. 3 §4.3, §4.4), turned on by
// the guest's own MOV CR3/CR4/CR0 in legacy protected mode: 4 MiB and 4 KiB pages with
// 4-byte entries, PAE's PDPTE registers loaded by the CR0 write (a reserved bit there
// faults the write), 2 MiB and 4 KiB pages with 8-byte entries, accessed and dirty bits,
// and a write to a read-only page with CR0.WP.
#include <catch2/catch.hpp>
#include "guest_machine.h"
#include "plugins/arch/x86/exceptions.h"
#include "plugins/arch/x86/mode.h"
#include "plugins/arch/x86/page_walk.h"

namespace keel::unit {
namespace {

using x86::seg_attr::db;
using x86::seg_attr::g;
constexpr u64 code_at = 0x4000;
constexpr u32 P = 1, RW = 2, A = 0x20, D = 0x40, PS = 0x80;

// The entry state at code_at, then legacy protected mode at CPL 0, flat, paging off.
void enter_protected(GuestMachine& m, const std::vector<u8>& code)
{
    m.load(code_at, code);
    x86::CpuState& s = m.cpu();
    s.efer = 0;
    s.cr4 = 0;
    s.cr0 = x86::cr0::PE | x86::cr0::ET;
    s.segment[x86::CS] = x86::Segment { 0, 0xFFFFFFFF, 0x08, static_cast<u16>(0x9B | db | g) };
    for (x86::SegmentIndex seg : { x86::DS, x86::ES, x86::SS })
        s.segment[seg] = x86::Segment { 0, 0xFFFFFFFF, 0x10, static_cast<u16>(0x93 | db | g) };
    x86::refresh_mode(m.ctx());
    REQUIRE((m.ctx().hot.mode & (x86::mode::protected_mode | x86::mode::long_mode)) == x86::mode::protected_mode);
}

void put(GuestMachine& m, u64 address, u64 value, unsigned bytes)
{
    std::vector<u8> v;
    append_le(v, value, bytes);
    m.write(address, v);
}

// mov eax, imm32; mov cr3, eax; mov eax, cr4; or eax, cr4_bits; mov cr4, eax;
// mov eax, cr0; or eax, PG | WP; mov cr0, eax
std::vector<u8> enable_paging(u32 cr3, u32 cr4_bits)
{
    std::vector<u8> v { 0xB8 };
    append_le(v, cr3, 4);
    for (u8 b : { 0x0F, 0x22, 0xD8, 0x0F, 0x20, 0xE0, 0x0D })
        v.push_back(b);
    append_le(v, cr4_bits, 4);
    for (u8 b : { 0x0F, 0x22, 0xE0, 0x0F, 0x20, 0xC0, 0x0D })
        v.push_back(b);
    append_le(v, 0x80010000, 4);
    for (u8 b : { 0x0F, 0x22, 0xC0 })
        v.push_back(b);
    return v;
}

const std::vector<u8> load_ebx_0x400000 { 0x8B, 0x1D, 0x00, 0x00, 0x40, 0x00 };
const std::vector<u8> store_0x400004 { 0xC7, 0x05, 0x04, 0x00, 0x40, 0x00, 0x44, 0x33, 0x22, 0x11 };
const std::vector<u8> store_0x401000 { 0xC7, 0x05, 0x00, 0x10, 0x40, 0x00, 0x01, 0x00, 0x00, 0x00 };

} // namespace

TEST_CASE("x86 32-bit paging: 4 MiB and 4 KiB pages, A/D bits, a read-only page with WP", "[x86][paging32]")
{
    GuestMachine m;
    enter_protected(m, concat({ enable_paging(0x10000, 0x10 /* PSE */), load_ebx_0x400000, store_0x400004, store_0x401000, { 0xF4 } }));
    put(m, 0x10000, 0 | PS | RW | P, 4);              // PDE 0: 0-4 MiB, a 4 MiB page (the code)
    put(m, 0x10004, 0x11000 | RW | P, 4);             // PDE 1: 4-8 MiB through a page table
    put(m, 0x11000, 0x200000 | RW | P, 4);            // 0x400000 -> 0x200000, writable
    put(m, 0x11004, 0x201000 | P, 4);                 // 0x401000 -> 0x201000, read-only
    put(m, 0x200000, 0xCAFEF00D, 4);

    RunResult r = m.run_to_halt(); // stops at the fault of the last store
    INFO(r.message);
    REQUIRE(r.kind == RunResult::Kind::GuestException);
    CHECK(m.gpr(x86::RBX) == 0xCAFEF00D);
    CHECK(m.read(0x200004, 4) == 0x11223344);
    CHECK(m.read(0x11000, 4) == (0x200000u | RW | P | A | D));
    CHECK(m.read(0x10004, 4) == (0x11000u | RW | P | A));
    CHECK(m.cpu().event.vector == x86::vector::PF);
    CHECK(m.cpu().event.error_code == (x86::pf_error::present | x86::pf_error::write));
    CHECK(m.cpu().cr2 == 0x401000);
    CHECK(m.read(0x201000, 4) == 0); // nothing written
}

TEST_CASE("x86 PAE paging: PDPTEs loaded by the CR0 write, 2 MiB and 4 KiB pages", "[x86][pae]")
{
    GuestMachine m;
    enter_protected(m, concat({ enable_paging(0x10000, 0x20 /* PAE */), load_ebx_0x400000, store_0x400004, { 0xF4 } }));
    put(m, 0x10000, 0x11000 | P, 8);                  // PDPTE 0: the first GiB
    put(m, 0x11000, 0 | PS | RW | P, 8);              // PDE 0: 0-2 MiB, a 2 MiB page (the code)
    put(m, 0x11010, 0x12000 | RW | P, 8);             // PDE 2: 4-6 MiB through a page table
    put(m, 0x12000, 0x300000 | RW | P, 8);            // 0x400000 -> 0x300000
    put(m, 0x300000, 0x600DBEEF, 4);

    m.require_halted(m.run_to_halt());
    CHECK(m.gpr(x86::RBX) == 0x600DBEEF);
    CHECK(m.read(0x300004, 4) == 0x11223344);
    CHECK(m.read(0x12000, 8) == (0x300000u | RW | P | A | D));
    CHECK(m.read(0x10000, 8) == (0x11000u | P)); // PDPTEs are loaded, not walked: no A bit
    CHECK(m.cpu().pdpte[0] == (0x11000u | P));

    // A write to the PDPT after the load changes nothing until CR3 is loaded again.
    put(m, 0x10000, 0, 8);
    m.cpu().event.kind = x86::PendingEvent::Kind::None;
    Translation t;
    REQUIRE(x86::translate_address(m.ctx(), 0x400000, Access::Read, 0, access_flag::probe, t));
    CHECK(t.physical_page == 0x300000);
}

TEST_CASE("x86 PAE paging: a PDPTE with a reserved bit set faults the CR0 write that loads it", "[x86][pae]")
{
    GuestMachine m;
    enter_protected(m, concat({ enable_paging(0x10000, 0x20), { 0xF4 } }));
    put(m, 0x10000, 0x11000 | RW | P, 8); // RW is reserved in a PDPTE (§4.4.1)
    RunResult r = m.run_to_halt();
    REQUIRE(r.kind == RunResult::Kind::GuestException);
    CHECK(m.cpu().event.vector == x86::vector::GP);
    CHECK(m.cpu().event.error_code == 0);
    CHECK_FALSE(m.cpu().cr0 & x86::cr0::PG);
}

} // namespace keel::unit
