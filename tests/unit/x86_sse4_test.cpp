// SSE3 to SSE4.2 through the host (docs/sse.md): the operands those instructions name
// implicitly (PCMPESTRI's EAX, EDX and ECX, PBLENDVB's XMM0, MASKMOVDQU's and MASKMOVQ's
// [RDI]), CRC32's two general registers, the flags PTEST and PCMPxSTRx set, and FISTTP's
// x87 rules. Each result is
// compared with the same instruction run natively here (the backend requires SSE4.2 of the
// host). ctest unit.x86.
#include <catch2/catch.hpp>
#include "guest_machine.h"
#include "plugins/arch/x86/mode.h"

using namespace keel;
using namespace keel::unit;

namespace {

constexpr u64 arithmetic_flags = 0x8D5; // OF SF ZF AF PF CF

struct Xmm {
    u64 low, high;
};

void set_xmm(GuestMachine& m, unsigned n, Xmm v)
{
    __builtin_memcpy(m.cpu().xmm[n], &v.low, 8);
    __builtin_memcpy(m.cpu().xmm[n] + 8, &v.high, 8);
}

Xmm get_xmm(GuestMachine& m, unsigned n)
{
    Xmm v;
    __builtin_memcpy(&v.low, m.cpu().xmm[n], 8);
    __builtin_memcpy(&v.high, m.cpu().xmm[n] + 8, 8);
    return v;
}

const Xmm text { 0x6F77206F6C6C6568ull, 0x0000000021646C72ull };    // "hello world!"
const Xmm pattern { 0x000000000000726Full, 0x0000000000000000ull }; // "or"

} // namespace

TEST_CASE("sse4.2: PCMPESTRI reads EAX and EDX, writes ECX and the flags; the backend's RCX and RDX survive", "[x86][sse]")
{
    // mov eax, 2 / mov edx, 12 / pcmpestri xmm1, xmm2, 0x0C (equal ordered: "or" in the
    // text) / mov r8, rcx / mov r9, rdx / hlt.
    GuestMachine m;
    m.load(0x10000, { 0xB8, 0x02, 0x00, 0x00, 0x00, 0xBA, 0x0C, 0x00, 0x00, 0x00, 0x66, 0x0F, 0x3A, 0x61, 0xCA, 0x0C, 0x49,
                        0x89, 0xC8, 0x49, 0x89, 0xD1, 0xF4 });
    set_xmm(m, 1, pattern);
    set_xmm(m, 2, text);
    m.gpr(x86::RCX) = 0xDEADBEEF12345678ull;
    m.require_halted(m.run_to_halt());

    u64 native_rcx = 0xDEADBEEF12345678ull, native_flags;
    asm volatile("movdqu %[p], %%xmm1\n\tmovdqu %[t], %%xmm2\n\tmov $2, %%eax\n\tmov $12, %%edx\n\t"
                 "pcmpestri $0x0C, %%xmm2, %%xmm1\n\tpushfq\n\tpop %[f]"
                 : [f] "=r"(native_flags), "+c"(native_rcx)
                 : [p] "m"(pattern), [t] "m"(text)
                 : "rax", "rdx", "xmm1", "xmm2", "cc");
    CHECK(native_rcx == 7); // "or" at byte 7 of "hello world!", ECX zero-extended into RCX
    CHECK(m.gpr(x86::RCX) == native_rcx);
    CHECK(m.gpr(x86::R8) == native_rcx);
    CHECK(m.gpr(x86::RDX) == 12);
    CHECK(m.gpr(x86::R9) == 12);
    CHECK((x86::read_rflags(m.ctx()) & arithmetic_flags) == (native_flags & arithmetic_flags));
}

