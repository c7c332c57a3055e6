// The SSE forms under test: SSE, SSE2, SSE3, SSSE3, SSE4.1, SSE4.2, AES and PCLMULQDQ in
// their legacy encodings with XMM operands, and the general-register instructions that also
// run as host instructions (CRC32, MOVBE, BMI2) (keel runs them as the same host instruction, docs/sse.md;
// what this checks is the plumbing around it: operands loaded and stored, memory through
// the softMMU with the alignment rule, MXCSR in and out, flags, the implicit operands).
// Signatures as in form_table.cpp, with "xmm" for an XMM register.
#include "tests/diff/form.h"

namespace keel::difftest {
namespace {

struct SseLine {
    const char* text;
    ZydisMnemonic mnemonic;
    const char* signatures;
};

// Shared signatures: packed (a 16-byte memory operand), scalar single and double, and the
// same with an immediate.
constexpr const char* kPacked = "xmm,xmm xmm,m128";
constexpr const char* kScalar32 = "xmm,xmm xmm,m32";
constexpr const char* kScalar64 = "xmm,xmm xmm,m64";
constexpr const char* kPackedImm = "xmm,xmm,i8 xmm,m128,i8";
constexpr const char* kMove128 = "xmm,xmm xmm,m128 m128,xmm";
constexpr const char* kShiftImm = "xmm,xmm xmm,m128 xmm,i8";
constexpr const char* kToInt32 = "r32,xmm r64,xmm r32,m32 r64,m32";
constexpr const char* kToInt64 = "r32,xmm r64,xmm r32,m64 r64,m64";
constexpr const char* kFromInt = "xmm,r32 xmm,r64 xmm,m32 xmm,m64";

#define M(x) ZYDIS_MNEMONIC_##x
constexpr SseLine kSse[] = {
    // SSE/SSE2 floating point (Intel SDM vol. 1 §10.4, §11.4).
    {"addps", M(ADDPS), kPacked}, {"addpd", M(ADDPD), kPacked}, {"addss", M(ADDSS), kScalar32}, {"addsd", M(ADDSD), kScalar64},
    {"subps", M(SUBPS), kPacked}, {"subpd", M(SUBPD), kPacked}, {"subss", M(SUBSS), kScalar32}, {"subsd", M(SUBSD), kScalar64},
    {"mulps", M(MULPS), kPacked}, {"mulpd", M(MULPD), kPacked}, {"mulss", M(MULSS), kScalar32}, {"mulsd", M(MULSD), kScalar64},
    {"divps", M(DIVPS), kPacked}, {"divpd", M(DIVPD), kPacked}, {"divss", M(DIVSS), kScalar32}, {"divsd", M(DIVSD), kScalar64},
    {"minps", M(MINPS), kPacked}, {"minpd", M(MINPD), kPacked}, {"minss", M(MINSS), kScalar32}, {"minsd", M(MINSD), kScalar64},
    {"maxps", M(MAXPS), kPacked}, {"maxpd", M(MAXPD), kPacked}, {"maxss", M(MAXSS), kScalar32}, {"maxsd", M(MAXSD), kScalar64},
    {"sqrtps", M(SQRTPS), kPacked}, {"sqrtpd", M(SQRTPD), kPacked}, {"sqrtss", M(SQRTSS), kScalar32}, {"sqrtsd", M(SQRTSD), kScalar64},
    {"rcpps", M(RCPPS), kPacked}, {"rcpss", M(RCPSS), kScalar32}, {"rsqrtps", M(RSQRTPS), kPacked}, {"rsqrtss", M(RSQRTSS), kScalar32},
    {"andps", M(ANDPS), kPacked}, {"andpd", M(ANDPD), kPacked}, {"andnps", M(ANDNPS), kPacked}, {"andnpd", M(ANDNPD), kPacked},
    {"orps", M(ORPS), kPacked}, {"orpd", M(ORPD), kPacked}, {"xorps", M(XORPS), kPacked}, {"xorpd", M(XORPD), kPacked},
    {"cmpps", M(CMPPS), kPackedImm}, {"cmppd", M(CMPPD), kPackedImm},
    {"cmpss", M(CMPSS), "xmm,xmm,i8 xmm,m32,i8"}, {"cmpsd", M(CMPSD), "xmm,xmm,i8 xmm,m64,i8"},
    {"comiss", M(COMISS), kScalar32}, {"ucomiss", M(UCOMISS), kScalar32},
    {"comisd", M(COMISD), kScalar64}, {"ucomisd", M(UCOMISD), kScalar64},
    {"shufps", M(SHUFPS), kPackedImm}, {"shufpd", M(SHUFPD), kPackedImm},
    {"unpcklps", M(UNPCKLPS), kPacked}, {"unpckhps", M(UNPCKHPS), kPacked},
    {"unpcklpd", M(UNPCKLPD), kPacked}, {"unpckhpd", M(UNPCKHPD), kPacked},
    // Conversions.
    {"cvtps2pd", M(CVTPS2PD), kScalar64}, {"cvtpd2ps", M(CVTPD2PS), kPacked},
    {"cvtss2sd", M(CVTSS2SD), kScalar32}, {"cvtsd2ss", M(CVTSD2SS), kScalar64},
    {"cvtdq2ps", M(CVTDQ2PS), kPacked}, {"cvtps2dq", M(CVTPS2DQ), kPacked}, {"cvttps2dq", M(CVTTPS2DQ), kPacked},
    {"cvtdq2pd", M(CVTDQ2PD), kScalar64}, {"cvtpd2dq", M(CVTPD2DQ), kPacked}, {"cvttpd2dq", M(CVTTPD2DQ), kPacked},
    {"cvtsi2ss", M(CVTSI2SS), kFromInt}, {"cvtsi2sd", M(CVTSI2SD), kFromInt},
    {"cvtss2si", M(CVTSS2SI), kToInt32}, {"cvttss2si", M(CVTTSS2SI), kToInt32},
    {"cvtsd2si", M(CVTSD2SI), kToInt64}, {"cvttsd2si", M(CVTTSD2SI), kToInt64},
    // Moves.
    {"movaps", M(MOVAPS), kMove128}, {"movapd", M(MOVAPD), kMove128}, {"movups", M(MOVUPS), kMove128},
    {"movupd", M(MOVUPD), kMove128}, {"movdqa", M(MOVDQA), kMove128}, {"movdqu", M(MOVDQU), kMove128},
    {"movss", M(MOVSS), "xmm,xmm xmm,m32 m32,xmm"}, {"movsd", M(MOVSD), "xmm,xmm xmm,m64 m64,xmm"},
    {"movlps", M(MOVLPS), "xmm,m64 m64,xmm"}, {"movhps", M(MOVHPS), "xmm,m64 m64,xmm"},
    {"movlpd", M(MOVLPD), "xmm,m64 m64,xmm"}, {"movhpd", M(MOVHPD), "xmm,m64 m64,xmm"},
    {"movhlps", M(MOVHLPS), "xmm,xmm"}, {"movlhps", M(MOVLHPS), "xmm,xmm"},
    {"movd", M(MOVD), "xmm,r32 r32,xmm xmm,m32 m32,xmm"}, {"movq", M(MOVQ), "xmm,r64 r64,xmm xmm,xmm xmm,m64 m64,xmm"},
    {"movmskps", M(MOVMSKPS), "r32,xmm"}, {"movmskpd", M(MOVMSKPD), "r32,xmm"}, {"pmovmskb", M(PMOVMSKB), "r32,xmm"},
    {"movntps", M(MOVNTPS), "m128,xmm"}, {"movntpd", M(MOVNTPD), "m128,xmm"}, {"movntdq", M(MOVNTDQ), "m128,xmm"},
    {"maskmovdqu", M(MASKMOVDQU), "xmm,xmm"},
    {"pextrw", M(PEXTRW), "r32,xmm,i8"}, {"pinsrw", M(PINSRW), "xmm,r32,i8 xmm,m16,i8"},
    // SSE2 integer.
    {"paddb", M(PADDB), kPacked}, {"paddw", M(PADDW), kPacked}, {"paddd", M(PADDD), kPacked}, {"paddq", M(PADDQ), kPacked},
    {"paddsb", M(PADDSB), kPacked}, {"paddsw", M(PADDSW), kPacked}, {"paddusb", M(PADDUSB), kPacked}, {"paddusw", M(PADDUSW), kPacked},
    {"psubb", M(PSUBB), kPacked}, {"psubw", M(PSUBW), kPacked}, {"psubd", M(PSUBD), kPacked}, {"psubq", M(PSUBQ), kPacked},
    {"psubsb", M(PSUBSB), kPacked}, {"psubsw", M(PSUBSW), kPacked}, {"psubusb", M(PSUBUSB), kPacked}, {"psubusw", M(PSUBUSW), kPacked},
    {"pmullw", M(PMULLW), kPacked}, {"pmulhw", M(PMULHW), kPacked}, {"pmulhuw", M(PMULHUW), kPacked}, {"pmuludq", M(PMULUDQ), kPacked},
    {"pmaddwd", M(PMADDWD), kPacked}, {"pavgb", M(PAVGB), kPacked}, {"pavgw", M(PAVGW), kPacked}, {"psadbw", M(PSADBW), kPacked},
    {"pminub", M(PMINUB), kPacked}, {"pmaxub", M(PMAXUB), kPacked}, {"pminsw", M(PMINSW), kPacked}, {"pmaxsw", M(PMAXSW), kPacked},
    {"pand", M(PAND), kPacked}, {"pandn", M(PANDN), kPacked}, {"por", M(POR), kPacked}, {"pxor", M(PXOR), kPacked},
    {"pcmpeqb", M(PCMPEQB), kPacked}, {"pcmpeqw", M(PCMPEQW), kPacked}, {"pcmpeqd", M(PCMPEQD), kPacked},
    {"pcmpgtb", M(PCMPGTB), kPacked}, {"pcmpgtw", M(PCMPGTW), kPacked}, {"pcmpgtd", M(PCMPGTD), kPacked},
    {"packsswb", M(PACKSSWB), kPacked}, {"packssdw", M(PACKSSDW), kPacked}, {"packuswb", M(PACKUSWB), kPacked},
    {"punpcklbw", M(PUNPCKLBW), kPacked}, {"punpcklwd", M(PUNPCKLWD), kPacked}, {"punpckldq", M(PUNPCKLDQ), kPacked},
    {"punpcklqdq", M(PUNPCKLQDQ), kPacked}, {"punpckhbw", M(PUNPCKHBW), kPacked}, {"punpckhwd", M(PUNPCKHWD), kPacked},
    {"punpckhdq", M(PUNPCKHDQ), kPacked}, {"punpckhqdq", M(PUNPCKHQDQ), kPacked},
    {"psllw", M(PSLLW), kShiftImm}, {"pslld", M(PSLLD), kShiftImm}, {"psllq", M(PSLLQ), kShiftImm},
    {"psrlw", M(PSRLW), kShiftImm}, {"psrld", M(PSRLD), kShiftImm}, {"psrlq", M(PSRLQ), kShiftImm},
    {"psraw", M(PSRAW), kShiftImm}, {"psrad", M(PSRAD), kShiftImm},
    {"pslldq", M(PSLLDQ), "xmm,i8"}, {"psrldq", M(PSRLDQ), "xmm,i8"},
    {"pshufd", M(PSHUFD), kPackedImm}, {"pshufhw", M(PSHUFHW), kPackedImm}, {"pshuflw", M(PSHUFLW), kPackedImm},
    // SSE3.
    {"addsubps", M(ADDSUBPS), kPacked}, {"addsubpd", M(ADDSUBPD), kPacked},
    {"haddps", M(HADDPS), kPacked}, {"haddpd", M(HADDPD), kPacked}, {"hsubps", M(HSUBPS), kPacked}, {"hsubpd", M(HSUBPD), kPacked},
    {"movddup", M(MOVDDUP), kScalar64}, {"movshdup", M(MOVSHDUP), kPacked}, {"movsldup", M(MOVSLDUP), kPacked},
    {"lddqu", M(LDDQU), "xmm,m128"},
    // SSSE3.
    {"pabsb", M(PABSB), kPacked}, {"pabsw", M(PABSW), kPacked}, {"pabsd", M(PABSD), kPacked},
    {"phaddw", M(PHADDW), kPacked}, {"phaddd", M(PHADDD), kPacked}, {"phaddsw", M(PHADDSW), kPacked},
    {"phsubw", M(PHSUBW), kPacked}, {"phsubd", M(PHSUBD), kPacked}, {"phsubsw", M(PHSUBSW), kPacked},
    {"pmaddubsw", M(PMADDUBSW), kPacked}, {"pmulhrsw", M(PMULHRSW), kPacked}, {"pshufb", M(PSHUFB), kPacked},
    {"psignb", M(PSIGNB), kPacked}, {"psignw", M(PSIGNW), kPacked}, {"psignd", M(PSIGND), kPacked},
    {"palignr", M(PALIGNR), kPackedImm},
    // SSE4.1.
    {"pmulld", M(PMULLD), kPacked}, {"pmuldq", M(PMULDQ), kPacked}, {"pcmpeqq", M(PCMPEQQ), kPacked},
    {"pminsb", M(PMINSB), kPacked}, {"pminsd", M(PMINSD), kPacked}, {"pminuw", M(PMINUW), kPacked}, {"pminud", M(PMINUD), kPacked},
    {"pmaxsb", M(PMAXSB), kPacked}, {"pmaxsd", M(PMAXSD), kPacked}, {"pmaxuw", M(PMAXUW), kPacked}, {"pmaxud", M(PMAXUD), kPacked},
    {"packusdw", M(PACKUSDW), kPacked}, {"phminposuw", M(PHMINPOSUW), kPacked}, {"ptest", M(PTEST), kPacked},
    {"pmovsxbw", M(PMOVSXBW), kScalar64}, {"pmovzxbw", M(PMOVZXBW), kScalar64}, {"pmovsxwd", M(PMOVSXWD), kScalar64},
    {"pmovzxwd", M(PMOVZXWD), kScalar64}, {"pmovsxdq", M(PMOVSXDQ), kScalar64}, {"pmovzxdq", M(PMOVZXDQ), kScalar64},
    {"pmovsxbd", M(PMOVSXBD), kScalar32}, {"pmovzxbd", M(PMOVZXBD), kScalar32}, {"pmovsxwq", M(PMOVSXWQ), kScalar32},
    {"pmovzxwq", M(PMOVZXWQ), kScalar32}, {"pmovsxbq", M(PMOVSXBQ), "xmm,xmm xmm,m16"}, {"pmovzxbq", M(PMOVZXBQ), "xmm,xmm xmm,m16"},
    {"blendps", M(BLENDPS), kPackedImm}, {"blendpd", M(BLENDPD), kPackedImm}, {"pblendw", M(PBLENDW), kPackedImm},
    {"blendvps", M(BLENDVPS), kPacked}, {"blendvpd", M(BLENDVPD), kPacked}, {"pblendvb", M(PBLENDVB), kPacked},
    {"dpps", M(DPPS), kPackedImm}, {"dppd", M(DPPD), kPackedImm}, {"mpsadbw", M(MPSADBW), kPackedImm},
    {"roundps", M(ROUNDPS), kPackedImm}, {"roundpd", M(ROUNDPD), kPackedImm},
    {"roundss", M(ROUNDSS), "xmm,xmm,i8 xmm,m32,i8"}, {"roundsd", M(ROUNDSD), "xmm,xmm,i8 xmm,m64,i8"},
    {"insertps", M(INSERTPS), "xmm,xmm,i8 xmm,m32,i8"}, {"extractps", M(EXTRACTPS), "r32,xmm,i8 m32,xmm,i8"},
    {"pextrb", M(PEXTRB), "r32,xmm,i8 m8,xmm,i8"}, {"pextrd", M(PEXTRD), "r32,xmm,i8 m32,xmm,i8"},
    {"pextrq", M(PEXTRQ), "r64,xmm,i8 m64,xmm,i8"}, {"pinsrb", M(PINSRB), "xmm,r32,i8 xmm,m8,i8"},
    {"pinsrd", M(PINSRD), "xmm,r32,i8 xmm,m32,i8"}, {"pinsrq", M(PINSRQ), "xmm,r64,i8 xmm,m64,i8"},
    {"movntdqa", M(MOVNTDQA), "xmm,m128"},
    // SSE4.2.
    {"pcmpgtq", M(PCMPGTQ), kPacked},
    {"pcmpestri", M(PCMPESTRI), kPackedImm}, {"pcmpestrm", M(PCMPESTRM), kPackedImm},
    {"pcmpistri", M(PCMPISTRI), kPackedImm}, {"pcmpistrm", M(PCMPISTRM), kPackedImm},
    {"crc32", M(CRC32), "r32,r8 r32,r16 r32,r32 r64,r64 r32,m8 r32,m16 r32,m32 r64,m64"},
    // What keel advertises where the host has it (plugins/arch/x86/runtime/host_cpu.h): on a
    // host without it both runs raise #UD. AES, PCLMULQDQ; MOVBE and BMI2 (general registers).
    {"aesenc", M(AESENC), kPacked}, {"aesenclast", M(AESENCLAST), kPacked}, {"aesdec", M(AESDEC), kPacked},
    {"aesdeclast", M(AESDECLAST), kPacked}, {"aesimc", M(AESIMC), kPacked}, {"aeskeygenassist", M(AESKEYGENASSIST), kPackedImm},
    {"pclmulqdq", M(PCLMULQDQ), kPackedImm},
    {"movbe", M(MOVBE), "r16,m16 r32,m32 r64,m64 m16,r16 m32,r32 m64,r64"},
    {"pdep", M(PDEP), "r32,r32,r32 r64,r64,r64 r32,r32,m32 r64,r64,m64"},
    {"pext", M(PEXT), "r32,r32,r32 r64,r64,r64 r32,r32,m32 r64,r64,m64"},
    {"mulx", M(MULX), "r32,r32,r32 r64,r64,r64 r32,r32,m32 r64,r64,m64"},
    {"bzhi", M(BZHI), "r32,r32,r32 r64,r64,r64 r32,m32,r32 r64,m64,r64"},
    {"sarx", M(SARX), "r32,r32,r32 r64,r64,r64 r32,m32,r32 r64,m64,r64"},
    {"shlx", M(SHLX), "r32,r32,r32 r64,r64,r64 r32,m32,r32 r64,m64,r64"},
    {"shrx", M(SHRX), "r32,r32,r32 r64,r64,r64 r32,m32,r32 r64,m64,r64"},
    {"rorx", M(RORX), "r32,r32,i8 r64,r64,i8 r32,m32,i8 r64,m64,i8"},
};
#undef M

}  // namespace

void add_sse_forms(std::vector<Form>& forms) {
    for (const SseLine& line : kSse)
        for (Form& f : forms_for("form_table_sse", line.text, line.mnemonic, line.signatures)) forms.push_back(f);
}

bool uses_sse_state(const Form& form) {
    for (const OperandKind& k : form.operands)
        if (k.type == OperandType::Xmm || k.type == OperandType::Mm) return true;
    return form.mnemonic == ZYDIS_MNEMONIC_CRC32;
}

}  // namespace keel::difftest
