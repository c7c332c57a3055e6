// The x86 frontend on its own: the bytes of real instructions go through Zydis and the
// lowering (X86Arch::translate_block, plugins/arch/x86/frontend/) and the IR they produce,
// before any pass, is checked: the exact text for a few instructions whose IR shape
// matters (operand order, memory stores before register and flag writes, stack access
// flags, exits), structure for the rest (which opcodes, which state slots, access sizes,
// terminal and next pc). No engine and no guest memory: code comes from a byte array.
// Part of ctest unit.x86.
#include <catch2/catch.hpp>
#include <algorithm>
#include <Zydis/Zydis.h>
#include <vector>
#include "dbt/ir/flags.h"
#include "lowered_block.h"
#include "plugins/arch/x86/runtime/helpers.h"
#include "plugins/arch/x86/runtime/string_op.h"

using namespace keel;
using ir::Opcode;
using ir::Type;
using ir::Value;
using keel::unit::LoweredBlock;
using keel::unit::code_pc;
using keel::unit::decode_host;
using keel::unit::HostCode;
namespace off = keel::x86::offset;

// The exact IR of instructions whose shape matters. Every state write of an instruction
// comes after its memory stores, so a faulting store leaves no trace (Intel SDM vol. 3
// §6.5); stack accesses carry access_flag::stack (0x1) so a non-canonical RSP raises #SS.
TEST_CASE("x86 lowering: exact IR of key instructions", "[x86][lowering]")
{
    // add [rbx+8], rcx: one address for the load and the store; flags after the store.
    CHECK(LoweredBlock({ 0x48, 0x01, 0x4B, 0x08 }).text() ==
        "block 0x401000 mode 0x5c, 1 guest insns\n"
        " ; 0x401000\n"
        "  %0    = LoadState.u64 rbx\n"
        "  %1    = Add.u64 %0, 0x8\n"
        "  %2    = Load.u64 %1, 0x0\n"
        "  %3    = LoadState.u64 rcx\n"
        "  %4    = Add.u64 %2, %3\n"
        "  %5    = FlagsOf %4\n"
        "          Store %1, %4, 0x0\n"
        "          StoreFlags %5, {CPAZSO}\n"
        "  jump 0x401004\n");
    // push rbx: RSP moves only after the store succeeded.
    CHECK(LoweredBlock({ 0x53 }).text() ==
        "block 0x401000 mode 0x5c, 1 guest insns\n"
        " ; 0x401000\n"
        "  %0    = LoadState.u64 rbx\n"
        "  %1    = LoadState.u64 rsp\n"
        "  %2    = Sub.u64 %1, 0x8\n"
        "          Store %2, %0, 0x1\n"
        "          StoreState.u64 rsp %2\n"
        "  jump 0x401001\n");
    // call rel32: pushes the next pc and ends the block with a call-hinted jump.
    CHECK(LoweredBlock({ 0xE8, 0x10, 0x00, 0x00, 0x00 }).text() ==
        "block 0x401000 mode 0x5c, 1 guest insns\n"
        " ; 0x401000\n"
        "  %0    = LoadState.u64 rsp\n"
        "  %1    = Sub.u64 %0, 0x8\n"
        "          Store %1, 0x401005, 0x1\n"
        "          StoreState.u64 rsp %1\n"
        "  jump 0x401015 (call, returns to 0x401005)\n");
    // ret: a non-canonical return address raises #GP(0) (0x1000000000d: vector 13 with an
    // error code of 0) before RSP moves (SDM vol. 2, RET).
    CHECK(LoweredBlock({ 0xC3 }).text() ==
        "block 0x401000 mode 0x5c, 1 guest insns\n"
        " ; 0x401000\n"
        "  %0    = LoadState.u64 rsp\n"
        "  %1    = Load.u64 %0, 0x1\n"
        "  %2    = Add.u64 %1, 0x800000000000\n"
        "  %3    = Shr.u64 %2, 0x30\n"
        "  %4    = Equal %3, 0x0\n"
        "  %5    = Xor %4, 0x1\n"
        "          TrapIf %5, 0x1000000000d\n"
        "  %7    = Add.u64 %0, 0x8\n"
        "          StoreState.u64 rsp %7\n"
        "  jump_indirect %1 (return)\n");
    // sub ecx, edx; jb: a 32-bit result zero-extends into RCX; the branch reads the flags.
    CHECK(LoweredBlock({ 0x29, 0xD1, 0x72, 0x10 }).text() ==
        "block 0x401000 mode 0x5c, 2 guest insns\n"
        " ; 0x401000\n"
        "  %0    = LoadState.u32 ecx\n"
        "  %1    = LoadState.u32 edx\n"
        "  %2    = Sub.u32 %0, %1\n"
        "  %3    = FlagsOf %2\n"
        "  %4    = ZeroExtend.u64 %2\n"
        "          StoreState.u64 rcx %4\n"
        "          StoreFlags %3, {CPAZSO}\n"
        " ; 0x401002\n"
        "  %7    = LoadFlags\n"
        "  %8    = TestCond b %7\n"
        "  branch %8 ? 0x401014 : 0x401004\n");
}

