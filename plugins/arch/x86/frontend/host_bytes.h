#pragma once
// Host instruction bytes for ir::HostInsn (docs/sse.md, docs/x87.md): guest instructions
// that keel runs as the same host instruction, re-encoded with Zydis' encoder to address
// the guest state through RBP (the backend's state base).
#include <Zydis/Zydis.h>
#include <initializer_list>
#include "dbt/base/types.h"

namespace keel::x86 {

// Byte sequences built with Zydis' encoder.
class HostBytes {
public:
    bool add(const ZydisEncoderRequest& request)
    {
        ZyanUSize length = sizeof(m_bytes) - m_length;
        if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(&request, m_bytes + m_length, &length)))
            return false;
        m_length += static_cast<u32>(length);
        return true;
    }
    // MOVDQU between a host XMM register and [rbp + offset].
    bool move_xmm(unsigned host_xmm, u32 offset, bool to_state)
    {
        ZydisEncoderRequest r = request(ZYDIS_MNEMONIC_MOVDQU, 2);
        ZydisEncoderOperand& reg = r.operands[to_state ? 1 : 0];
        ZydisEncoderOperand& mem = r.operands[to_state ? 0 : 1];
        set_register(reg, static_cast<ZydisRegister>(ZYDIS_REGISTER_XMM0 + host_xmm));
        set_state(mem, offset, 16);
        return add(r);
    }
    // The 16 bytes at [rbp + offset] into a host XMM register as two 8-byte loads (MOVQ,
    // PINSRQ): each is forwarded from one of the two 8-byte stores that wrote them, where
    // a 16-byte load of two stores waits for both to reach the cache.
    bool load_xmm_in_halves(unsigned host_xmm, u32 offset)
    {
        ZydisRegister reg = static_cast<ZydisRegister>(ZYDIS_REGISTER_XMM0 + host_xmm);
        ZydisEncoderRequest low = request(ZYDIS_MNEMONIC_MOVQ, 2);
        set_register(low.operands[0], reg);
        set_state(low.operands[1], offset, 8);
        ZydisEncoderRequest high = request(ZYDIS_MNEMONIC_PINSRQ, 3);
        set_register(high.operands[0], reg);
        set_state(high.operands[1], offset + 8, 8);
        high.operands[2].type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
        high.operands[2].imm.u = 1;
        return add(low) && add(high);
    }
    // MOVAPS between two host XMM registers (all 128 bits).
    bool copy_xmm(unsigned to, unsigned from)
    {
        ZydisEncoderRequest r = request(ZYDIS_MNEMONIC_MOVAPS, 2);
        set_register(r.operands[0], static_cast<ZydisRegister>(ZYDIS_REGISTER_XMM0 + to));
        set_register(r.operands[1], static_cast<ZydisRegister>(ZYDIS_REGISTER_XMM0 + from));
        return add(r);
    }
    // MOV between a 64-bit host register and [rbp + offset].
    bool move_gpr(ZydisRegister reg64, u32 offset, bool to_state)
    {
        ZydisEncoderRequest r = request(ZYDIS_MNEMONIC_MOV, 2);
        set_state(r.operands[to_state ? 0 : 1], offset, 8);
        set_register(r.operands[to_state ? 1 : 0], reg64);
        return add(r);
    }
    bool move_rax(u32 offset, bool to_state) { return move_gpr(ZYDIS_REGISTER_RAX, offset, to_state); }
    // PUSH/POP of RCX or RDX (50+r, 58+r): host registers the backend allocates, kept
    // across an instruction that needs them (PCMPESTRI's EDX and ECX, CRC32's source).
    bool push(ZydisRegister reg64) { return raw({ static_cast<u8>(0x50 + (reg64 - ZYDIS_REGISTER_RAX)) }); }
    bool pop(ZydisRegister reg64) { return raw({ static_cast<u8>(0x58 + (reg64 - ZYDIS_REGISTER_RAX)) }); }
    // Bytes used as they are (fixed encodings).
    bool raw(std::initializer_list<u8> bytes)
    {
        if (m_length + bytes.size() > sizeof(m_bytes))
            return false;
        for (u8 b : bytes)
            m_bytes[m_length++] = b;
        return true;
    }
    // An instruction with one [rbp + disp32] operand, ModRM reg field `digit` (REX.W when
    // `rex_w`): FXSAVE64 (0F AE /0), FXRSTOR64 (0F AE /1).
    bool rbp_operand(bool rex_w, std::initializer_list<u8> opcode, u8 digit, u32 offset)
    {
        if (rex_w && !raw({ 0x48 }))
            return false;
        if (!raw(opcode))
            return false;
        return raw({ static_cast<u8>(0x80 | digit << 3 | 5), static_cast<u8>(offset), static_cast<u8>(offset >> 8),
            static_cast<u8>(offset >> 16), static_cast<u8>(offset >> 24) });
    }
    const u8* data() const { return m_bytes; }
    u32 length() const { return m_length; }

    static void set_register(ZydisEncoderOperand& o, ZydisRegister reg)
    {
        o = ZydisEncoderOperand {};
        o.type = ZYDIS_OPERAND_TYPE_REGISTER;
        o.reg.value = reg;
    }
    // [rax]: guest memory at the host address a HostPointer put there (docs/sse.md).
    static void set_memory_at_rax(ZydisEncoderOperand& o, u16 size)
    {
        o = ZydisEncoderOperand {};
        o.type = ZYDIS_OPERAND_TYPE_MEMORY;
        o.mem.base = ZYDIS_REGISTER_RAX;
        o.mem.size = size;
    }
    static void set_state(ZydisEncoderOperand& o, u32 offset, u16 size)
    {
        o = ZydisEncoderOperand {};
        o.type = ZYDIS_OPERAND_TYPE_MEMORY;
        o.mem.base = ZYDIS_REGISTER_RBP; // the backend's state base
        o.mem.displacement = offset;
        o.mem.size = size;
    }

private:
    static ZydisEncoderRequest request(ZydisMnemonic m, u8 operands)
    {
        ZydisEncoderRequest r {};
        r.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
        r.mnemonic = m;
        r.operand_count = operands;
        return r;
    }
    u8 m_bytes[128];
    u32 m_length = 0;
};

} // namespace keel::x86
