// Backend paths that only whole guest programs reach: guest CALL/RET through the host's
// call/ret (predicted returns, docs/backend.md) with deep recursion, edited return
// addresses, code rewritten behind a call, returns that skip frames; and precise state
// at a #DE raised from a division's cold path. Part of ctest unit.backend.
#include <catch2/catch.hpp>
#include <random>
#include <cstring>
#include "guest_machine.h"
#include "plugins/arch/x86/mode.h"

using namespace keel;
using keel::unit::GuestMachine;

TEST_CASE("backend: guest calls and returns, predicted or not", "[backend][calls]")
{
    GuestMachine m;
    // 0x10000: mov edi, 3000 / call sum / mov rbx, rax      ; 3000 nested calls (> the 1024 predicted)
    //          call skip / mov ecx, 0x77 / mov edx, 0x99    ; skip: add qword [rsp], 5 / ret
    //          call patch                                    ; patch: mov byte [after+1], 8 / ret
    // after:   mov esi, 1                                    ; runs as mov esi, 8
    //          call manual                                   ; manual: pop r8 / add r9, 1 / jmp r8
    //          call outer / hlt                              ; outer: mov r10, rsp / call inner / ret
    //                                                        ; inner: mov rsp, r10 / add r11, 1 / ret
    // sum: test rdi, rdi / jz .zero / push rdi / dec rdi / call sum / pop rdi / add rax, rdi / ret
    // .zero: xor eax, eax / ret
    m.load(0x10000, { 0xBF, 0xB8, 0x0B, 0x00, 0x00, 0xE8, 0x27, 0x00, 0x00, 0x00, 0x48, 0x89, 0xC3, 0xE8, 0x35, 0x00, 0x00,
                         0x00, 0xB9, 0x77, 0x00, 0x00, 0x00, 0xBA, 0x99, 0x00, 0x00, 0x00, 0xE8, 0x2C, 0x00, 0x00, 0x00, 0xBE,
                         0x01, 0x00, 0x00, 0x00, 0xE8, 0x2B, 0x00, 0x00, 0x00, 0xE8, 0x2F, 0x00, 0x00, 0x00, 0xF4, 0x48, 0x85,
                         0xFF, 0x74, 0x0E, 0x57, 0x48, 0xFF, 0xCF, 0xE8, 0xF2, 0xFF, 0xFF, 0xFF, 0x5F, 0x48, 0x01, 0xF8, 0xC3,
                         0x31, 0xC0, 0xC3, 0x48, 0x83, 0x04, 0x24, 0x05, 0xC3, 0xC6, 0x04, 0x25, 0x22, 0x00, 0x01, 0x00, 0x08,
                         0xC3, 0x41, 0x58, 0x49, 0x83, 0xC1, 0x01, 0x41, 0xFF, 0xE0, 0x49, 0x89, 0xE2, 0xE8, 0x01, 0x00, 0x00,
                         0x00, 0xC3, 0x4C, 0x89, 0xD4, 0x49, 0x83, 0xC3, 0x01, 0xC3 });
    u64 rsp = m.gpr(x86::RSP);
    m.require_halted(m.run_to_halt());
    CHECK(m.ctx().hot.pc == 0x10031);          // after the HLT
    CHECK(m.gpr(x86::RBX) == 3000ull * 3001 / 2); // every recursive return landed right
    CHECK(m.gpr(x86::RCX) == 0);                  // skipped by the edited return address
    CHECK(m.gpr(x86::RDX) == 0x99);
    CHECK(m.gpr(x86::RSI) == 8);                  // the rewritten instruction after the call
    CHECK(m.gpr(x86::R9) == 1);
    CHECK(m.gpr(x86::R11) == 1);
    CHECK(m.gpr(x86::RSP) == rsp);
}

TEST_CASE("backend: predicted-call frames do not leak between runs or across a cache flush", "[backend][calls]")
{
    // A recursive sum run three times, the last two after flushing every translation:
    // host frames of earlier runs must not be returned into.
    GuestMachine m;
    // mov edi, 100 / call sum / hlt / sum: (as above)
    m.load(0x10000, { 0xBF, 0x64, 0x00, 0x00, 0x00, 0xE8, 0x01, 0x00, 0x00, 0x00, 0xF4, 0x48, 0x85, 0xFF, 0x74, 0x0E, 0x57, 0x48,
                         0xFF, 0xCF, 0xE8, 0xF2, 0xFF, 0xFF, 0xFF, 0x5F, 0x48, 0x01, 0xF8, 0xC3, 0x31, 0xC0, 0xC3 });
    for (int round = 0; round < 3; ++round) {
        m.ctx().hot.pc = 0x10000;
        m.gpr(x86::RSP) = x86::test_entry_area(m.engine().ram_below_4g());
        m.require_halted(m.run_to_halt());
        CHECK(m.gpr(x86::RAX) == 5050);
        m.engine().flush_translations(); // and once more from an empty cache
    }
}