TEST_CASE("x86 lowering: memory operands, addresses and sizes", "[x86][lowering]")
{
    SECTION("mov eax, [rsi+rdi*4+0x10]: a 32-bit load, zero-extended into RAX")
    {
        LoweredBlock l({ 0x8B, 0x44, 0xBE, 0x10 });
        const ir::Inst& load = l.only(Opcode::Load);
        CHECK(load.type == Type::U32);
        CHECK(load.args[1].imm_value() == 0);
        CHECK(l.count(Opcode::Store) == 0);
        // address = (rsi + (rdi << 2)) + 0x10
        const ir::Inst& plus_disp = l.def(load.args[0]);
        REQUIRE(plus_disp.op == Opcode::Add);
        CHECK(plus_disp.args[1] == Value::imm(Type::U64, 0x10));
        const ir::Inst& sum = l.def(plus_disp.args[0]);
        REQUIRE(sum.op == Opcode::Add);
        CHECK(l.is_state_load(sum.args[0], off::gpr(x86::RSI), Type::U64));
        const ir::Inst& scaled = l.def(sum.args[1]);
        CHECK(scaled.op == Opcode::Shl);
        CHECK(l.is_state_load(scaled.args[0], off::gpr(x86::RDI), Type::U64));
        CHECK(scaled.args[1].imm_value() == 2);
        const ir::Inst& widened = l.def(l.stored(off::gpr(x86::RAX)));
        CHECK(widened.op == Opcode::ZeroExtend);
        CHECK(widened.type == Type::U64);
        CHECK(&l.def(widened.args[0]) == &load);
    }
    SECTION("lea rdx, [rax+rcx*8-4]: the address, no memory access")
    {
        LoweredBlock l({ 0x48, 0x8D, 0x54, 0xC8, 0xFC });
        CHECK(l.count(Opcode::Load) == 0);
        CHECK(l.count(Opcode::Store) == 0);
        const ir::Inst& address = l.def(l.stored(off::gpr(x86::RDX)));
        CHECK(address.op == Opcode::Add);
        CHECK(address.args[1] == Value::imm(Type::U64, u64(-4)));
    }
    SECTION("lea r8d, [r9+rax*4+8]: a 32-bit destination takes the sum of the registers' low halves")
    {
        LoweredBlock l({ 0x45, 0x8D, 0x44, 0x81, 0x08 });
        const ir::Inst& widened = l.def(l.stored(off::gpr(x86::R8)));
        REQUIRE(widened.op == Opcode::ZeroExtend);
        const ir::Inst& sum = l.def(widened.args[0]);
        CHECK(sum.op == Opcode::Add);
        CHECK(sum.type == Type::U32);
        CHECK(sum.args[1] == Value::imm(Type::U32, 8));
        const ir::Inst& inner = l.def(sum.args[0]);
        REQUIRE(inner.op == Opcode::Add);
        CHECK(l.is_state_load(inner.args[0], off::gpr(x86::R9), Type::U32));
        const ir::Inst& scaled = l.def(inner.args[1]);
        CHECK(scaled.op == Opcode::Shl);
        CHECK(l.is_state_load(scaled.args[0], off::gpr(x86::RAX), Type::U32));
    }
    SECTION("movzx ecx, byte [rdx]: a byte load, extended to 32 then 64 bits")
    {
        LoweredBlock l({ 0x0F, 0xB6, 0x0A });
        const ir::Inst& load = l.only(Opcode::Load);
        CHECK(load.type == Type::U8);
        CHECK(l.is_state_load(load.args[0], off::gpr(x86::RDX), Type::U64));
        const ir::Inst& to64 = l.def(l.stored(off::gpr(x86::RCX)));
        REQUIRE(to64.op == Opcode::ZeroExtend);
        const ir::Inst& to32 = l.def(to64.args[0]);
        CHECK(to32.op == Opcode::ZeroExtend);
        CHECK(to32.type == Type::U32);
        CHECK(&l.def(to32.args[0]) == &load);
    }
    SECTION("inc byte [rdi]: byte read-modify-write, CF not written (SDM vol. 2, INC)")
    {
        LoweredBlock l({ 0xFE, 0x07 });
        const ir::Inst& load = l.only(Opcode::Load);
        const ir::Inst& store = l.only(Opcode::Store);
        CHECK(load.type == Type::U8);
        CHECK(store.args[0] == load.args[0]);
        CHECK(l.def(store.args[1]).op == Opcode::Inc);
        CHECK(store.args[1].type() == Type::U8);
        CHECK(l.only(Opcode::StoreFlags).args[1].imm_value() == ir::flag::AllButCF);
    }
    SECTION("mov ah, bl: the high byte of RAX")
    {
        LoweredBlock l({ 0x88, 0xDC });
        CHECK(l.is_state_load(l.stored(off::gpr(x86::RAX) + 1), off::gpr(x86::RBX), Type::U8));
    }
    SECTION("pop r12: a stack load; RSP + 8")
    {
        LoweredBlock l({ 0x41, 0x5C });
        const ir::Inst& load = l.only(Opcode::Load);
        CHECK(load.type == Type::U64);
        CHECK(load.args[1].imm_value() == access_flag::stack);
        CHECK(l.is_state_load(load.args[0], off::gpr(x86::RSP), Type::U64));
        CHECK(&l.def(l.stored(off::gpr(x86::R12))) == &load);
        const ir::Inst& rsp = l.def(l.stored(off::gpr(x86::RSP)));
        CHECK(rsp.op == Opcode::Add);
        CHECK(rsp.args[1] == Value::imm(Type::U64, 8));
    }
}

