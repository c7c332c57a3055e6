#pragma once
// Decodes a guest block with Zydis and lowers it instruction by instruction. A block ends
// at a branch or an instruction that changes state the translation depends on, at a
// page boundary (so one block depends on at most the page it starts in, plus the next
// page for an instruction that straddles it), or at the instruction cap.
#include <Zydis/Zydis.h>
#include "dbt/plugin/arch.h"
#include "plugins/arch/x86/frontend/lowerer.h"

namespace keel::x86 {

class Translator {
public:
    Translator();
    bool translate(const TranslationRequest& request, ir::Builder& builder);
    // The decoder for code of a mode (mode.h): 64-bit, or 32/16-bit by CS.D, in
    // compatibility or legacy protected mode.
    const ZydisDecoder& decoder(u32 mode) const;

private:
    ZyanStatus decode(const ZydisDecoder& decoder, const u8* bytes, usize length, DecodedInsn& d) const;
    ZydisDecoder m_decoder64;
    ZydisDecoder m_decoder32;
    ZydisDecoder m_decoder16;
    ZydisDecoder m_legacy32;
    ZydisDecoder m_legacy16;
    u64 m_unimplemented_logged[(ZYDIS_MNEMONIC_MAX_VALUE + 64) / 64] = {};
};

} // namespace keel::x86