TEST_CASE("backend: a #DE from a division leaves the state of the instruction before it", "[backend]")
{
    // mov ecx, 0x1111 / xor eax, eax / xor ebx, ebx / div ebx (#DE) / mov ecx, 0x2222 /
    // add eax, 1 / hlt. Intel SDM vol. 3 §6.5: faults are precise; RCX and the flags of
    // the XOR are what the handler sees, though the block overwrites both later.
    GuestMachine m;
    m.load(0x10000, { 0xB9, 0x11, 0x11, 0x00, 0x00, 0x31, 0xC0, 0x31, 0xDB, 0xF7, 0xF3, 0xB9, 0x22, 0x22, 0x00, 0x00, 0x83, 0xC0,
                         0x01, 0xF4 });
    m.gpr(x86::RAX) = 0x5555;
    RunResult r = m.run_to_halt();
    REQUIRE(r.kind == RunResult::Kind::GuestException);
    const x86::PendingEvent& e = m.cpu().event;
    CHECK(e.kind == x86::PendingEvent::Kind::Fault);
    CHECK(e.vector == x86::vector::DE);
    CHECK_FALSE(e.has_error_code);
    CHECK(e.return_rip == 0x10009);
    CHECK(m.gpr(x86::RCX) == 0x1111);
    CHECK(m.gpr(x86::RAX) == 0);
    CHECK((x86::read_rflags(m.ctx()) & 0x8D5) == 0x44); // ZF PF
}

TEST_CASE("backend: a result only a fault needs is computed, not just its flags", "[backend]")
{
    // mov eax, 10 / mov ebx, 3 / sub rax, rbx / mov [rdi], ecx (#GP: RDI non-canonical) /
    // mov eax, 1 / hlt. The block overwrites RAX after the store, so the SUB's result is
    // read only by the fault's state and its flags by the block's end: the emitter must not
    // turn it into a CMP (it did, and the handler saw a stale RAX).
    GuestMachine m;
    m.load(0x10000, { 0xB8, 0x0A, 0x00, 0x00, 0x00, 0xBB, 0x03, 0x00, 0x00, 0x00, 0x48, 0x29, 0xD8, 0x89, 0x0F, 0xB8, 0x01, 0x00,
                         0x00, 0x00, 0xF4 });
    m.gpr(x86::RDI) = 0x0000800000000000ull; // the first non-canonical address
    m.gpr(x86::RAX) = 0x5555;
    RunResult r = m.run_to_halt();
    REQUIRE(r.kind == RunResult::Kind::GuestException);
    const x86::PendingEvent& e = m.cpu().event;
    CHECK(e.vector == x86::vector::GP);
    CHECK(e.return_rip == 0x1000D);
    CHECK(m.gpr(x86::RAX) == 7);
    CHECK((x86::read_rflags(m.ctx()) & 0x8D5) == 0); // 10 - 3: no flag of these set
}

TEST_CASE("backend: a 32-bit shift or rotate by a masked count of 0 still zero-extends and keeps the flags", "[backend]")
{
    // mov rax, -1 / xor ecx, ecx / shl eax, cl / mov rbx, -1 / rol ebx, cl / mov rdx, -1 /
    // mov cl, 32 / shr edx, cl / hlt. A 32-bit destination is written (bits 63..32
    // cleared, Intel SDM vol. 1 §3.4.1.1) even when the count masks to 0, which leaves the
    // flags (ZF PF from the XOR) alone. The host CPU gives the same: RAX = RBX = RDX =
    // 0xFFFFFFFF, RFLAGS & 0x8D5 = 0x44. Folding turns CL into a constant 0 here, which
    // takes the backend's immediate-count path.
    GuestMachine m;
    m.load(0x10000, { 0x48, 0xC7, 0xC0, 0xFF, 0xFF, 0xFF, 0xFF, 0x31, 0xC9, 0xD3, 0xE0, 0x48, 0xC7, 0xC3, 0xFF, 0xFF, 0xFF, 0xFF,
                         0xD3, 0xC3, 0x48, 0xC7, 0xC2, 0xFF, 0xFF, 0xFF, 0xFF, 0xB1, 0x20, 0xD3, 0xEA, 0xF4 });
    m.require_halted(m.run_to_halt());
    CHECK(m.gpr(x86::RAX) == 0xFFFFFFFFull);
    CHECK(m.gpr(x86::RBX) == 0xFFFFFFFFull);
    CHECK(m.gpr(x86::RDX) == 0xFFFFFFFFull);
    CHECK((x86::read_rflags(m.ctx()) & 0x8D5) == 0x44);
}

