// The table of forms under test. Each line of kPlain is a mnemonic, the operand
// signatures it is tested with, and whether its memory-destination forms are also tested
// with LOCK (SDM Vol. 2A, "LOCK": legal only with a memory destination of ADD, ADC, AND,
// BTC, BTR, BTS, CMPXCHG, CMPXCHG8B/16B, DEC, INC, NEG, NOT, OR, SBB, SUB, XOR, XADD and
// XCHG). Branches, stack and string instructions need code around them and come from the
// shape builders in snippets.cpp.
#include "tests/diff/form.h"

#include "dbt/base/host_cpuid.h"

#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

namespace keel::difftest {
namespace {

// Signatures shared by several mnemonics. "rN,iM" with M < N is the sign-extended short
// immediate (83 /n ib); the accumulator lines pick the short encodings (04, 05, A8, ...).
constexpr const char* kAlu =
    "r8,r8 r16,r16 r32,r32 r64,r64 r8,m8 r16,m16 r32,m32 r64,m64 m8,r8 m16,r16 m32,r32 m64,r64 "
    "r8,i8 r16,i16 r32,i32 r64,i32 r16,i8 r32,i8 r64,i8 m8,i8 m16,i16 m32,i32 m64,i32 "
    "m16,i8 m32,i8 m64,i8 al,i8 ax,i16 eax,i32 rax,i32";
constexpr const char* kTest =
    "r8,r8 r16,r16 r32,r32 r64,r64 m8,r8 m16,r16 m32,r32 m64,r64 r8,i8 r16,i16 r32,i32 "
    "r64,i32 m8,i8 m16,i16 m32,i32 m64,i32 al,i8 ax,i16 eax,i32 rax,i32";
constexpr const char* kMov =
    "r8,r8 r16,r16 r32,r32 r64,r64 r8,m8 r16,m16 r32,m32 r64,m64 m8,r8 m16,r16 m32,r32 m64,r64 "
    "r8,i8 r16,i16 r32,i32 r64,i32 r64,i64 m8,i8 m16,i16 m32,i32 m64,i32 "
    "al,moffs8 ax,moffs16 eax,moffs32 rax,moffs64 moffs8,al moffs16,ax moffs32,eax moffs64,rax";
constexpr const char* kUnary = "r8 r16 r32 r64 m8 m16 m32 m64";
constexpr const char* kRmR = "r8,r8 r16,r16 r32,r32 r64,r64 m8,r8 m16,r16 m32,r32 m64,r64";
constexpr const char* kShift =
    "r8,1 r16,1 r32,1 r64,1 m8,1 m16,1 m32,1 m64,1 r8,cl r16,cl r32,cl r64,cl m8,cl m16,cl "
    "m32,cl m64,cl r8,i8 r16,i8 r32,i8 r64,i8 m8,i8 m16,i8 m32,i8 m64,i8";
constexpr const char* kShiftDouble =
    "r16,r16,i8 r32,r32,i8 r64,r64,i8 m16,r16,i8 m32,r32,i8 m64,r64,i8 "
    "r16,r16,cl r32,r32,cl r64,r64,cl m16,r16,cl m32,r32,cl m64,r64,cl";
constexpr const char* kBitTest =
    "r16,r16 r32,r32 r64,r64 m16,r16 m32,r32 m64,r64 r16,i8 r32,i8 r64,i8 m16,i8 m32,i8 m64,i8";
constexpr const char* kRegRm = "r16,r16 r32,r32 r64,r64 r16,m16 r32,m32 r64,m64";
constexpr const char* kImul =
    "r8 r16 r32 r64 m8 m16 m32 m64 r16,r16 r32,r32 r64,r64 r16,m16 r32,m32 r64,m64 "
    "r16,r16,i8 r32,r32,i8 r64,r64,i8 r16,m16,i8 r32,m32,i8 r64,m64,i8 "
    "r16,r16,i16 r32,r32,i32 r64,r64,i32 r16,m16,i16 r32,m32,i32 r64,m64,i32";
constexpr const char* kExtend8 = "r16,r8 r32,r8 r64,r8 r16,m8 r32,m8 r64,m8 r32,r16 r64,r16 r32,m16 r64,m16";

enum : unsigned { kNoLock = 0, kLockMem = 1, kNeedsAdx = 2 };

// ADCX/ADOX are IR code in keel, advertised on any host, but the native reference needs a
// host CPU with ADX (CPUID.7.0:EBX[19]); without it their forms are left out, with a
// line on stderr saying so.
bool host_has_adx() {
    uint32_t a, b, c, d;
    keel::host_cpuid(0, 0, a, b, c, d);
    if (a < 7) return false;
    keel::host_cpuid(7, 0, a, b, c, d);
    return (b >> 19) & 1;
}

struct PlainLine {
    const char* text;  // the mnemonic as printed in form names
    ZydisMnemonic mnemonic;
    const char* signatures;  // space-separated; "" for no operands
    unsigned flags;
};

#define M(x) ZYDIS_MNEMONIC_##x
constexpr PlainLine kPlain[] = {
    {"mov", M(MOV), kMov, kNoLock},
    {"movzx", M(MOVZX), kExtend8, kNoLock},
    {"movsx", M(MOVSX), kExtend8, kNoLock},
    {"movsxd", M(MOVSXD), "r64,r32 r64,m32 r32,r32 r32,m32", kNoLock},
    {"lea", M(LEA), "r16,agen r32,agen r64,agen", kNoLock},
    {"xchg", M(XCHG), "r8,r8 r16,r16 r32,r32 r64,r64 m8,r8 m16,r16 m32,r32 m64,r64 ax,r16 eax,r32 rax,r64", kLockMem},
    {"cmpxchg", M(CMPXCHG), kRmR, kLockMem},
    {"cmpxchg8b", M(CMPXCHG8B), "m64", kLockMem},
    {"cmpxchg16b", M(CMPXCHG16B), "m128", kLockMem},
    {"xadd", M(XADD), kRmR, kLockMem},
    {"add", M(ADD), kAlu, kLockMem},
    {"adc", M(ADC), kAlu, kLockMem},
    {"sub", M(SUB), kAlu, kLockMem},
    {"sbb", M(SBB), kAlu, kLockMem},
    {"and", M(AND), kAlu, kLockMem},
    {"or", M(OR), kAlu, kLockMem},
    {"xor", M(XOR), kAlu, kLockMem},
    {"cmp", M(CMP), kAlu, kNoLock},
    {"test", M(TEST), kTest, kNoLock},
    {"inc", M(INC), kUnary, kLockMem},
    {"dec", M(DEC), kUnary, kLockMem},
    {"neg", M(NEG), kUnary, kLockMem},
    {"not", M(NOT), kUnary, kLockMem},
    {"shl", M(SHL), kShift, kNoLock},
    {"shr", M(SHR), kShift, kNoLock},
    {"sar", M(SAR), kShift, kNoLock},
    {"rol", M(ROL), kShift, kNoLock},
    {"ror", M(ROR), kShift, kNoLock},
    {"rcl", M(RCL), kShift, kNoLock},
    {"rcr", M(RCR), kShift, kNoLock},
    {"shld", M(SHLD), kShiftDouble, kNoLock},
    {"shrd", M(SHRD), kShiftDouble, kNoLock},
    {"mul", M(MUL), kUnary, kNoLock},
    {"imul", M(IMUL), kImul, kNoLock},
    {"div", M(DIV), kUnary, kNoLock},
    {"idiv", M(IDIV), kUnary, kNoLock},
    {"bt", M(BT), kBitTest, kNoLock},
    {"bts", M(BTS), kBitTest, kLockMem},
    {"btr", M(BTR), kBitTest, kLockMem},
    {"btc", M(BTC), kBitTest, kLockMem},
    {"bsf", M(BSF), kRegRm, kNoLock},
    {"bsr", M(BSR), kRegRm, kNoLock},
    {"tzcnt", M(TZCNT), kRegRm, kNoLock},
    {"lzcnt", M(LZCNT), kRegRm, kNoLock},
    {"popcnt", M(POPCNT), kRegRm, kNoLock},
    {"adcx", M(ADCX), "r32,r32 r64,r64 r32,m32 r64,m64", kNeedsAdx},
    {"adox", M(ADOX), "r32,r32 r64,r64 r32,m32 r64,m64", kNeedsAdx},
    {"bswap", M(BSWAP), "r32 r64", kNoLock},  // BSWAP r16 is undefined (SDM Vol. 2A, BSWAP)
    {"push", M(PUSH), "r64 r16 m64 m16 i8 i16 i32", kNoLock},
    {"pop", M(POP), "r64 r16 m64 m16", kNoLock},
    {"cbw", M(CBW), "", kNoLock},
    {"cwde", M(CWDE), "", kNoLock},
    {"cdqe", M(CDQE), "", kNoLock},
    {"cwd", M(CWD), "", kNoLock},
    {"cdq", M(CDQ), "", kNoLock},
    {"cqo", M(CQO), "", kNoLock},
    {"lahf", M(LAHF), "", kNoLock},
    {"sahf", M(SAHF), "", kNoLock},
    {"pushfq", M(PUSHFQ), "", kNoLock},
    {"pushf", M(PUSHF), "", kNoLock},  // 66 9C: the 16-bit image
    {"clc", M(CLC), "", kNoLock},
    {"stc", M(STC), "", kNoLock},
    {"cmc", M(CMC), "", kNoLock},
    {"cld", M(CLD), "", kNoLock},
    {"std", M(STD), "", kNoLock},
    // 90, and the 0F 18 /4..7 hint NOPs Zydis picks for NOP with an operand (SDM Vol. 2B,
    // NOP and "Reserved-NOP"); the 0F 1F forms come from the NopFill shape.
    {"nop", M(NOP), " r16 r32 m16 m32 m64", kNoLock},
    {"pause", M(PAUSE), "", kNoLock},
    {"endbr64", M(ENDBR64), "", kNoLock},
    {"ud2", M(UD2), "", kNoLock},
    {"int3", M(INT3), "", kNoLock},
};

struct Condition {
    const char* suffix;
    ZydisMnemonic jcc, setcc, cmovcc;
};
// The 16 conditions in encoding order (SDM Vol. 1, Appendix B, Table B-1).
constexpr Condition kConditions[] = {
    {"o", M(JO), M(SETO), M(CMOVO)},     {"no", M(JNO), M(SETNO), M(CMOVNO)},
    {"b", M(JB), M(SETB), M(CMOVB)},     {"nb", M(JNB), M(SETNB), M(CMOVNB)},
    {"z", M(JZ), M(SETZ), M(CMOVZ)},     {"nz", M(JNZ), M(SETNZ), M(CMOVNZ)},
    {"be", M(JBE), M(SETBE), M(CMOVBE)}, {"nbe", M(JNBE), M(SETNBE), M(CMOVNBE)},
    {"s", M(JS), M(SETS), M(CMOVS)},     {"ns", M(JNS), M(SETNS), M(CMOVNS)},
    {"p", M(JP), M(SETP), M(CMOVP)},     {"np", M(JNP), M(SETNP), M(CMOVNP)},
    {"l", M(JL), M(SETL), M(CMOVL)},     {"nl", M(JNL), M(SETNL), M(CMOVNL)},
    {"le", M(JLE), M(SETLE), M(CMOVLE)}, {"nle", M(JNLE), M(SETNLE), M(CMOVNLE)},
};

struct StringOp {
    const char* name;
    ZydisMnemonic mnemonic;
    bool compares;  // CMPS/SCAS take REPE/REPNE; the others REP
};
constexpr StringOp kStrings[] = {
    {"movsb", M(MOVSB), false}, {"movsw", M(MOVSW), false}, {"movsd", M(MOVSD), false}, {"movsq", M(MOVSQ), false},
    {"stosb", M(STOSB), false}, {"stosw", M(STOSW), false}, {"stosd", M(STOSD), false}, {"stosq", M(STOSQ), false},
    {"lodsb", M(LODSB), false}, {"lodsw", M(LODSW), false}, {"lodsd", M(LODSD), false}, {"lodsq", M(LODSQ), false},
    {"cmpsb", M(CMPSB), true},  {"cmpsw", M(CMPSW), true},  {"cmpsd", M(CMPSD), true},  {"cmpsq", M(CMPSQ), true},
    {"scasb", M(SCASB), true},  {"scasw", M(SCASW), true},  {"scasd", M(SCASD), true},  {"scasq", M(SCASQ), true},
};

Form shape_form(std::string name, ZydisMnemonic mnemonic, Shape shape) {
    Form f;
    f.name = std::move(name);
    f.mnemonic = mnemonic;
    f.shape = shape;
    return f;
}

void add_plain(std::vector<Form>& forms) {
    const bool adx = host_has_adx();
    if (!adx) fprintf(stderr, "keel-diff: the host CPU lacks ADX: the adcx and adox forms are left out\n");
    for (const PlainLine& line : kPlain) {
        if ((line.flags & kNeedsAdx) && !adx) continue;
        for (Form& f : forms_for("form_table", line.text, line.mnemonic, line.signatures)) {
            forms.push_back(f);
            bool memory_destination = !f.operands.empty() && f.operands[0].type == OperandType::Mem;
            if ((line.flags & kLockMem) && memory_destination) {
                f.name = "lock " + f.name;
                f.prefixes = ZYDIS_ATTRIB_HAS_LOCK;
                forms.push_back(f);
            }
        }
    }
}

void add_conditional(std::vector<Form>& forms) {
    for (const Condition& c : kConditions) {
        std::string j = std::string("j") + c.suffix;
        for (uint8_t width : {8, 32}) {
            std::string rel = " rel" + std::to_string(width);
            Form fwd = shape_form(j + rel, c.jcc, Shape::JccForward);
            fwd.branch_bits = width;
            forms.push_back(fwd);
            Form back = shape_form(j + rel + " back", c.jcc, Shape::JccBackward);
            back.branch_bits = width;
            forms.push_back(back);
        }
        for (const char* sig : {"r8", "m8"}) {
            Form f = shape_form(std::string("set") + c.suffix + " " + sig, c.setcc, Shape::Plain);
            parse_signature(sig, f.operands);
            forms.push_back(f);
        }
        for (const char* sig : {"r16,r16", "r32,r32", "r64,r64", "r16,m16", "r32,m32", "r64,m64"}) {
            Form f = shape_form("", c.cmovcc, Shape::Plain);
            parse_signature(sig, f.operands);
            f.name = std::string("cmov") + c.suffix + " " + signature_text(f.operands);
            forms.push_back(f);
        }
    }
}

void add_control(std::vector<Form>& forms) {
    for (uint8_t width : {8, 32}) {
        Form f = shape_form("jmp rel" + std::to_string(width), M(JMP), Shape::JmpForward);
        f.branch_bits = width;
        forms.push_back(f);
    }
    forms.push_back(shape_form("jmp r64", M(JMP), Shape::JmpReg));
    forms.push_back(shape_form("jmp m64", M(JMP), Shape::JmpMem));
    forms.push_back(shape_form("call rel32", M(CALL), Shape::CallRel));
    forms.push_back(shape_form("call r64", M(CALL), Shape::CallReg));
    forms.push_back(shape_form("call m64", M(CALL), Shape::CallMem));
    forms.push_back(shape_form("call+ret", M(RET), Shape::CallRet));
    Form cri = shape_form("call+ret imm16", M(RET), Shape::CallRet);
    cri.operands = {{OperandType::Imm, 16}};
    forms.push_back(cri);
    forms.push_back(shape_form("ret", M(RET), Shape::Ret));
    Form ri = shape_form("ret imm16", M(RET), Shape::Ret);
    ri.operands = {{OperandType::Imm, 16}};
    forms.push_back(ri);

    struct LoopOp { const char* name; ZydisMnemonic mnemonic; bool backward; };
    constexpr LoopOp loops[] = {
        {"loop", M(LOOP), true}, {"loope", M(LOOPE), true}, {"loopne", M(LOOPNE), true},
        {"jrcxz", M(JRCXZ), false},
    };
    for (const LoopOp& l : loops) {
        for (uint8_t abits : {64, 32}) {
            // With a 67 prefix these count in ECX; JRCXZ becomes JECXZ.
            std::string name = abits == 32 && l.mnemonic == M(JRCXZ) ? "jecxz" : l.name;
            std::string suffix = abits == 32 && l.mnemonic != M(JRCXZ) ? " a32" : "";
            ZydisMnemonic m = abits == 32 && l.mnemonic == M(JRCXZ) ? M(JECXZ) : l.mnemonic;
            Form fwd = shape_form(name + suffix, m, Shape::LoopForward);
            fwd.address_bits = abits;
            forms.push_back(fwd);
            if (l.backward) {
                Form back = shape_form(name + suffix + " back", m, Shape::LoopBackward);
                back.address_bits = abits;
                forms.push_back(back);
            }
        }
    }
}

void add_stack(std::vector<Form>& forms) {
    forms.push_back(shape_form("push [rsp+d8]", M(PUSH), Shape::StackMem));
    forms.push_back(shape_form("pop [rsp+d8]", M(POP), Shape::StackMem));
    forms.push_back(shape_form("enter", M(ENTER), Shape::Enter));
    forms.push_back(shape_form("leave", M(LEAVE), Shape::Leave));
    forms.push_back(shape_form("popfq", M(POPFQ), Shape::PopFlags));
    forms.push_back(shape_form("popf", M(POPF), Shape::PopFlags));  // 66 9D
}

void add_strings(std::vector<Form>& forms) {
    for (const StringOp& s : kStrings) {
        struct Prefix { const char* text; ZydisInstructionAttributes attr; };
        const Prefix plain[] = {{"", 0}, {"rep ", ZYDIS_ATTRIB_HAS_REP}};
        const Prefix compare[] = {{"", 0}, {"repe ", ZYDIS_ATTRIB_HAS_REPE}, {"repne ", ZYDIS_ATTRIB_HAS_REPNE}};
        std::span<const Prefix> prefixes = s.compares ? std::span<const Prefix>(compare) : std::span<const Prefix>(plain);
        for (const Prefix& p : prefixes) {
            for (uint8_t abits : {64, 32}) {
                // a32 only with a repeat prefix, where it also changes the counter to ECX.
                if (abits == 32 && p.attr == 0) continue;
                Form f = shape_form(std::string(p.text) + s.name + (abits == 32 ? " a32" : ""),
                                    s.mnemonic, Shape::String);
                f.prefixes = p.attr;
                f.address_bits = abits;
                forms.push_back(f);
            }
        }
    }
}

// Prefixes that change nothing on a CPU without the feature they belong to, or nothing
// architectural at all, but that real code carries and a decoder must accept: MPX's BND
// (F2) and CET's NOTRACK (3E) on branches, the 2E/3E branch hints, and the HLE hints
// XACQUIRE/XRELEASE (F2/F3) on locked or store instructions (SDM Vol. 2A, 2.1.1).
void add_hint_prefixes(std::vector<Form>& forms) {
    struct Hinted { const char* name; ZydisMnemonic mnemonic; Shape shape; ZydisInstructionAttributes prefix; };
    constexpr Hinted hinted[] = {
        {"bnd jmp r64", M(JMP), Shape::JmpReg, ZYDIS_ATTRIB_HAS_BND},
        {"notrack jmp r64", M(JMP), Shape::JmpReg, ZYDIS_ATTRIB_HAS_NOTRACK},
        {"notrack call r64", M(CALL), Shape::CallReg, ZYDIS_ATTRIB_HAS_NOTRACK},
        {"bnd ret", M(RET), Shape::Ret, ZYDIS_ATTRIB_HAS_BND},
        {"jz rel8 taken-hint", M(JZ), Shape::JccForward, ZYDIS_ATTRIB_HAS_BRANCH_TAKEN},
        {"jnz rel8 not-taken-hint", M(JNZ), Shape::JccForward, ZYDIS_ATTRIB_HAS_BRANCH_NOT_TAKEN},
    };
    for (const Hinted& h : hinted) {
        Form f = shape_form(h.name, h.mnemonic, h.shape);
        f.prefixes = h.prefix;
        f.branch_bits = h.shape == Shape::JccForward ? 8 : 0;
        forms.push_back(f);
    }
    struct Elided { const char* name; ZydisMnemonic mnemonic; const char* sig; ZydisInstructionAttributes prefixes; };
    constexpr Elided elided[] = {
        {"xacquire lock add", M(ADD), "m64,r64", ZYDIS_ATTRIB_HAS_LOCK | ZYDIS_ATTRIB_HAS_XACQUIRE},
        {"xrelease lock add", M(ADD), "m64,r64", ZYDIS_ATTRIB_HAS_LOCK | ZYDIS_ATTRIB_HAS_XRELEASE},
        {"xacquire lock xchg", M(XCHG), "m32,r32", ZYDIS_ATTRIB_HAS_LOCK | ZYDIS_ATTRIB_HAS_XACQUIRE},
        {"xrelease mov", M(MOV), "m64,r64", ZYDIS_ATTRIB_HAS_XRELEASE},
    };
    for (const Elided& e : elided) {
        Form f = shape_form("", e.mnemonic, Shape::Plain);
        parse_signature(e.sig, f.operands);
        f.name = std::string(e.name) + " " + signature_text(f.operands);
        f.prefixes = e.prefixes;
        forms.push_back(f);
    }
}

void add_nops(std::vector<Form>& forms) {
    for (uint16_t n = 2; n <= 15; ++n) {
        Form f = shape_form("nopfill " + std::to_string(n), M(NOP), Shape::NopFill);
        f.param = n;
        forms.push_back(f);
    }
}
#undef M

std::vector<Form> build_forms() {
    std::vector<Form> forms;
    add_plain(forms);
    add_conditional(forms);
    add_control(forms);
    add_stack(forms);
    add_strings(forms);
    add_nops(forms);
    add_hint_prefixes(forms);
    add_sse_forms(forms);
    add_x87_forms(forms);
    add_system_forms(forms);
    return forms;
}

}  // namespace

const std::vector<Form>& all_forms() {
    static const std::vector<Form> forms = build_forms();
    return forms;
}

const Form* find_form(std::string_view name) {
    for (const Form& f : all_forms())
        if (f.name == name) return &f;
    return nullptr;
}

}  // namespace keel::difftest
