// The translation cache seen from running guests: blocks are translated once and chained,
// guest stores into code pages invalidate exactly the blocks they touch (QEMU's TB
// invalidation, docs/translation-cache.md), self-modifying code runs its new bytes, and a
// full cache is flushed and refilled. BlockCache and PageIndex on their own:
// cache_index_test.cpp.
#include <catch2/catch.hpp>
#include "dbt/backend/x64/backend.h"
#include "guest_machine.h"

using namespace keel;
using keel::unit::GuestMachine;

namespace {

// Hand-assembled guest code (nasm syntax in the comments).
// X: mov eax, 1 / jmp Y          at 0x10000
// Y: mov ebx, 2 / jmp Z          at 0x10100
// Z: mov byte [0x10101], 5 / hlt at 0x10200 (rewrites Y's immediate: `mov ebx, 5`)
void load_xyz(GuestMachine& m)
{
    m.load(0x10000, { 0xB8, 0x01, 0x00, 0x00, 0x00, 0xE9, 0xF6, 0x00, 0x00, 0x00 });
    m.write(0x10100, { 0xBB, 0x02, 0x00, 0x00, 0x00, 0xE9, 0xF6, 0x00, 0x00, 0x00 });
    m.write(0x10200, { 0xC6, 0x04, 0x25, 0x01, 0x01, 0x01, 0x00, 0x05, 0xF4 });
}

} // namespace

TEST_CASE("cache: a loop is translated once, then runs chained", "[cache]")
{
    GuestMachine m;
    // mov ecx, 1000 / xor eax, eax / L: add eax, 3 / dec ecx / jnz L / hlt
    m.load(0x10000, { 0xB9, 0xE8, 0x03, 0x00, 0x00, 0x31, 0xC0, 0x83, 0xC0, 0x03, 0xFF, 0xC9, 0x75, 0xF9, 0xF4 });
    m.require_halted(m.run_to_halt());
    CHECK(m.gpr(x86::RAX) == 3000);
    CHECK(m.gpr(x86::RCX) == 0);

    const EngineStats& es = m.engine().stats();
    const BlockCacheStats& cs = m.engine().blocks().stats();
    INFO("translations " << es.translations << ", dispatches " << es.dispatches << ", chained " << cs.chained);
    // Entry block, loop body, the HLT block: each translated once.
    CHECK(es.translations <= 4);
    CHECK(cs.translated == es.translations);
    CHECK(cs.chained > 0);
    // 1000 iterations, but the loop's back edge is chained: a handful of dispatches.
    CHECK(es.dispatches < 20);
    CHECK(cs.invalidated == 0);
    CHECK(es.guest_instructions_translated >= 6);
}

TEST_CASE("cache: a store into code invalidates exactly the blocks it overlaps", "[cache]")
{
    GuestMachine m;
    load_xyz(m);
    m.require_halted(m.run_to_halt());
    CHECK(m.gpr(x86::RAX) == 1);
    CHECK(m.gpr(x86::RBX) == 2); // Y ran before Z rewrote it
    const BlockCacheStats& cs = m.engine().blocks().stats();
    CHECK(cs.translated == 3);
    CHECK(cs.invalidated == 1); // Y only: X and Z share the page but not the bytes
    CHECK(cs.live_blocks == 2);
    CHECK(m.read(0x10101, 1) == 5);

    // Run again from X: only Y is translated again, and it runs its new immediate.
    m.gpr(x86::RBX) = 0;
    m.ctx().hot.pc = 0x10000;
    m.require_halted(m.run_to_halt());
    CHECK(m.gpr(x86::RBX) == 5);
    CHECK(cs.translated == 4);
    CHECK(m.engine().stats().translations == 4);
}

TEST_CASE("cache: stores to data sharing a page with code invalidate nothing", "[cache]")
{
    GuestMachine m;
    // mov ecx, 200 / L: mov dword [0x10800], ecx / mov [0x10808], rcx / dec ecx / jnz L / hlt
    // The stores land 2 KiB past the loop, in the same 4 KiB page (64-byte chunk
    // granularity, page_index.h).
    m.load(0x10000, { 0xB9, 0xC8, 0x00, 0x00, 0x00,               // mov ecx, 200
                         0x89, 0x0C, 0x25, 0x00, 0x08, 0x01, 0x00,       // L: mov [0x10800], ecx
                         0x48, 0x89, 0x0C, 0x25, 0x08, 0x08, 0x01, 0x00, // mov [0x10808], rcx
                         0xFF, 0xC9, 0x75, 0xED, 0xF4 });               // dec ecx / jnz L / hlt
    m.require_halted(m.run_to_halt());
    CHECK(m.read(0x10800, 4) == 1);
    CHECK(m.read(0x10808, 8) == 1);
    CHECK(m.engine().blocks().stats().invalidated == 0);
    CHECK(m.engine().stats().translations <= 3);
    CHECK(m.engine().blocks().page_has_code(0x10000));
}