TEST_CASE("backend: flags only a fault needs are recomputed by the cold path", "[backend][flags]")
{
    // OP / mov rdx, [rsi] (#GP: RSI is not canonical) / xor ecx, ecx / hlt. The XOR
    // overwrites the flags, so OP's flags matter only if the load faults: the hot path
    // skips capturing them and the cold path recomputes them from OP's operands
    // (docs/backend.md). They must equal what the same OP leaves when its flags are read
    // at once (OP / pushfq / pop rdi / hlt), in the flags the SDM defines for it.
    struct Case {
        const char* name;
        std::vector<u8> op;
        u64 defined; // RFLAGS bits the SDM defines after OP
    };
    constexpr u64 all = 0x8D5; // OF SF ZF AF PF CF
    const Case cases[] = {
        {"add rax, rbx", {0x48, 0x01, 0xD8}, all},
        {"sub rax, rbx", {0x48, 0x29, 0xD8}, all},
        {"cmp rax, rbx", {0x48, 0x39, 0xD8}, all},
        {"cmp eax, 0x80000000", {0x3D, 0x00, 0x00, 0x00, 0x80}, all},
        {"add eax, 0x7fffffff", {0x05, 0xFF, 0xFF, 0xFF, 0x7F}, all},
        {"sub al, bl", {0x28, 0xD8}, all},
        {"add ax, bx", {0x66, 0x01, 0xD8}, all},
        {"and rax, rbx", {0x48, 0x21, 0xD8}, 0x8C5},
        {"test rax, rbx", {0x48, 0x85, 0xD8}, 0x8C5},
        {"or eax, ebx", {0x09, 0xD8}, 0x8C5},
        {"xor rax, rbx", {0x48, 0x31, 0xD8}, 0x8C5},
        {"imul rax, rbx", {0x48, 0x0F, 0xAF, 0xC3}, 0x801},
        {"imul eax, ebx, 0x12345", {0x69, 0xC3, 0x45, 0x23, 0x01, 0x00}, 0x801},
        {"shl rax, 3", {0x48, 0xC1, 0xE0, 0x03}, 0xC5},
        {"shr eax, 1", {0xD1, 0xE8}, 0x8C5},
        {"sar rax, 63", {0x48, 0xC1, 0xF8, 0x3F}, 0xC5},
    };
    const u64 inputs[][2] = {
        {0x7FFFFFFFFFFFFFFFull, 1}, {0x80000000ull, 0x80000000ull}, {0xFFull, 0x01ull}, {0x123456789ABCDEF0ull, 0xFEDCBA9876543210ull}, {0, 0},
    };
    const u64 non_canonical = 0x8000000000000000ull;
    for (const Case& c : cases) {
        for (const auto& in : inputs) {
            INFO(c.name << " with rax=0x" << std::hex << in[0] << " rbx=0x" << in[1]);
            // Flags read at once, in the hot path.
            GuestMachine direct;
            std::vector<u8> read_now = c.op;
            read_now.insert(read_now.end(), {0x9C, 0x5F, 0xF4}); // pushfq / pop rdi / hlt
            direct.load(0x10000, read_now);
            direct.gpr(x86::RAX) = in[0];
            direct.gpr(x86::RBX) = in[1];
            direct.require_halted(direct.run_to_halt());
            u64 expected = direct.gpr(x86::RDI) & c.defined;

            GuestMachine faulting;
            std::vector<u8> code = c.op;
            code.insert(code.end(), {0x48, 0x8B, 0x16, 0x31, 0xC9, 0xF4}); // mov rdx, [rsi] / xor ecx, ecx / hlt
            faulting.load(0x10000, code);
            faulting.gpr(x86::RAX) = in[0];
            faulting.gpr(x86::RBX) = in[1];
            faulting.gpr(x86::RCX) = 0x77;
            faulting.gpr(x86::RSI) = non_canonical;
            RunResult r = faulting.run_to_halt();
            REQUIRE(r.kind == RunResult::Kind::GuestException);
            CHECK(faulting.cpu().event.vector == x86::vector::GP);
            CHECK(faulting.cpu().event.return_rip == 0x10000 + c.op.size());
            CHECK((x86::read_rflags(faulting.ctx()) & c.defined) == expected);
            CHECK(faulting.gpr(x86::RAX) == direct.gpr(x86::RAX)); // OP's result, where it has one
            CHECK(faulting.gpr(x86::RCX) == 0x77);                  // the XOR after did not happen
        }
    }
}