TEST_CASE("x86 lowering: flags, shifts and conditional moves", "[x86][lowering]")
{
    SECTION("imul rax, rcx: the low half, all status flags stored")
    {
        LoweredBlock l({ 0x48, 0x0F, 0xAF, 0xC1 });
        const ir::Inst& flags_of = l.only(Opcode::FlagsOf);
        CHECK(l.def(flags_of.args[0]).op == Opcode::Mul);
        CHECK(l.only(Opcode::StoreFlags).args[1].imm_value() == ir::flag::All);
        CHECK(l.def(l.stored(off::gpr(x86::RAX))).op == Opcode::Mul);
    }
    SECTION("shl eax, 3: a constant non-zero count needs no incoming flags")
    {
        LoweredBlock l({ 0xC1, 0xE0, 0x03 });
        const ir::Inst& shl = l.only(Opcode::Shl);
        CHECK(shl.type == Type::U32);
        CHECK(shl.args[1] == Value::imm(Type::U8, 3));
        CHECK(shl.args[2].is_none());
        CHECK(l.count(Opcode::LoadFlags) == 0);
    }
    SECTION("shr rdx, cl: a count of 0 keeps the flags, so they go in")
    {
        LoweredBlock l({ 0x48, 0xD3, 0xEA });
        const ir::Inst& shr = l.only(Opcode::Shr);
        CHECK(shr.type == Type::U64);
        CHECK(l.is_state_load(shr.args[1], off::gpr(x86::RCX), Type::U8));
        REQUIRE(shr.args[2].is_inst());
        CHECK(l.def(shr.args[2]).op == Opcode::LoadFlags);
    }
    SECTION("cmovl rax, rbx: a selection on SF != OF, flags unchanged")
    {
        LoweredBlock l({ 0x48, 0x0F, 0x4C, 0xC3 });
        const ir::Inst& cond = l.only(Opcode::TestCond);
        CHECK(cond.args[0].imm_value() == static_cast<u64>(ir::Cond::L));
        const ir::Inst& select = l.def(l.stored(off::gpr(x86::RAX)));
        REQUIRE(select.op == Opcode::Select);
        CHECK(&l.def(select.args[0]) == &cond);
        CHECK(l.is_state_load(select.args[1], off::gpr(x86::RBX), Type::U64));
        CHECK(l.is_state_load(select.args[2], off::gpr(x86::RAX), Type::U64));
        CHECK(l.count(Opcode::StoreFlags) == 0);
    }
}

