#pragma once
// One guest block lowered by the x86 frontend alone (X86Arch::translate_block, no engine,
// no guest memory: the code comes from a byte array), with the queries the lowering tests
// ask of its IR. For x86_lowering_test.cpp.
#include <catch2/catch.hpp>
#include <Zydis/Zydis.h>
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>
#include "dbt/ir/passes/passes.h"
#include "dbt/ir/printer.h"
#include "plugins/arch/x86/x86_arch.h"

namespace keel::unit {

using ir::Opcode;
using ir::Type;
using ir::Value;

constexpr u64 code_pc = 0x401000;
constexpr u32 mode64 = x86::mode::protected_mode | x86::mode::long_mode | x86::mode::code64 | x86::mode::paging; // CPL 0

// Guest code at `base`; nothing else can be fetched.
class BytesFetcher final : public CodeFetcher {
public:
    BytesFetcher(u64 base, const std::vector<u8>& bytes) : m_base(base), m_bytes(bytes) {}
    usize fetch(u64 vaddr, u8* out, usize length) override
    {
        if (vaddr < m_base || vaddr >= m_base + m_bytes.size())
            return 0;
        usize n = std::min<usize>(length, m_base + m_bytes.size() - vaddr);
        std::memcpy(out, m_bytes.data() + (vaddr - m_base), n);
        return n;
    }

private:
    u64 m_base;
    std::vector<u8> m_bytes;
};

inline x86::X86Arch& arch()
{
    static x86::X86Arch instance;
    return instance;
}

// One block lowered from `bytes` at `pc`, as the engine asks for it; the verifier must
// accept it.
struct LoweredBlock {
    explicit LoweredBlock(const std::vector<u8>& bytes, u32 max_instructions = 64, u64 pc = code_pc, u32 mode = mode64, bool direct_stores = true)
    {
        BytesFetcher fetcher(pc, bytes);
        block.pc = pc;
        block.mode = mode;
        ir::Builder builder(block);
        translated = arch().translate_block({ pc, pc, mode, max_instructions, &fetcher, false, direct_stores }, builder);
        if (!translated)
            return;
        auto r = ir::check(block);
        if (r.is_error())
            FAIL(r.error().message() << "\n" << text());
    }

    std::string text() const
    {
        StringBuilder out;
        ir::print_block(out, block, arch().state_namer());
        return out.c_str();
    }
    std::vector<u32> all(Opcode op) const
    {
        std::vector<u32> found;
        for (u32 i = 0; i < block.insts.size(); ++i) {
            if (block.insts[i].op == op)
                found.push_back(i);
        }
        return found;
    }
    usize count(Opcode op) const { return all(op).size(); }
    // The one instruction with opcode `op`.
    const ir::Inst& only(Opcode op) const
    {
        std::vector<u32> found = all(op);
        INFO(text());
        REQUIRE(found.size() == 1);
        return block.insts[found[0]];
    }
    const ir::Inst& def(Value v) const
    {
        INFO(text());
        REQUIRE(v.is_inst());
        return block.at(v);
    }
    bool is_state_load(Value v, u32 offset, Type type) const
    {
        return v.is_inst() && def(v).op == Opcode::LoadState && def(v).args[0].imm_value() == offset && def(v).type == type;
    }
    // The value of the one StoreState to `offset`.
    Value stored(u32 offset) const
    {
        Value found;
        unsigned n = 0;
        for (const ir::Inst& inst : block.insts) {
            if (inst.op == Opcode::StoreState && inst.args[0].imm_value() == offset) {
                found = inst.args[1];
                ++n;
            }
        }
        INFO("stores to state offset " << offset << "\n" << text());
        REQUIRE(n == 1);
        return found;
    }
    bool calls(const ir::Inst& inst, const ir::Helper& helper) const
    {
        return inst.op == Opcode::CallHelper && inst.args[0].imm_value() == reinterpret_cast<uptr>(&helper);
    }

    ir::Block block;
    bool translated = false;
};

// Mnemonics and memory displacements of a HostInsn's ready-made host code.
struct HostCode {
    std::vector<ZydisMnemonic> mnemonics;
    std::vector<i64> displacements; // of each memory operand, in order; at_rax for [rax]
    std::vector<i64> stores;        // of each memory destination (a store), in order
    static constexpr i64 at_rax = -1;   // guest memory through a HostPointer (docs/sse.md)
};
inline HostCode decode_host(const ir::Block& b, const ir::Inst& host_insn)
{
    u64 where = ir::host_insn_code(host_insn.args[0].imm_value());
    usize start = where >> 8, end = start + (where & 0xFF);
    REQUIRE(end <= b.host_code.size());
    ZydisDecoder decoder;
    ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    HostCode code;
    for (usize at = start; at < end;) {
        ZydisDecodedInstruction insn;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        REQUIRE(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, b.host_code.data() + at, end - at, &insn, ops)));
        code.mnemonics.push_back(insn.mnemonic);
        for (unsigned i = 0; i < insn.operand_count_visible; ++i) {
            if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY) {
                if (ops[i].mem.base == ZYDIS_REGISTER_RAX && ops[i].mem.disp.value == 0) {
                    code.displacements.push_back(HostCode::at_rax);
                    if (i == 0 && (ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
                        code.stores.push_back(HostCode::at_rax);
                    continue;
                }
                CHECK(ops[i].mem.base == ZYDIS_REGISTER_RBP); // the guest state base
                code.displacements.push_back(ops[i].mem.disp.value);
                if (i == 0 && (ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
                    code.stores.push_back(ops[i].mem.disp.value);
            }
        }
        at += insn.length;
    }
    return code;
}

} // namespace keel::unit