TEST_CASE("backend: a compare only a TrapIf uses is fused into it (alignment and canonical checks)", "[backend]")
{
    // movdqa xmm0, [rax] / jmp rbx / (0x10009:) hlt. The alignment check of the MOVDQA
    // (#GP(0) unless RAX % 16 == 0, SDM vol. 2 MOVDQA) and the canonical check of the JMP
    // (#GP(0) for a non-canonical RBX) become TEST/CMP + JNE in the TrapIf itself.
    const std::vector<u8> code = {0x66, 0x0F, 0x6F, 0x00, 0xFF, 0xE3, 0x90, 0x90, 0x90, 0xF4};
    struct Case {
        u64 rax, rbx;
        bool faults;
        u64 fault_rip;
    };
    const Case cases[] = {
        {0x20000, 0x10009, false, 0},
        {0x20008, 0x10009, true, 0x10000},             // misaligned
        {0x20001, 0x10009, true, 0x10000},
        {0x20010, 0x0000800000000000ull, true, 0x10004}, // not canonical
        {0x20010, 0xFFFF7FFFFFFFFFFFull, true, 0x10004},
    };
    for (const Case& c : cases) {
        INFO("rax=0x" << std::hex << c.rax << " rbx=0x" << c.rbx);
        GuestMachine m;
        m.load(0x10000, code);
        std::vector<u8> data(32);
        for (unsigned i = 0; i < data.size(); ++i)
            data[i] = static_cast<u8>(0xA0 + i);
        m.write(0x20000, data);
        m.gpr(x86::RAX) = c.rax;
        m.gpr(x86::RBX) = c.rbx;
        RunResult r = m.run_to_halt();
        if (!c.faults) {
            m.require_halted(r);
            CHECK(m.cpu().xmm[0][0] == 0xA0);
            CHECK(m.cpu().xmm[0][15] == 0xAF);
            continue;
        }
        REQUIRE(r.kind == RunResult::Kind::GuestException);
        CHECK(m.cpu().event.vector == x86::vector::GP);
        CHECK(m.cpu().event.has_error_code);
        CHECK(m.cpu().event.error_code == 0);
        CHECK(m.cpu().event.return_rip == c.fault_rip);
    }
}

namespace {

// RFLAGS after `op rax, rbx` run natively with RFLAGS = flags_in before it.
template<int Op>
u64 native_flags_after(u64 flags_in, u64 src)
{
    u64 out = 0, dst = 0x5555;
    if constexpr (Op == 0)
        asm volatile("push %[f]; popfq; lzcnt %[s], %[d]; pushfq; pop %[o]" : [o] "=r"(out), [d] "+r"(dst) : [f] "r"(flags_in), [s] "r"(src) : "cc");
    else if constexpr (Op == 1)
        asm volatile("push %[f]; popfq; tzcnt %[s], %[d]; pushfq; pop %[o]" : [o] "=r"(out), [d] "+r"(dst) : [f] "r"(flags_in), [s] "r"(src) : "cc");
    else if constexpr (Op == 2)
        asm volatile("push %[f]; popfq; bsf %[s], %[d]; pushfq; pop %[o]" : [o] "=r"(out), [d] "+r"(dst) : [f] "r"(flags_in), [s] "r"(src) : "cc");
    else
        asm volatile("push %[f]; popfq; bsr %[s], %[d]; pushfq; pop %[o]" : [o] "=r"(out), [d] "+r"(dst) : [f] "r"(flags_in), [s] "r"(src) : "cc");
    return out;
}

}

TEST_CASE("backend: LZCNT, TZCNT, BSF and BSR leave the flags the SDM leaves undefined as the host CPU does", "[backend][flags]")
{
    // mov rcx, [rsi] / push rcx / popfq / OP rax, rbx / pushfq / pop rdi / hlt, with the
    // incoming flags read from memory (not a constant the translator could fold). CPUs
    // differ in those flags (some keep them as they were); keel runs the host instruction
    // with the guest's flags loaded, so they must match the same instruction run natively.
    struct Case {
        const char* name;
        std::vector<u8> op;
        u64 (*native)(u64, u64);
    };
    const Case cases[] = {
        {"lzcnt rax, rbx", {0xF3, 0x48, 0x0F, 0xBD, 0xC3}, native_flags_after<0>},
        {"tzcnt rax, rbx", {0xF3, 0x48, 0x0F, 0xBC, 0xC3}, native_flags_after<1>},
        {"bsf rax, rbx", {0x48, 0x0F, 0xBC, 0xC3}, native_flags_after<2>},
        {"bsr rax, rbx", {0x48, 0x0F, 0xBD, 0xC3}, native_flags_after<3>},
    };
    constexpr u64 status = 0x8D5; // OF SF ZF AF PF CF
    for (const Case& c : cases) {
        for (u64 flags_in : {u64 {0x2}, u64 {0x2 | status}, u64 {0x2 | 0x801}, u64 {0x2 | 0x94}}) {
            for (u64 src : {u64 {0}, u64 {1}, u64 {0x8000000000000000ull}, u64 {0x00F0000000000000ull}}) {
                INFO(c.name << " flags_in=0x" << std::hex << flags_in << " src=0x" << src);
                GuestMachine m;
                std::vector<u8> code = {0x48, 0x8B, 0x0E, 0x51, 0x9D}; // mov rcx, [rsi] / push rcx / popfq
                code.insert(code.end(), c.op.begin(), c.op.end());
                code.insert(code.end(), {0x9C, 0x5F, 0xF4}); // pushfq / pop rdi / hlt
                m.load(0x10000, code);
                std::vector<u8> flags_bytes(8);
                for (unsigned i = 0; i < 8; ++i)
                    flags_bytes[i] = static_cast<u8>(flags_in >> (8 * i));
                m.write(0x20000, flags_bytes);
                m.gpr(x86::RSI) = 0x20000;
                m.gpr(x86::RAX) = 0x5555;
                m.gpr(x86::RBX) = src;
                m.require_halted(m.run_to_halt());
                CHECK((m.gpr(x86::RDI) & status) == (c.native(flags_in, src) & status));
            }
        }
    }
}