TEST_CASE("x86 lowering: where blocks end and what comes next", "[x86][lowering]")
{
    auto insns = [](const LoweredBlock& l) { return l.block.guest_insns.size(); };
    SECTION("jne to itself: a branch with both targets")
    {
        LoweredBlock l({ 0x75, 0xFE });
        CHECK(l.block.terminal.kind == ir::TerminalKind::Branch);
        CHECK(l.block.terminal.target == code_pc);
        CHECK(l.block.terminal.target_false == code_pc + 2);
        CHECK(l.def(l.block.terminal.value).args[0].imm_value() == static_cast<u64>(ir::Cond::NE));
    }
    SECTION("jmp rax: indirect, after the canonical check")
    {
        LoweredBlock l({ 0xFF, 0xE0, 0x90 });
        CHECK(insns(l) == 1);
        CHECK(l.block.terminal.kind == ir::TerminalKind::JumpIndirect);
        CHECK(l.is_state_load(l.block.terminal.value, off::gpr(x86::RAX), Type::U64));
        CHECK(l.count(Opcode::TrapIf) == 1);
    }
    SECTION("a block stops after its branch")
    {
        LoweredBlock l({ 0x48, 0x83, 0xC0, 0x01, 0xEB, 0x00, 0x90 }); // add rax, 1; jmp +0; nop
        CHECK(insns(l) == 2);
        CHECK(l.block.guest_insns[1].pc == code_pc + 4);
        CHECK(l.block.guest_insns[1].length == 2);
        CHECK(l.block.terminal.kind == ir::TerminalKind::Jump);
        CHECK(l.block.terminal.target == code_pc + 6);
    }
    SECTION("the instruction cap")
    {
        LoweredBlock l({ 0x90, 0x90, 0x90, 0x90 }, 2);
        CHECK(insns(l) == 2);
        CHECK(l.block.terminal.kind == ir::TerminalKind::Jump);
        CHECK(l.block.terminal.target == code_pc + 2);
    }
    SECTION("the page boundary")
    {
        LoweredBlock l({ 0x90, 0x90, 0x90, 0x90 }, 64, 0x401FFE);
        CHECK(insns(l) == 2);
        CHECK(l.block.terminal.target == 0x402000);
    }
    SECTION("hlt: a halt exit to the next instruction")
    {
        LoweredBlock l({ 0xF4 });
        CHECK(l.block.terminal.kind == ir::TerminalKind::Exit);
        CHECK(l.block.terminal.reason == ir::ExitReason::Halt);
        CHECK(l.block.terminal.has_target);
        CHECK(l.block.terminal.target == code_pc + 1);
    }
    SECTION("ud2, and an opcode invalid in 64-bit mode (push es): #UD")
    {
        for (const std::vector<u8>& bytes : { std::vector<u8> { 0x0F, 0x0B }, std::vector<u8> { 0x06 } }) {
            LoweredBlock l(bytes);
            const ir::Inst& call = l.only(Opcode::CallHelper);
            CHECK(l.calls(call, x86::helpers::raise_exception));
            CHECK(call.args[1] == Value::imm(Type::U64, x86::vector::UD));
            CHECK(l.block.terminal.kind == ir::TerminalKind::Exit);
            CHECK(l.block.terminal.reason == ir::ExitReason::Dispatch);
        }
    }
    SECTION("longer than 15 bytes: #GP(0) (SDM vol. 2 §2.3.11)")
    {
        std::vector<u8> bytes(15, 0x66); // operand-size prefixes, then nop: 16 bytes
        bytes.push_back(0x90);
        LoweredBlock l(bytes);
        const ir::Inst& call = l.only(Opcode::CallHelper);
        CHECK(l.calls(call, x86::helpers::raise_exception));
        CHECK(call.args[1] == Value::imm(Type::U64, x86::vector::GP));
        CHECK(call.args[2] == Value::imm(Type::U64, 1)); // with an error code
        CHECK(call.args[3] == Value::imm(Type::U64, 0));
    }
    SECTION("an instruction cut off by unfetchable memory")
    {
        LoweredBlock first({ 0x48 }); // a REX prefix, then nothing: #PF at the missing byte
        const ir::Inst& call = first.only(Opcode::CallHelper);
        CHECK(first.calls(call, x86::helpers::raise_fetch_fault));
        CHECK(call.args[1] == Value::imm(Type::U64, code_pc + 1));
        LoweredBlock later({ 0x90, 0x48 }); // after a complete one: the next block takes the fault
        CHECK(insns(later) == 1);
        CHECK(later.count(Opcode::CallHelper) == 0);
        CHECK(later.block.terminal.target == code_pc + 1);
    }
    SECTION("real-mode code is decoded as 16-bit code; CS.D makes it 32-bit")
    {
        // B8 iw: mov ax, imm16 (3 bytes), then hlt; with CS.D, B8 id swallows the HLT.
        constexpr u64 ip = 0x1000; // within the 64 KiB IP wraps at
        LoweredBlock real({ 0xB8, 0x34, 0x12, 0xF4 }, 64, ip, 0);
        REQUIRE(real.translated);
        CHECK(insns(real) == 2);
        LoweredBlock real32({ 0xB8, 0x34, 0x12, 0xF4, 0x90, 0xF4 }, 64, ip, x86::mode::code32);
        REQUIRE(real32.translated);
        CHECK(insns(real32) == 2);
        CHECK(real32.text().find("0x90f41234") != std::string::npos); // mov eax, imm32
    }
}

