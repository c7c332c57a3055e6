// 8- and 16-bit register writes (AL, AH, DX...) in a block that has already used the
// register: the x86 frontend merges them into the register's whole value and stores 64
// bits (Lowerer::commit), so that a later wider read is forwarded from that value instead
// of reloading bytes a narrow store just wrote (a host store-forwarding stall). The merged
// value must be exactly what the CPU leaves in the register (Intel SDM vol. 1 §3.4.1.1:
// 8- and 16-bit writes leave the other bits unchanged). Part of ctest unit.x86.
#include <catch2/catch.hpp>
#include <vector>
#include "guest_machine.h"
#include "lowered_block.h"

using namespace keel;
using ir::Opcode;
using ir::Type;
using keel::unit::GuestMachine;
using keel::unit::LoweredBlock;

TEST_CASE("x86: a narrow write to a register the block has used is stored whole and forwarded", "[x86][lowering]")
{
    // mov edx, eax / shr dx, 5 / sub eax, edx: xz's probability update.
    LoweredBlock lowered({ 0x89, 0xC2, 0x66, 0xC1, 0xEA, 0x05, 0x29, 0xD0 });
    REQUIRE(lowered.translated);
    ir::optimize(lowered.block, ir::PassOptions { true, true });
    INFO(lowered.text());
    u32 rdx = x86::offset::gpr(x86::RDX);
    for (const ir::Inst& inst : lowered.block.insts) {
        if (inst.is_removed())
            continue;
        // No load of RDX at all: EDX's value after the SHR comes from the merge.
        if (inst.op == Opcode::LoadState)
            CHECK(inst.args[0].imm_value() != rdx);
        // And RDX is written once, whole.
        if (inst.op == Opcode::StoreState && inst.args[0].imm_value() == rdx)
            CHECK(lowered.block.resolve(inst.args[1]).type() == Type::U64);
    }
    CHECK(lowered.count(Opcode::StoreState) == 2); // RDX and RAX
}

TEST_CASE("x86: the low byte read back after a merged write is the byte written", "[x86][lowering]")
{
    // mov eax, ecx / mov al, 5 / movzx edx, al: EDX is the constant 5, RAX's old value unread.
    LoweredBlock lowered({ 0x89, 0xC8, 0xB0, 0x05, 0x0F, 0xB6, 0xD0 });
    REQUIRE(lowered.translated);
    ir::optimize(lowered.block, ir::PassOptions { true, true });
    INFO(lowered.text());
    ir::Value edx = lowered.block.resolve(lowered.stored(x86::offset::gpr(x86::RDX)));
    REQUIRE(edx.is_imm());
    CHECK(edx.imm_value() == 5);
}

TEST_CASE("x86: a register's first narrow write in a block stays a narrow store", "[x86][lowering]")
{
    // mov dl, 1: nothing known about RDX, so no load is added to merge it.
    LoweredBlock lowered({ 0xB2, 0x01 });
    REQUIRE(lowered.translated);
    ir::optimize(lowered.block, ir::PassOptions { true, true });
    INFO(lowered.text());
    CHECK(lowered.count(Opcode::LoadState) == 0);
    CHECK(lowered.block.resolve(lowered.stored(x86::offset::gpr(x86::RDX))).type() == Type::U8);
}

TEST_CASE("x86: merged narrow writes leave the bits the CPU leaves", "[x86][lowering]")
{
    // Each line's narrow writes land on a register this block already used.
    std::vector<u8> code = {
        0x48, 0xB8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, // mov rax, 0x1122334455667788
        0xB0, 0xAA,                                                 // mov al, 0xAA
        0x49, 0x89, 0xC0,                                           // mov r8, rax
        0xB4, 0xBB,                                                 // mov ah, 0xBB
        0x48, 0x89, 0xC3,                                           // mov rbx, rax
        0x66, 0x05, 0x01, 0x01,                                     // add ax, 0x0101
        0x48, 0x89, 0xC1,                                           // mov rcx, rax
        0x86, 0xC4,                                                 // xchg ah, al
        0x48, 0x89, 0xC2,                                           // mov rdx, rax
        0x66, 0xC1, 0xE8, 0x04,                                     // shr ax, 4
        0x0F, 0x94, 0xC4,                                           // sete ah
        0x48, 0x89, 0xC6,                                           // mov rsi, rax
        0x31, 0xFF,                                                 // xor edi, edi
        0x40, 0xB7, 0x7F,                                           // mov dil, 0x7F
        0x8D, 0x3C, 0x3F,                                           // lea edi, [rdi+rdi]
        0xF4,                                                       // hlt
    };
    GuestMachine m;
    m.load(0x10000, code);
    m.require_halted(m.run_to_halt());
    CHECK(m.gpr(x86::R8) == 0x11223344556677AAull);
    CHECK(m.gpr(x86::RBX) == 0x112233445566BBAAull);
    CHECK(m.gpr(x86::RCX) == 0x112233445566BCABull);
    CHECK(m.gpr(x86::RDX) == 0x112233445566ABBCull);
    CHECK(m.gpr(x86::RSI) == 0x11223344556600BBull); // AX = 0xABBC >> 4 = 0x0ABB, not zero: SETE AH writes 0
    CHECK(m.gpr(x86::RDI) == 0xFE);
}