namespace {

// x's four 32-bit lanes at the end of one page (0x20FF0) and y's at the start of the next,
// with RSI pointing at x: a 16-byte access to [rsi+16] then misses the TLB between two
// SSE instructions.
void put_lanes_across_pages(GuestMachine& m, const u32 (&x)[4], const u32 (&y)[4])
{
    std::vector<u8> data(32);
    for (unsigned i = 0; i < 4; ++i)
        for (unsigned b = 0; b < 4; ++b) {
            data[4 * i + b] = static_cast<u8>(x[i] >> (8 * b));
            data[16 + 4 * i + b] = static_cast<u8>(y[i] >> (8 * b));
        }
    m.write(0x20FF0, data);
    m.gpr(x86::RSI) = 0x20FF0;
}

// Lane i (32 bits) of guest XMM register `reg`.
u32 xmm_lane(GuestMachine& m, unsigned reg, unsigned i)
{
    u32 v = 0;
    for (unsigned b = 0; b < 4; ++b)
        v |= static_cast<u32>(m.cpu().xmm[reg][4 * i + b]) << (8 * b);
    return v;
}

} // namespace

TEST_CASE("sse: guest XMM values kept in host registers from one SSE instruction to the next", "[backend][sse]")
{
    // movdqa xmm0, [rsi] / movdqa xmm1, xmm0 / paddd xmm1, xmm0 / pshufd xmm2, xmm1, 0x1b /
    // pcmpeqd xmm0, xmm0 / paddd xmm0, [rsi+16] / por xmm0, xmm2 / movdqa [rdi], xmm0 /
    // add rax, 1 / paddd xmm2, xmm1 / movdqa [rdi+16], xmm2 / hlt. The SSE lowering reuses
    // what the previous instruction left in host XMM0..13 (docs/sse.md): an operand named
    // twice (PCMPEQD, all ones, kept in a host register across the miss below), a register the next instruction writes from another host register, a
    // softMMU miss in between ([rsi+16] is on the next page, so its cold path runs between
    // two instructions and must keep XMM0..13), and a non-SSE instruction in between.
    const std::vector<u8> code = {0x66, 0x0F, 0x6F, 0x06, 0x66, 0x0F, 0x6F, 0xC8, 0x66, 0x0F, 0xFE, 0xC8, 0x66, 0x0F, 0x70,
                                  0xD1, 0x1B, 0x66, 0x0F, 0x76, 0xC0, 0x66, 0x0F, 0xFE, 0x46, 0x10, 0x66, 0x0F, 0xEB, 0xC2,
                                  0x66, 0x0F, 0x7F, 0x07, 0x48, 0x83, 0xC0, 0x01, 0x66, 0x0F, 0xFE, 0xD1, 0x66, 0x0F, 0x7F,
                                  0x57, 0x10, 0xF4};
    const u32 x[4] = {0x11111111, 0x80000001, 0x7FFFFFFF, 0x00C0FFEE};
    const u32 y[4] = {0x01020304, 0xF0F0F0F0, 0x00000000, 0xDEADBEEF};
    GuestMachine m;
    m.load(0x10000, code);
    put_lanes_across_pages(m, x, y);
    m.gpr(x86::RDI) = 0x30000;
    m.gpr(x86::RAX) = 7;
    m.require_halted(m.run_to_halt());
    u32 twice[4], reversed[4];
    for (unsigned i = 0; i < 4; ++i)
        twice[i] = 2 * x[i];
    for (unsigned i = 0; i < 4; ++i)
        reversed[i] = twice[3 - i];
    for (unsigned i = 0; i < 4; ++i) {
        INFO("lane " << i);
        u32 first = static_cast<u32>(y[i] - 1) | reversed[i];
        CHECK(m.read(0x30000 + 4 * i, 4) == first);
        CHECK(m.read(0x30010 + 4 * i, 4) == static_cast<u32>(reversed[i] + twice[i]));
        CHECK(xmm_lane(m, 0, i) == first);
        CHECK(xmm_lane(m, 1, i) == twice[i]);
        CHECK(xmm_lane(m, 2, i) == static_cast<u32>(reversed[i] + twice[i]));
    }
    CHECK(m.gpr(x86::RAX) == 8);
}