TEST_CASE("x86 lowering: string instructions", "[x86][lowering]")
{
    SECTION("movsq: one iteration inline, the step signed by DF")
    {
        LoweredBlock l({ 0x48, 0xA5 });
        const ir::Inst& df = l.only(Opcode::Bt);
        CHECK(l.is_state_load(df.args[0], off::rflags, Type::U64));
        CHECK(df.args[1].imm_value() == 10); // RFLAGS.DF
        const ir::Inst& load = l.only(Opcode::Load);
        const ir::Inst& store = l.only(Opcode::Store);
        CHECK(load.type == Type::U64);
        CHECK(l.is_state_load(load.args[0], off::gpr(x86::RSI), Type::U64));
        CHECK(l.is_state_load(store.args[0], off::gpr(x86::RDI), Type::U64));
        CHECK(&l.def(store.args[1]) == &load);
        const ir::Inst& step = l.only(Opcode::Select);
        CHECK(step.args[1] == Value::imm(Type::U64, u64(-8)));
        CHECK(step.args[2] == Value::imm(Type::U64, 8));
        for (x86::Gpr g : { x86::RSI, x86::RDI }) {
            const ir::Inst& advanced = l.def(l.stored(off::gpr(g)));
            CHECK(advanced.op == Opcode::Add);
            CHECK(&l.def(advanced.args[1]) == &step);
        }
    }
    SECTION("rep movsb: the rep_string helper, described")
    {
        LoweredBlock l({ 0xF3, 0xA4 });
        const ir::Inst& call = l.only(Opcode::CallHelper);
        REQUIRE(l.calls(call, x86::helpers::rep_string));
        x86::string_op::Description d = x86::string_op::decode(call.args[1].imm_value());
        CHECK(d.kind == x86::string_op::Movs);
        CHECK(d.repeat == x86::string_op::Rep);
        CHECK(d.size == 1);
        CHECK_FALSE(d.address32);
        CHECK(d.source_segment == x86::DS);
        CHECK(call.args[2] == Value::imm(Type::U64, 2)); // the instruction's length
        CHECK(l.count(Opcode::Load) + l.count(Opcode::Store) == 0);
    }
}

namespace {
// Every HostInsn of the block in order, as one: an instruction's own bytes, then the
// deferred XMM stores the block's end writes (docs/sse.md).
HostCode all_host_code(const LoweredBlock& l)
{
    HostCode all;
    for (u32 i : l.all(Opcode::HostInsn)) {
        HostCode one = decode_host(l.block, l.block.insts[i]);
        all.mnemonics.insert(all.mnemonics.end(), one.mnemonics.begin(), one.mnemonics.end());
        all.displacements.insert(all.displacements.end(), one.displacements.begin(), one.displacements.end());
        all.stores.insert(all.stores.end(), one.stores.begin(), one.stores.end());
    }
    return all;
}
} // namespace