TEST_CASE("sse4.1: PBLENDVB takes its mask from XMM0, named by no operand", "[x86][sse]")
{
    // pblendvb xmm1, xmm2 / hlt
    const Xmm mask { 0x8000800000008080ull, 0x0080000000000000ull }, a { 0x1111111111111111ull, 0x2222222222222222ull },
        b { 0xAAAAAAAAAAAAAAAAull, 0xBBBBBBBBBBBBBBBBull };
    GuestMachine m;
    m.load(0x10000, { 0x66, 0x0F, 0x38, 0x10, 0xCA, 0xF4 });
    set_xmm(m, 0, mask);
    set_xmm(m, 1, a);
    set_xmm(m, 2, b);
    m.require_halted(m.run_to_halt());

    Xmm native = a;
    asm volatile("movdqu %[k], %%xmm0\n\tmovdqu %[d], %%xmm1\n\tmovdqu %[s], %%xmm2\n\tpblendvb %%xmm0, %%xmm2, %%xmm1\n\tmovdqu %%xmm1, %[d]"
                 : [d] "+m"(native)
                 : [k] "m"(mask), [s] "m"(b)
                 : "xmm0", "xmm1", "xmm2");
    CHECK(native.low == 0xAA11AA111111AAAAull);
    Xmm got = get_xmm(m, 1);
    CHECK(got.low == native.low);
    CHECK(got.high == native.high);
    Xmm kept = get_xmm(m, 0);
    CHECK(kept.low == mask.low); // XMM0 only read
}

TEST_CASE("sse4.2: CRC32 with two general registers, 8 and 64 bits wide", "[x86][sse]")
{
    // crc32 eax, cl / crc32 rbx, rdx / hlt
    GuestMachine m;
    m.load(0x10000, { 0xF2, 0x0F, 0x38, 0xF0, 0xC1, 0xF2, 0x48, 0x0F, 0x38, 0xF1, 0xDA, 0xF4 });
    m.gpr(x86::RAX) = 0xFFFFFFFF00000000ull | 0x12345678;
    m.gpr(x86::RCX) = 0x99;
    m.gpr(x86::RBX) = 0xCAFEF00D;
    m.gpr(x86::RDX) = 0x0123456789ABCDEFull;
    m.require_halted(m.run_to_halt());

    u64 native_a = 0xFFFFFFFF00000000ull | 0x12345678, native_b = 0xCAFEF00D;
    u64 c = 0x99, d = 0x0123456789ABCDEFull;
    asm("crc32b %b[c], %k[a]\n\tcrc32q %[d], %[b]" : [a] "+r"(native_a), [b] "+r"(native_b) : [c] "r"(c), [d] "r"(d));
    CHECK(m.gpr(x86::RAX) == native_a); // a 32-bit destination: upper half cleared
    CHECK((native_a >> 32) == 0);
    CHECK(m.gpr(x86::RBX) == native_b);
    CHECK(m.gpr(x86::RCX) == 0x99);
    CHECK(m.gpr(x86::RDX) == 0x0123456789ABCDEFull);
}

TEST_CASE("sse4.1: PTEST sets ZF and CF from the host's flags", "[x86][sse]")
{
    // ptest xmm1, xmm2 / hlt, for disjoint, overlapping and covering operands.
    const Xmm cases[][2] = { { { 0xF0, 0 }, { 0x0F, 0 } }, { { 0xFF, 0 }, { 0x0F, 0 } }, { { 0x0F, 0 }, { 0xFF, 1 } } };
    for (const auto& c : cases) {
        GuestMachine m;
        m.load(0x10000, { 0x66, 0x0F, 0x38, 0x17, 0xCA, 0xF4 });
        set_xmm(m, 1, c[0]);
        set_xmm(m, 2, c[1]);
        m.require_halted(m.run_to_halt());
        u64 native_flags;
        asm volatile("movdqu %[a], %%xmm1\n\tmovdqu %[b], %%xmm2\n\tptest %%xmm2, %%xmm1\n\tpushfq\n\tpop %[f]"
                     : [f] "=r"(native_flags)
                     : [a] "m"(c[0]), [b] "m"(c[1])
                     : "xmm1", "xmm2", "cc");
        INFO("operands 0x" << std::hex << c[0].low << ", 0x" << c[1].low);
        CHECK((x86::read_rflags(m.ctx()) & arithmetic_flags) == (native_flags & arithmetic_flags));
    }
}

TEST_CASE("sse3: FISTTP is an x87 instruction: CR0.EM raises #NM, not #UD", "[x86][sse][fpu]")
{
    // fisttp dword [rsp-8] / hlt, with CR0.EM set (Intel SDM vol. 2, FISTTP: #NM if EM or TS).
    GuestMachine m;
    m.load(0x10000, { 0xDB, 0x4C, 0x24, 0xF8, 0xF4 });
    m.cpu().cr0 |= 1 << 2;
    RunResult r = m.run_to_halt();
    REQUIRE(r.kind == RunResult::Kind::GuestException);
    CHECK(m.cpu().event.vector == x86::vector::NM);
}