TEST_CASE("sse: six guest XMM values kept in host registers across a softMMU miss", "[backend][sse]")
{
    // movdqa xmm0, [rsi] / then xmm1..xmm4 = 2x..5x, each a MOVDQA of the one before and a
    // PADDD of xmm0 / pshufd xmm4, xmm4, 0x1b (the destination read as its source) /
    // movdqa xmm5, xmm4 / paddd xmm5, [rsi+16] (on the next page: its softMMU miss runs C++
    // between two instructions; the cold thunk saves XMM0..XMM13 for it, although the C++
    // it calls rarely touches more than XMM0..1) / paddd xmm0, xmm1, xmm2,
    // xmm3, xmm5 in turn / hlt. Every register is live to the end.
    const std::vector<u8> code = {0x66, 0x0F, 0x6F, 0x06, 0x66, 0x0F, 0x6F, 0xC8, 0x66, 0x0F, 0xFE, 0xC8, 0x66, 0x0F, 0x6F,
                                  0xD1, 0x66, 0x0F, 0xFE, 0xD0, 0x66, 0x0F, 0x6F, 0xDA, 0x66, 0x0F, 0xFE, 0xD8, 0x66, 0x0F,
                                  0x6F, 0xE3, 0x66, 0x0F, 0xFE, 0xE0, 0x66, 0x0F, 0x70, 0xE4, 0x1B, 0x66, 0x0F, 0x6F, 0xEC,
                                  0x66, 0x0F, 0xFE, 0x6E, 0x10, 0x66, 0x0F, 0xFE, 0xC1, 0x66, 0x0F, 0xFE, 0xC2, 0x66, 0x0F,
                                  0xFE, 0xC3, 0x66, 0x0F, 0xFE, 0xC5, 0xF4};
    const u32 x[4] = {0x01000001, 0x80000003, 0x7FFFFFF0, 0x00C0FFEE};
    const u32 y[4] = {0x0A0B0C0D, 0xF0F0F0F0, 0x00000007, 0xDEADBEEF};
    GuestMachine m;
    m.load(0x10000, code);
    put_lanes_across_pages(m, x, y);
    m.require_halted(m.run_to_halt());
    auto lane = [&](unsigned reg, unsigned i) { return xmm_lane(m, reg, i); };
    for (unsigned i = 0; i < 4; ++i) {
        INFO("lane " << i);
        u32 reversed5 = 5 * x[3 - i];
        CHECK(lane(1, i) == 2 * x[i]);
        CHECK(lane(2, i) == 3 * x[i]);
        CHECK(lane(3, i) == 4 * x[i]);
        CHECK(lane(4, i) == reversed5);
        CHECK(lane(5, i) == static_cast<u32>(reversed5 + y[i]));
        CHECK(lane(0, i) == static_cast<u32>(10 * x[i] + reversed5 + y[i]));
    }
}

TEST_CASE("sse: a fault after SSE instructions whose stores were deferred sees their results", "[backend][sse]")
{
    // movdqa xmm0, [rsi] / paddd xmm0, xmm0 / movdqa xmm1, xmm0 / paddd xmm1, xmm1 /
    // paddd xmm1, [rdi] (#GP: RDI non-canonical) / hlt. The first four leave their stores
    // to the next one (docs/sse.md); the fault, in an instruction that overwrites xmm1,
    // must still find xmm0 = 2x and xmm1 = 4x in the state, and xmm2 untouched.
    const std::vector<u8> code = {0x66, 0x0F, 0x6F, 0x06, 0x66, 0x0F, 0xFE, 0xC0, 0x66, 0x0F, 0x6F, 0xC8, 0x66, 0x0F, 0xFE,
                                  0xC9, 0x66, 0x0F, 0xFE, 0x0F, 0xF4};
    const u32 x[4] = {0x00000011, 0x40000000, 0x7FFFFFFF, 0x12345678};
    GuestMachine m;
    m.load(0x10000, code);
    std::vector<u8> data(16);
    for (unsigned i = 0; i < 4; ++i)
        for (unsigned b = 0; b < 4; ++b)
            data[4 * i + b] = static_cast<u8>(x[i] >> (8 * b));
    m.write(0x20000, data);
    m.gpr(x86::RSI) = 0x20000;
    m.gpr(x86::RDI) = 0x0000800000000000ull; // the first non-canonical address
    for (unsigned b = 0; b < 16; ++b)
        m.cpu().xmm[2][b] = static_cast<u8>(0xA0 + b);
    RunResult r = m.run_to_halt();
    REQUIRE(r.kind == RunResult::Kind::GuestException);
    CHECK(m.cpu().event.vector == x86::vector::GP);
    CHECK(m.cpu().event.return_rip == 0x10010);
    auto lane = [&](unsigned reg, unsigned i) { return xmm_lane(m, reg, i); };
    for (unsigned i = 0; i < 4; ++i) {
        INFO("lane " << i);
        CHECK(lane(0, i) == static_cast<u32>(2 * x[i]));
        CHECK(lane(1, i) == static_cast<u32>(4 * x[i]));
    }
    for (unsigned b = 0; b < 16; ++b)
        CHECK(m.cpu().xmm[2][b] == static_cast<u8>(0xA0 + b));
}

