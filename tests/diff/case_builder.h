// The state of one case while it is being generated, and the operations the plain
// generator (generator.cpp) and the snippet shapes (snippets.cpp) share: encoding at the
// right address, reading and writing registers and the data area, and building memory
// operands whose effective address lands where the case wants it.
#pragma once

#include "tests/diff/diff_case.h"
#include "tests/diff/form.h"
#include "tests/diff/rng.h"

#include <Zydis/Zydis.h>

#include <cstdint>

namespace keel::difftest {

// The Zydis register for GPR `index` (encoding order) at `bits`; `high` picks AH..BH.
ZydisRegister zydis_gpr(unsigned index, unsigned bits, bool high = false);

// A chosen register operand.
struct RegRef {
    unsigned index = 0;
    unsigned bits = 64;
    bool high = false;  // AH, CH, DH, BH
};

using RegMask = uint16_t;  // bit i = GPR i
inline constexpr RegMask reg_bit(unsigned i) { return static_cast<RegMask>(1u << i); }

// Any: drawn from every addressing form; Absolute: [disp32] or moffs only.
enum class Addressing : uint8_t { Any, Absolute };

class CaseBuilder {
public:
    CaseBuilder(const Form& form, Rng& rng, Case& out);

    Rng& rng() { return m_rng; }
    Case& result() { return m_case; }
    const Form& form() const { return m_form; }

    // A zeroed 64-bit-mode request for `mnemonic`.
    static ZydisEncoderRequest request(ZydisMnemonic mnemonic);
    // Encodes `req` at the current end of the code (relative targets and RIP-relative
    // addresses in `req` are absolute) and appends it. False if Zydis refuses.
    bool emit(ZydisEncoderRequest req);
    // Length `req` would have; 0 if it cannot be encoded.
    size_t length_of(ZydisEncoderRequest req) const;
    uint64_t here() const { return kCodeBase + m_case.code.size(); }
    // MOV of a random value into a random register other than RSP: marks which path ran.
    bool emit_marker();

    uint64_t& gpr(unsigned index) { return m_case.in.gpr[index]; }
    uint64_t read_reg(RegRef r) const;
    void write_reg(RegRef r, uint64_t value);  // the bits of r only; the rest is kept
    // A random register of `bits` width, not in `avoid` (for 8 bits maybe AH..BH).
    RegRef pick_reg(unsigned bits, RegMask avoid);

    bool in_data(uint64_t address, unsigned bytes) const;
    uint64_t read_data(uint64_t address, unsigned bytes) const;  // little endian, <= 8 bytes
    void write_data(uint64_t address, uint64_t value, unsigned bytes);  // clipped to the area

    // A random address inside the data area for an access of `bytes`, naturally aligned
    // half of the time.
    uint64_t data_target(unsigned bytes);
    // An address where an access of `bytes` faults: straddling either end of the data
    // area, in the unmapped guard after it, or (if `canonical_only` is false)
    // non-canonical.
    uint64_t fault_target(unsigned bytes, bool canonical_only);
    // A memory operand of `bytes` whose effective address is `target`. Base and index
    // registers are drawn outside `avoid` and get the values that produce `target`;
    // forms with 32-bit address size, RIP-relative and absolute addressing are all
    // drawn. `size` is Zydis' operand size (the address size for LEA).
    ZydisEncoderOperand memory_operand(uint64_t target, uint16_t size, RegMask avoid,
                                       Addressing how = Addressing::Any);
    // A LEA source: any addressing form, registers random; nothing is accessed.
    ZydisEncoderOperand agen_operand(RegMask avoid);
    // RSP for a case that uses the stack: inside [kStackLow, kStackHigh).
    uint64_t stack_pointer();

private:
    const Form& m_form;
    Rng& m_rng;
    Case& m_case;
};

}  // namespace keel::difftest