TEST_CASE("cache: self-modifying code runs the instruction it just wrote (same block)", "[cache]")
{
    GuestMachine m;
    // mov byte [0x10009], 7 / mov eax, 1 / hlt: the store rewrites the next instruction's
    // immediate, inside the running block. Intel SDM vol. 3 §11.6: the write is seen by
    // the instruction fetch that follows it.
    m.load(0x10000, { 0xC6, 0x04, 0x25, 0x09, 0x00, 0x01, 0x00, 0x07, 0xB8, 0x01, 0x00, 0x00, 0x00, 0xF4 });
    m.require_halted(m.run_to_halt());
    CHECK(m.gpr(x86::RAX) == 7);
    CHECK(m.engine().blocks().stats().invalidated >= 1);
}

TEST_CASE("cache: code written by the guest before it first runs is translated as written", "[cache]")
{
    GuestMachine m;
    // Copy `mov eax, 0x55 / hlt` (B8 55 00 00 00 F4) to 0x10800 with two stores, then jump there.
    // mov dword [0x10800], 0x000055B8 / mov word [0x10804], 0xF400 / jmp 0x10800
    m.load(0x10000, { 0xC7, 0x04, 0x25, 0x00, 0x08, 0x01, 0x00, 0xB8, 0x55, 0x00, 0x00,
                         0x66, 0xC7, 0x04, 0x25, 0x04, 0x08, 0x01, 0x00, 0x00, 0xF4,
                         0xE9, 0xE6, 0x07, 0x00, 0x00 });
    m.require_halted(m.run_to_halt());
    CHECK(m.gpr(x86::RAX) == 0x55);
}

TEST_CASE("cache: a full translation cache is flushed and refilled, and the guest still computes right", "[cache]")
{
    // The smallest cache the backend takes (2 x 64 KiB; a block is only started with
    // 64 KiB free). A chain of 4000 blocks (`add eax, i / add ebx, eax / jmp next`), run
    // three times, needs several times that.
    GuestMachine m(16 * MiB, 128 * KiB);
    constexpr u32 blocks = 4000;
    std::vector<u8> code;
    // entry at 0x1FF00: mov ecx, 3 / xor eax, eax / jmp 0x20000
    std::vector<u8> entry { 0xB9, 0x03, 0x00, 0x00, 0x00, 0x31, 0xC0, 0xE9 };
    unit::append_le(entry, 0x20000 - (0x1FF00 + 12), 4);
    u64 eax = 0, ebx = 0;
    for (u32 i = 0; i < blocks; ++i) {
        code.push_back(0x05); // add eax, imm32
        unit::append_le(code, i + 1, 4);
        code.insert(code.end(), { 0x01, 0xC3 });                   // add ebx, eax
        code.insert(code.end(), { 0xE9, 0x00, 0x00, 0x00, 0x00 }); // jmp to the next instruction: a new block
    }
    for (int pass = 0; pass < 3; ++pass) {
        for (u32 i = 0; i < blocks; ++i) {
            eax = (eax + i + 1) & 0xFFFFFFFF;
            ebx = (ebx + eax) & 0xFFFFFFFF;
        }
    }
    // dec ecx / jnz 0x20000 / hlt
    u64 at = 0x20000 + code.size();
    code.insert(code.end(), { 0xFF, 0xC9, 0x0F, 0x85 });
    unit::append_le(code, static_cast<u32>(0x20000 - (at + 8)), 4);
    code.push_back(0xF4);
    m.load(0x1FF00, entry);
    m.write(0x20000, code);

    m.require_halted(m.run_to_halt());
    CHECK(m.gpr(x86::RAX) == eax);
    CHECK(m.gpr(x86::RBX) == ebx);
    const EngineStats& es = m.engine().stats();
    const BlockCacheStats& cs = m.engine().blocks().stats();
    INFO("translations " << es.translations << ", flushes " << cs.flushes << ", host bytes " << es.host_code_bytes);
    CHECK(cs.flushes >= 2);
    CHECK(es.translations > 3 * blocks / 2); // blocks were translated again after flushes
    CHECK(m.engine().backend().used_bytes() <= m.engine().backend().capacity());
}