TEST_CASE("sse: deferred stores survive a run that uses every XMM register", "[backend][sse]")
{
    // paddd xmm(i), xmm(i+1 mod 16) for i = 0..15 / hlt. Each instruction leaves its store
    // to later ones (docs/sse.md); sixteen guest registers pass through fourteen host ones,
    // so registers whose stores are still deferred lose their host register to others and
    // must be stored first. Every register's final value must be in the state.
    std::vector<u8> code;
    for (unsigned i = 0; i < 16; ++i) {
        unsigned a = i, b = (i + 1) % 16;
        code.push_back(0x66);
        if (a >= 8 || b >= 8)
            code.push_back(static_cast<u8>(0x40 | (a >= 8 ? 4 : 0) | (b >= 8 ? 1 : 0)));
        code.insert(code.end(), { 0x0F, 0xFE, static_cast<u8>(0xC0 | (a & 7) << 3 | (b & 7)) });
    }
    code.push_back(0xF4);
    const u64 seed = 0x5EED0016;
    INFO("seed 0x" << std::hex << seed);
    std::mt19937 rng(static_cast<u32>(seed));
    GuestMachine m;
    m.load(0x10000, code);
    u32 expected[16][4];
    for (unsigned r = 0; r < 16; ++r)
        for (unsigned i = 0; i < 4; ++i) {
            expected[r][i] = static_cast<u32>(rng());
            for (unsigned b = 0; b < 4; ++b)
                m.cpu().xmm[r][4 * i + b] = static_cast<u8>(expected[r][i] >> (8 * b));
        }
    for (unsigned r = 0; r < 16; ++r)
        for (unsigned i = 0; i < 4; ++i)
            expected[r][i] += expected[(r + 1) % 16][i]; // xmm15 adds xmm0's new value
    m.require_halted(m.run_to_halt());
    for (unsigned r = 0; r < 16; ++r) {
        INFO("xmm" << r);
        for (unsigned i = 0; i < 4; ++i)
            CHECK(xmm_lane(m, r, i) == expected[r][i]);
    }
}

// A 16-byte source operand is read where it is, through a HostPointer (docs/sse.md):
// movdqu xmm0, [rdi] (a TLB hit once the page is touched) / lddqu xmm1, [rsi] (it crosses
// a page: the cold path reads the two parts through the softMMU into vector_temp and the
// instruction reads that) / paddd xmm0, xmm1 / movdqa xmm2, [rdi+16] / hlt, run twice: the
// second run finds every page in the TLB except the crossing one, which always misses.
TEST_CASE("sse: 16-byte sources through HostPointer, in RAM and across a page boundary", "[backend][sse]")
{
    const std::vector<u8> code = {0xF3, 0x0F, 0x6F, 0x07, 0xF2, 0x0F, 0xF0, 0x0E, 0x66, 0x0F, 0xFE, 0xC1,
                                  0x66, 0x0F, 0x6F, 0x57, 0x10, 0xF4};
    GuestMachine m;
    m.load(0x10000, code);
    std::vector<u8> a(32), b(16);
    for (unsigned i = 0; i < 32; ++i)
        a[i] = static_cast<u8>(0x11 * i + 3);
    for (unsigned i = 0; i < 16; ++i)
        b[i] = static_cast<u8>(0xF0 - 7 * i);
    m.write(0x30000, a);
    m.write(0x21FF8, b); // 8 bytes at the end of one page, 8 at the start of the next
    for (int run = 0; run < 2; ++run) {
        INFO("run " << run);
        m.gpr(x86::RDI) = 0x30000;
        m.gpr(x86::RSI) = 0x21FF8;
        m.ctx().hot.pc = 0x10000;
        m.require_halted(m.run_to_halt());
        for (unsigned i = 0; i < 16; i += 4) {
            u32 x = 0, y = 0, z = 0, w = 0;
            for (unsigned k = 0; k < 4; ++k) {
                x |= static_cast<u32>(a[i + k]) << (8 * k);
                y |= static_cast<u32>(b[i + k]) << (8 * k);
                z |= static_cast<u32>(a[16 + i + k]) << (8 * k);
            }
            std::memcpy(&w, m.cpu().xmm[0] + i, 4);
            CHECK(w == static_cast<u32>(x + y));
            std::memcpy(&w, m.cpu().xmm[1] + i, 4);
            CHECK(w == y);
            std::memcpy(&w, m.cpu().xmm[2] + i, 4);
            CHECK(w == z);
        }
    }
}

