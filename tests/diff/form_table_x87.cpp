// The x87 and MMX forms under test (keel runs them as the same host instruction on the
// guest's FXSAVE image, docs/x87.md: what this checks is the plumbing: the image in and
// out, memory operands through the softMMU, FCOMI's and FCMOVcc's EFLAGS, the SSE forms
// with an MMX operand). Each starts from a random x87 state (generator.cpp). Signatures
// as in form_table.cpp, with "st" for any ST(i), "st0" for ST(0), "mm" for an MMX register.
#include "tests/diff/form.h"

namespace keel::difftest {
namespace {

struct X87Line {
    const char* text;
    ZydisMnemonic mnemonic;
    const char* signatures;  // space-separated; "" for no operands
};

constexpr const char* kArith = "st0,st st,st0 m32 m64";
constexpr const char* kIntArith = "m16 m32";
constexpr const char* kMmx = "mm,mm mm,m64";
constexpr const char* kMmxLow = "mm,mm mm,m32";  // PUNPCKL*: the low half of the source
constexpr const char* kMmxShift = "mm,mm mm,m64 mm,i8";

#define M(x) ZYDIS_MNEMONIC_##x
constexpr X87Line kX87[] = {
    // x87 arithmetic and loads/stores (Intel SDM vol. 1 ch. 8).
    {"fadd", M(FADD), kArith}, {"fsub", M(FSUB), kArith}, {"fsubr", M(FSUBR), kArith},
    {"fmul", M(FMUL), kArith}, {"fdiv", M(FDIV), kArith}, {"fdivr", M(FDIVR), kArith},
    {"faddp", M(FADDP), "st,st0"}, {"fsubp", M(FSUBP), "st,st0"}, {"fsubrp", M(FSUBRP), "st,st0"},
    {"fmulp", M(FMULP), "st,st0"}, {"fdivp", M(FDIVP), "st,st0"}, {"fdivrp", M(FDIVRP), "st,st0"},
    {"fiadd", M(FIADD), kIntArith}, {"fisub", M(FISUB), kIntArith}, {"fisubr", M(FISUBR), kIntArith},
    {"fimul", M(FIMUL), kIntArith}, {"fidiv", M(FIDIV), kIntArith}, {"fidivr", M(FIDIVR), kIntArith},
    {"fld", M(FLD), "st m32 m64 m80"}, {"fst", M(FST), "st m32 m64"}, {"fstp", M(FSTP), "st m32 m64 m80"},
    {"fild", M(FILD), "m16 m32 m64"}, {"fist", M(FIST), "m16 m32"}, {"fistp", M(FISTP), "m16 m32 m64"},
    {"fisttp", M(FISTTP), "m16 m32 m64"}, {"fbld", M(FBLD), "m80"}, {"fbstp", M(FBSTP), "m80"},
    {"fxch", M(FXCH), "st"},
    // Comparisons: FSW's condition codes, or EFLAGS (FCOMI), and FCMOVcc reading EFLAGS.
    {"fcom", M(FCOM), "st m32 m64"}, {"fcomp", M(FCOMP), "st m32 m64"}, {"fcompp", M(FCOMPP), ""},
    {"fucom", M(FUCOM), "st"}, {"fucomp", M(FUCOMP), "st0,st"}, {"fucompp", M(FUCOMPP), ""},
    {"ficom", M(FICOM), kIntArith}, {"ficomp", M(FICOMP), kIntArith},
    {"fcomi", M(FCOMI), "st0,st"}, {"fcomip", M(FCOMIP), "st0,st"}, {"fucomi", M(FUCOMI), "st0,st"},
    {"fucomip", M(FUCOMIP), "st0,st"}, {"ftst", M(FTST), ""}, {"fxam", M(FXAM), ""},
    {"fcmovb", M(FCMOVB), "st0,st"}, {"fcmove", M(FCMOVE), "st0,st"}, {"fcmovbe", M(FCMOVBE), "st0,st"},
    {"fcmovu", M(FCMOVU), "st0,st"}, {"fcmovnb", M(FCMOVNB), "st0,st"}, {"fcmovne", M(FCMOVNE), "st0,st"},
    {"fcmovnbe", M(FCMOVNBE), "st0,st"}, {"fcmovnu", M(FCMOVNU), "st0,st"},
    // One-operand and constant instructions.
    {"fchs", M(FCHS), ""}, {"fabs", M(FABS), ""}, {"fsqrt", M(FSQRT), ""}, {"frndint", M(FRNDINT), ""},
    {"fscale", M(FSCALE), ""}, {"fprem", M(FPREM), ""}, {"fprem1", M(FPREM1), ""}, {"fxtract", M(FXTRACT), ""},
    {"f2xm1", M(F2XM1), ""}, {"fyl2x", M(FYL2X), ""}, {"fyl2xp1", M(FYL2XP1), ""}, {"fpatan", M(FPATAN), ""},
    {"fptan", M(FPTAN), ""}, {"fsin", M(FSIN), ""}, {"fcos", M(FCOS), ""}, {"fsincos", M(FSINCOS), ""},
    {"fld1", M(FLD1), ""}, {"fldz", M(FLDZ), ""}, {"fldpi", M(FLDPI), ""}, {"fldl2e", M(FLDL2E), ""},
    {"fldl2t", M(FLDL2T), ""}, {"fldlg2", M(FLDLG2), ""}, {"fldln2", M(FLDLN2), ""},
    // Control.
    {"fincstp", M(FINCSTP), ""}, {"fdecstp", M(FDECSTP), ""}, {"ffree", M(FFREE), "st"},
    {"fnstsw", M(FNSTSW), "ax m16"}, {"fnstcw", M(FNSTCW), "m16"}, {"fldcw", M(FLDCW), "m16"},
    {"fnclex", M(FNCLEX), ""}, {"fninit", M(FNINIT), ""}, {"fnop", M(FNOP), ""}, {"fwait", M(FWAIT), ""},
    // MMX (vol. 1 ch. 9) and the SSE, SSE2 and SSSE3 instructions on MMX registers.
    {"paddb", M(PADDB), kMmx}, {"paddw", M(PADDW), kMmx}, {"paddd", M(PADDD), kMmx}, {"paddq", M(PADDQ), kMmx},
    {"paddsb", M(PADDSB), kMmx}, {"paddsw", M(PADDSW), kMmx}, {"paddusb", M(PADDUSB), kMmx}, {"paddusw", M(PADDUSW), kMmx},
    {"psubb", M(PSUBB), kMmx}, {"psubw", M(PSUBW), kMmx}, {"psubd", M(PSUBD), kMmx}, {"psubq", M(PSUBQ), kMmx},
    {"psubsb", M(PSUBSB), kMmx}, {"psubsw", M(PSUBSW), kMmx}, {"psubusb", M(PSUBUSB), kMmx}, {"psubusw", M(PSUBUSW), kMmx},
    {"pmullw", M(PMULLW), kMmx}, {"pmulhw", M(PMULHW), kMmx}, {"pmulhuw", M(PMULHUW), kMmx}, {"pmuludq", M(PMULUDQ), kMmx},
    {"pmaddwd", M(PMADDWD), kMmx}, {"pavgb", M(PAVGB), kMmx}, {"pavgw", M(PAVGW), kMmx}, {"psadbw", M(PSADBW), kMmx},
    {"pminub", M(PMINUB), kMmx}, {"pmaxub", M(PMAXUB), kMmx}, {"pminsw", M(PMINSW), kMmx}, {"pmaxsw", M(PMAXSW), kMmx},
    {"pand", M(PAND), kMmx}, {"pandn", M(PANDN), kMmx}, {"por", M(POR), kMmx}, {"pxor", M(PXOR), kMmx},
    {"pcmpeqb", M(PCMPEQB), kMmx}, {"pcmpeqw", M(PCMPEQW), kMmx}, {"pcmpeqd", M(PCMPEQD), kMmx},
    {"pcmpgtb", M(PCMPGTB), kMmx}, {"pcmpgtw", M(PCMPGTW), kMmx}, {"pcmpgtd", M(PCMPGTD), kMmx},
    {"packsswb", M(PACKSSWB), kMmx}, {"packssdw", M(PACKSSDW), kMmx}, {"packuswb", M(PACKUSWB), kMmx},
    {"punpcklbw", M(PUNPCKLBW), kMmxLow}, {"punpcklwd", M(PUNPCKLWD), kMmxLow}, {"punpckldq", M(PUNPCKLDQ), kMmxLow},
    {"punpckhbw", M(PUNPCKHBW), kMmx}, {"punpckhwd", M(PUNPCKHWD), kMmx}, {"punpckhdq", M(PUNPCKHDQ), kMmx},
    {"psllw", M(PSLLW), kMmxShift}, {"pslld", M(PSLLD), kMmxShift}, {"psllq", M(PSLLQ), kMmxShift},
    {"psrlw", M(PSRLW), kMmxShift}, {"psrld", M(PSRLD), kMmxShift}, {"psrlq", M(PSRLQ), kMmxShift},
    {"psraw", M(PSRAW), kMmxShift}, {"psrad", M(PSRAD), kMmxShift},
    {"pshufw", M(PSHUFW), "mm,mm,i8 mm,m64,i8"}, {"pmovmskb", M(PMOVMSKB), "r32,mm"},
    {"pextrw", M(PEXTRW), "r32,mm,i8"}, {"pinsrw", M(PINSRW), "mm,r32,i8 mm,m16,i8"},
    {"movd", M(MOVD), "mm,r32 r32,mm mm,m32 m32,mm"}, {"movq", M(MOVQ), "mm,r64 r64,mm mm,mm mm,m64 m64,mm"},
    {"movntq", M(MOVNTQ), "m64,mm"}, {"maskmovq", M(MASKMOVQ), "mm,mm"}, {"emms", M(EMMS), ""},
    {"movq2dq", M(MOVQ2DQ), "xmm,mm"}, {"movdq2q", M(MOVDQ2Q), "mm,xmm"},
    {"cvtpi2ps", M(CVTPI2PS), "xmm,mm xmm,m64"}, {"cvtps2pi", M(CVTPS2PI), "mm,xmm mm,m64"},
    {"cvttps2pi", M(CVTTPS2PI), "mm,xmm mm,m64"}, {"cvtpi2pd", M(CVTPI2PD), "xmm,mm xmm,m64"},
    {"cvtpd2pi", M(CVTPD2PI), "mm,xmm mm,m128"}, {"cvttpd2pi", M(CVTTPD2PI), "mm,xmm mm,m128"},
    {"pabsb", M(PABSB), kMmx}, {"pabsw", M(PABSW), kMmx}, {"pabsd", M(PABSD), kMmx},
    {"phaddw", M(PHADDW), kMmx}, {"phaddd", M(PHADDD), kMmx}, {"phaddsw", M(PHADDSW), kMmx},
    {"phsubw", M(PHSUBW), kMmx}, {"phsubd", M(PHSUBD), kMmx}, {"phsubsw", M(PHSUBSW), kMmx},
    {"pmaddubsw", M(PMADDUBSW), kMmx}, {"pmulhrsw", M(PMULHRSW), kMmx}, {"pshufb", M(PSHUFB), kMmx},
    {"psignb", M(PSIGNB), kMmx}, {"psignw", M(PSIGNW), kMmx}, {"psignd", M(PSIGND), kMmx},
    {"palignr", M(PALIGNR), "mm,mm,i8 mm,m64,i8"},
};
#undef M

}  // namespace

void add_x87_forms(std::vector<Form>& forms) {
    for (const X87Line& line : kX87) {
        for (Form& f : forms_for("form_table_x87", line.text, line.mnemonic, line.signatures)) {
            f.x87 = true;
            forms.push_back(f);
        }
    }
}

}  // namespace keel::difftest
