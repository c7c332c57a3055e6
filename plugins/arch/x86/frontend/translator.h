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
    const ZydisDecoder& decoder() const { return m_decoder; }

private:
    ZyanStatus decode(const u8* bytes, usize length, DecodedInsn& d) const;
    ZydisDecoder m_decoder;
    u64 m_unimplemented_logged[(ZYDIS_MNEMONIC_MAX_VALUE + 64) / 64] = {};
};

} // namespace keel::x86