// 16-byte stores written where the bytes are, through a HostPointer for writing:
// movdqu [rdi], xmm0 (plain RAM: the first run's TLB miss fills the entry and the store
// goes direct) / movdqu [rsi], xmm1 (crosses a page) / movdqu [rdx], xmm2 (RDX points at
// the code right after it: a page with translated code) / mov eax, 1 / hlt. The last two
// are not plain RAM for a direct store: the instruction runs again alone with its store
// through the softMMU, which for the third invalidates the block, so the CPU runs the
// bytes XMM2 wrote there (mov eax, 42 / hlt).
TEST_CASE("sse: 16-byte stores through HostPointer: RAM, across a page, over the code that runs next", "[backend][sse]")
{
    std::vector<u8> code = {0xF3, 0x0F, 0x7F, 0x07, 0xF3, 0x0F, 0x7F, 0x0E, 0xF3, 0x0F, 0x7F, 0x12};
    const std::vector<u8> original = {0xB8, 0x01, 0x00, 0x00, 0x00, 0xF4, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90};
    const u8 patched[16] = {0xB8, 0x2A, 0x00, 0x00, 0x00, 0xF4, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90};
    code.insert(code.end(), original.begin(), original.end());
    GuestMachine m;
    m.load(0x10000, code);
    u8 x[16], y[16];
    for (unsigned i = 0; i < 16; ++i) {
        x[i] = static_cast<u8>(0x5A ^ (13 * i));
        y[i] = static_cast<u8>(0xC3 + 29 * i);
    }
    for (int run = 0; run < 2; ++run) {
        INFO("run " << run);
        std::memcpy(m.cpu().xmm[0], x, 16);
        std::memcpy(m.cpu().xmm[1], y, 16);
        std::memcpy(m.cpu().xmm[2], patched, 16);
        m.gpr(x86::RDI) = 0x30000;
        m.gpr(x86::RSI) = 0x32FF9; // 7 bytes in one page, 9 in the next
        m.gpr(x86::RDX) = 0x1000C;
        m.gpr(x86::RAX) = 0;
        m.ctx().hot.pc = 0x10000;
        m.require_halted(m.run_to_halt());
        CHECK(m.gpr(x86::RAX) == 42);
        for (unsigned i = 0; i < 16; ++i) {
            INFO("byte " << i);
            CHECK(m.read(0x30000 + i, 1) == x[i]);
            CHECK(m.read(0x32FF9 + i, 1) == y[i]);
            CHECK(m.read(0x1000C + i, 1) == patched[i]);
        }
    }
}

TEST_CASE("backend: an operation whose result and flags only a fault needs still reaches the fault's state", "[backend][flags]")
{
    // add rax, rbx / mov rdx, [rsi] (#GP: RSI is not canonical) / mov eax, 5 / xor ecx, ecx /
    // hlt. Both the ADD's result (RAX is overwritten after the load) and its flags (the
    // XOR overwrites them) matter only if the load faults: its cold path must store the
    // result and recompute the flags, so the hot path must still compute the result.
    GuestMachine direct;
    direct.load(0x10000, {0x48, 0x01, 0xD8, 0x9C, 0x5F, 0xF4}); // add rax, rbx / pushfq / pop rdi / hlt
    direct.gpr(x86::RAX) = 0x7FFFFFFFFFFFFFF0ull;
    direct.gpr(x86::RBX) = 0x20;
    direct.require_halted(direct.run_to_halt());

    GuestMachine m;
    m.load(0x10000, {0x48, 0x01, 0xD8, 0x48, 0x8B, 0x16, 0xB8, 0x05, 0x00, 0x00, 0x00, 0x31, 0xC9, 0xF4});
    m.gpr(x86::RAX) = 0x7FFFFFFFFFFFFFF0ull;
    m.gpr(x86::RBX) = 0x20;
    m.gpr(x86::RCX) = 0x77;
    m.gpr(x86::RSI) = 0x8000000000000000ull;
    RunResult r = m.run_to_halt();
    REQUIRE(r.kind == RunResult::Kind::GuestException);
    CHECK(m.cpu().event.vector == x86::vector::GP);
    CHECK(m.cpu().event.return_rip == 0x10003);
    CHECK(m.gpr(x86::RAX) == 0x8000000000000010ull);
    CHECK((x86::read_rflags(m.ctx()) & 0x8D5) == (direct.gpr(x86::RDI) & 0x8D5));
    CHECK(m.gpr(x86::RCX) == 0x77);
}