TEST_CASE("x86 lowering: SSE instructions become host instructions on the state", "[x86][lowering]")
{
    SECTION("movaps xmm0, [rax]: alignment check, then the operand read where it is, through a HostPointer in RAX")
    {
        LoweredBlock l({ 0x0F, 0x28, 0x00 });
        // A misaligned 16-byte operand raises #GP(0) first (SDM vol. 2, MOVAPS).
        const ir::Inst& trap = l.only(Opcode::TrapIf);
        CHECK(trap.args[1].imm_value() == (x86::vector::GP | (1ull << 40)));
        CHECK(l.count(Opcode::Load) == 0);
        const ir::Inst& pointer = l.only(Opcode::HostPointer);
        CHECK(l.is_state_load(pointer.args[0], off::gpr(x86::RAX), Type::U64));
        CHECK(pointer.args[2].imm_value() == (16ull << 32 | off::vector_temp)); // 16 bytes; vector_temp on a miss
        // The instruction's bytes, then (a separate HostInsn) its store of XMM0, deferred
        // to the block's end.
        REQUIRE(l.count(Opcode::HostInsn) == 2);
        const ir::Inst& host_insn = l.block.insts[l.all(Opcode::HostInsn)[0]];
        CHECK(l.block.resolve(host_insn.args[1]) == Value::of_inst(Type::U64, l.all(Opcode::HostPointer)[0]));
        HostCode host = all_host_code(l);
        // MOVAPS writes all of XMM0: its old value is not loaded first.
        CHECK(host.mnemonics == std::vector<ZydisMnemonic> { ZYDIS_MNEMONIC_MOVAPS, ZYDIS_MNEMONIC_MOVDQU });
        CHECK(host.displacements == std::vector<i64> { HostCode::at_rax, off::xmm(0) });
    }
    SECTION("movlps xmm0, [rax]: writes half of XMM0, so XMM0 is loaded first")
    {
        LoweredBlock l({ 0x0F, 0x12, 0x00 });
        HostCode host = all_host_code(l);
        REQUIRE(!host.displacements.empty());
        CHECK(host.displacements.front() == off::xmm(0));
        CHECK(host.displacements.back() == off::xmm(0));
    }
    SECTION("movaps [rax], xmm0: written where it is, through a HostPointer for writing; without direct stores through vector_temp")
    {
        LoweredBlock l({ 0x0F, 0x29, 0x00 });
        CHECK(l.count(Opcode::TrapIf) == 1); // alignment
        CHECK(l.count(Opcode::Store) == 0);
        const ir::Inst& pointer = l.only(Opcode::HostPointer);
        CHECK(pointer.args[2].imm_value() == (16ull << 32 | off::vector_temp | ir::host_pointer_write));
        HostCode host = decode_host(l.block, l.only(Opcode::HostInsn));
        CHECK(host.mnemonics == std::vector<ZydisMnemonic> { ZYDIS_MNEMONIC_MOVDQU, ZYDIS_MNEMONIC_MOVAPS });
        CHECK(host.displacements == std::vector<i64> { off::xmm(0), HostCode::at_rax });

        // The one-instruction block that runs it again when the bytes were not plain RAM.
        LoweredBlock again({ 0x0F, 0x29, 0x00 }, 1, unit::code_pc, unit::mode64, false);
        CHECK(again.count(Opcode::HostPointer) == 0);
        CHECK(again.count(Opcode::Store) == 2); // vector_temp's two halves through the softMMU
        HostCode slow = decode_host(again.block, again.only(Opcode::HostInsn));
        CHECK(slow.displacements == std::vector<i64> { off::xmm(0), off::vector_temp });
    }
    SECTION("mulps xmm0, [rax]: under the guest's MXCSR (whose bytes use EAX), the operand through vector_temp")
    {
        LoweredBlock l({ 0x0F, 0x59, 0x00 });
        CHECK(l.count(Opcode::HostPointer) == 0);
        std::vector<u32> loads = l.all(Opcode::Load);
        REQUIRE(loads.size() == 2);
        for (u32 i : loads)
            CHECK(l.block.insts[i].type == Type::U64);
        CHECK(l.is_state_load(l.block.insts[loads[0]].args[0], off::gpr(x86::RAX), Type::U64));
        CHECK(l.stored(off::vector_temp) == Value::of_inst(Type::U64, loads[0]));
        CHECK(l.stored(off::vector_temp + 8) == Value::of_inst(Type::U64, loads[1]));
        // The operand into XMM3 in the halves the softMMU wrote (store-forwarded), and the
        // register form of the instruction on it.
        HostCode host = decode_host(l.block, l.only(Opcode::HostInsn));
        std::vector<ZydisMnemonic> m = host.mnemonics;
        REQUIRE(std::find(m.begin(), m.end(), ZYDIS_MNEMONIC_MULPS) != m.end());
        CHECK(std::find(m.begin(), m.end(), ZYDIS_MNEMONIC_PINSRQ) == std::find(m.begin(), m.end(), ZYDIS_MNEMONIC_MOVQ) + 1);
        CHECK(std::find(host.displacements.begin(), host.displacements.end(), off::vector_temp + 8) != host.displacements.end());
    }
    SECTION("lddqu xmm0, [rax]: any alignment, read through a HostPointer (a page-crossing one takes its cold path)")
    {
        LoweredBlock l({ 0xF2, 0x0F, 0xF0, 0x00 });
        CHECK(l.count(Opcode::TrapIf) == 0); // LDDQU takes any alignment
        CHECK(l.count(Opcode::HostPointer) == 1);
        HostCode host = all_host_code(l);
        CHECK(host.mnemonics == std::vector<ZydisMnemonic> { ZYDIS_MNEMONIC_LDDQU, ZYDIS_MNEMONIC_MOVDQU });
        CHECK(host.displacements == std::vector<i64> { HostCode::at_rax, off::xmm(0) });
    }
    SECTION("addsd xmm2, xmm3: both registers loaded, the destination stored, under the guest's MXCSR")
    {
        LoweredBlock l({ 0xF2, 0x0F, 0x58, 0xD3 });
        CHECK(l.count(Opcode::Load) == 0);
        HostCode host = decode_host(l.block, l.only(Opcode::HostInsn));
        // The host's MXCSR saved, the guest's loaded (flags cleared, exceptions masked); after
        // the instruction its flags kept and the host's MXCSR back (docs/sse.md).
        CHECK(host.mnemonics
            == std::vector<ZydisMnemonic> { ZYDIS_MNEMONIC_STMXCSR, ZYDIS_MNEMONIC_MOV, ZYDIS_MNEMONIC_AND, ZYDIS_MNEMONIC_OR,
                ZYDIS_MNEMONIC_MOV, ZYDIS_MNEMONIC_LDMXCSR, ZYDIS_MNEMONIC_MOVDQU, ZYDIS_MNEMONIC_MOVDQU, ZYDIS_MNEMONIC_ADDSD,
                ZYDIS_MNEMONIC_STMXCSR, ZYDIS_MNEMONIC_LDMXCSR, ZYDIS_MNEMONIC_MOVDQU });
        CHECK(host.displacements
            == std::vector<i64> { off::mxcsr_host, off::mxcsr, off::mxcsr_run, off::mxcsr_run, off::xmm(2), off::xmm(3),
                off::mxcsr_run, off::mxcsr_host, off::xmm(2) });
        // Then: the flags into the guest's MXCSR, the destination put back on an unmasked
        // exception, #XM (CR4.OSXMMEXCPT) or #UD.
        std::vector<u32> traps = l.all(Opcode::TrapIf);
        REQUIRE(traps.size() == 2);
        CHECK((l.block.insts[traps[0]].args[1].imm_value() & 0xFF) == x86::vector::XM);
        CHECK((l.block.insts[traps[1]].args[1].imm_value() & 0xFF) == x86::vector::UD);
        CHECK(l.count(Opcode::Select) == 3); // xmm2's two halves, and #XM's condition
    }
    SECTION("paddd xmm0, xmm1: integer SIMD, no MXCSR (SDM vol. 2 §2.4, exception type 4)")
    {
        // It cannot fault: its store of xmm0 is left to what follows, here the block's end.
        LoweredBlock l({ 0x66, 0x0F, 0xFE, 0xC1 });
        std::vector<u32> insns = l.all(Opcode::HostInsn);
        REQUIRE(insns.size() == 2);
        HostCode host = decode_host(l.block, l.block.insts[insns[0]]);
        CHECK(host.mnemonics == std::vector<ZydisMnemonic> { ZYDIS_MNEMONIC_MOVDQU, ZYDIS_MNEMONIC_MOVDQU, ZYDIS_MNEMONIC_PADDD });
        HostCode flush = decode_host(l.block, l.block.insts[insns[1]]);
        CHECK(flush.mnemonics == std::vector<ZydisMnemonic> { ZYDIS_MNEMONIC_MOVDQU });
        CHECK(flush.displacements == std::vector<i64> { off::xmm(0) });
        CHECK(l.count(Opcode::TrapIf) == 0);
    }
    SECTION("paddd xmm0, xmm1 / psubd xmm0, xmm2 / pxor xmm3, xmm0: each register stored once, at the end")
    {
        LoweredBlock l({ 0x66, 0x0F, 0xFE, 0xC1, 0x66, 0x0F, 0xFA, 0xC2, 0x66, 0x0F, 0xEF, 0xD8 });
        std::vector<u32> insns = l.all(Opcode::HostInsn);
        std::vector<i64> stores;
        for (u32 i : insns) {
            HostCode host = decode_host(l.block, l.block.insts[i]);
            stores.insert(stores.end(), host.stores.begin(), host.stores.end());
        }
        CHECK(stores == std::vector<i64> { off::xmm(0), off::xmm(3) });
    }
    SECTION("paddd xmm0, xmm1 / paddd xmm2, xmm3 / paddd xmm0, xmm2: xmm0's first store stays deferred past the second and is dropped")
    {
        LoweredBlock l({ 0x66, 0x0F, 0xFE, 0xC1, 0x66, 0x0F, 0xFE, 0xD3, 0x66, 0x0F, 0xFE, 0xC2 });
        std::vector<i64> stores;
        for (u32 i : l.all(Opcode::HostInsn)) {
            HostCode host = decode_host(l.block, l.block.insts[i]);
            stores.insert(stores.end(), host.stores.begin(), host.stores.end());
        }
        CHECK(stores == std::vector<i64> { off::xmm(0), off::xmm(2) });
    }
    SECTION("paddd xmm0, xmm1 / paddd xmm2, [rsi]: the deferred store comes before the access that may fault")
    {
        // The second reads memory before its bytes run, so its own store is deferred too
        // (to the block's end here).
        LoweredBlock l({ 0x66, 0x0F, 0xFE, 0xC1, 0x66, 0x0F, 0xFE, 0x16 });
        std::vector<u32> insns = l.all(Opcode::HostInsn);
        REQUIRE(insns.size() == 4);
        CHECK(decode_host(l.block, l.block.insts[insns[3]]).stores == std::vector<i64> { off::xmm(2) });
        HostCode flush = decode_host(l.block, l.block.insts[insns[1]]);
        CHECK(flush.mnemonics == std::vector<ZydisMnemonic> { ZYDIS_MNEMONIC_MOVDQU });
        CHECK(flush.displacements == std::vector<i64> { off::xmm(0) });
        std::vector<u32> pointers = l.all(Opcode::HostPointer);
        REQUIRE(pointers.size() == 1);
        CHECK(insns[1] < pointers[0]);
        CHECK(pointers[0] < insns[2]);
    }
    SECTION("paddd xmm0, xmm1 / movdqa [rdi], xmm0: a store to memory stores the registers first and defers nothing")
    {
        LoweredBlock l({ 0x66, 0x0F, 0xFE, 0xC1, 0x66, 0x0F, 0x7F, 0x07 });
        std::vector<u32> insns = l.all(Opcode::HostInsn);
        REQUIRE(insns.size() == 3);
        CHECK(decode_host(l.block, l.block.insts[insns[1]]).stores == std::vector<i64> { off::xmm(0) });
        CHECK(decode_host(l.block, l.block.insts[insns[2]]).stores == std::vector<i64> { HostCode::at_rax });
    }
}