TEST_CASE("MASKMOVDQU and MASKMOVQ store the selected bytes at [RDI] and leave the others", "[x86][sse]")
{
    const Xmm data { 0x0123456789ABCDEFull, 0xFEDCBA9876543210ull }, mask { 0x80FF007F00800001ull, 0x8000000000000080ull };
    constexpr u64 buffer = 0x20008; // not 16-byte aligned: neither instruction needs it
    Xmm native { 0x5555555555555555ull, 0x5555555555555555ull };
    const Xmm before = native;

    GuestMachine m;
    m.load(0x10000, { 0x66, 0x0F, 0xF7, 0xCA, 0xF4 }); // maskmovdqu xmm1, xmm2 / hlt
    m.write(buffer, std::vector<u8>(16, 0x55));
    set_xmm(m, 1, data);
    set_xmm(m, 2, mask);
    m.gpr(x86::RDI) = buffer;
    m.require_halted(m.run_to_halt());
    asm volatile("movdqu %[d], %%xmm1\n\tmovdqu %[k], %%xmm2\n\tmaskmovdqu %%xmm2, %%xmm1"
                 :
                 : [d] "m"(data), [k] "m"(mask), "D"(&native)
                 : "xmm1", "xmm2", "memory");
    CHECK(native.low != before.low);
    CHECK(m.read(buffer, 8) == native.low);
    CHECK(m.read(buffer + 8, 8) == native.high);

    // maskmovq mm1, mm2 / hlt: the MMX registers live in the FXSAVE image (MM1 at byte 48).
    GuestMachine q;
    q.load(0x10000, { 0x0F, 0xF7, 0xCA, 0xF4 });
    q.write(buffer, std::vector<u8>(8, 0x55));
    __builtin_memcpy(q.cpu().fpu + 48, &data.low, 8);
    __builtin_memcpy(q.cpu().fpu + 64, &mask.low, 8);
    q.gpr(x86::RDI) = buffer;
    q.require_halted(q.run_to_halt());
    CHECK(q.read(buffer, 8) == native.low);
}

TEST_CASE("BMI2, MOVBE, AES, PCLMULQDQ: advertised exactly when the host has them, and run or #UD accordingly", "[x86][sse]")
{
    // cpuid leaf 7 / mov r8, rbx / mov eax, 1 / cpuid / mov r9, rcx /
    // pdep rax, rsi, rdi (C4 E2 CB F5 C7) / hlt
    GuestMachine m;
    m.load(0x10000, { 0xB8, 0x07, 0x00, 0x00, 0x00, 0x31, 0xC9, 0x0F, 0xA2, 0x49, 0x89, 0xD8, 0xB8, 0x01, 0x00, 0x00, 0x00,
                        0x0F, 0xA2, 0x49, 0x89, 0xC9, 0xC4, 0xE2, 0xCB, 0xF5, 0xC7, 0xF4 });
    m.gpr(x86::RSI) = 0x0123456789ABCDEFull;
    m.gpr(x86::RDI) = 0xF0F0F0F00F0F0F0Full;
    RunResult r = m.run_to_halt();

    __builtin_cpu_init();
    bool bmi2 = __builtin_cpu_supports("bmi2"), aes = __builtin_cpu_supports("aes"), pclmul = __builtin_cpu_supports("pclmul");
    CHECK(((m.gpr(x86::R8) >> 8) & 1) == bmi2);
    CHECK(((m.gpr(x86::R9) >> 25) & 1) == aes);
    CHECK(((m.gpr(x86::R9) >> 1) & 1) == pclmul);
    if (bmi2) {
        m.require_halted(r);
        u64 native;
        asm("pdep %[mask], %[src], %[out]" : [out] "=r"(native) : [src] "r"(0x0123456789ABCDEFull), [mask] "r"(0xF0F0F0F00F0F0F0Full));
        CHECK(m.gpr(x86::RAX) == native);
    } else {
        REQUIRE(r.kind == RunResult::Kind::GuestException);
        CHECK(m.cpu().event.vector == x86::vector::UD);
    }
}
