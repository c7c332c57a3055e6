// Instruction forms: one per mnemonic x operand kinds x prefix x snippet shape. A form
// is what a test reports on ("lock add m32, r32"); the generator turns (form, seed)
// into a Case. The forms themselves are listed in form_table.cpp.
#pragma once

#include <Zydis/Zydis.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace keel::difftest {

enum class OperandType : uint8_t {
    Reg,    // r8/r16/r32/r64: any GPR of that width (r8 includes AH..BH)
    Acc,    // al/ax/eax/rax: the accumulator, for the short encodings (04, 3D, 90+r, A0..)
    Mem,    // m8..m128, m80, m512 (a cache line): a memory operand inside the data area, any addressing form
    Moffs,  // moffs8..moffs64: an absolute address (MOV A0..A3)
    Imm,    // i8/i16/i32/i64
    Cl,     // cl: the shift count register
    One,    // 1: the shift-by-one encodings (D0/D1)
    Agen,   // agen: a LEA address, computed but never accessed
    Xmm,    // xmm: any of XMM0..XMM15 (the SSE forms, form_table_sse.cpp)
    St,     // st: any of ST(0)..ST(7); st0 (bits 0): ST(0) itself (form_table_x87.cpp)
    Mm,     // mm: any of MM0..MM7
};

struct OperandKind {
    OperandType type;
    uint16_t bits;  // operand width; for Agen the width of the destination
};

// How the bytes around the instruction under test are laid out (snippets.cpp). Every
// shape ends, on every path, at the first byte after the code.
enum class Shape : uint8_t {
    Plain,         // the instruction alone, operands as listed
    JccForward,    // jcc L; mov marker; L:
    JccBackward,   // jmp A; B: mov marker; jmp END; A: jcc B; END:
    JmpForward,    // jmp L; mov marker; L:
    JmpReg,        // jmp reg (= L); mov marker; L:
    JmpMem,        // jmp [mem] (= L); mov marker; L:
    CallRel,       // call L; mov marker; L:
    CallReg,       // call reg (= L); mov marker; L:
    CallMem,       // call [mem] (= L); mov marker; L:
    CallRet,       // call F; jmp END; F: mov marker; ret [imm16]; END:
    Ret,           // ret [imm16]; mov marker; L:   with [rsp] = L or the marker
    LoopForward,   // loop/loope/loopne/jrcxz L; mov marker; L:
    LoopBackward,  // L: body; loop/loope/loopne L   (rcx small)
    String,        // movs/stos/lods/cmps/scas with rsi/rdi/rcx set up in the data area
    StackMem,      // push/pop qword [rsp + disp8]
    Enter,         // enter imm16, imm8 with rbp in the stack
    Leave,         // leave with rbp in the stack
    PopFlags,      // popf/popfq with a valid image on the stack
    NopFill,       // ZydisEncoderNopFill of `param` bytes (the multi-byte NOPs)
};

struct Form {
    std::string name;  // unique, e.g. "lock add m32, r32", "jz rel8 back", "rep movsb a32"
    ZydisMnemonic mnemonic = ZYDIS_MNEMONIC_INVALID;
    std::vector<OperandKind> operands;
    ZydisInstructionAttributes prefixes = 0;  // ZYDIS_ATTRIB_HAS_LOCK / _REP / _REPE / _REPNE
    Shape shape = Shape::Plain;
    uint8_t address_bits = 64;  // 32: force a 67 prefix (string ops, loop, jecxz)
    uint8_t operand_bits = 0;   // operand-size hint for forms without operands (pushf)
    uint8_t branch_bits = 0;    // 8 or 32 for relative branches
    uint16_t param = 0;         // shape-specific (NopFill: length)
    bool x87 = false;           // starts from a random x87 state (form_table_x87.cpp)
    bool privileged = false;    // raises #GP at CPL 3: every case faults (form_table_system.cpp)
};

// The SSE forms (form_table_sse.cpp), appended to all_forms().
void add_sse_forms(std::vector<Form>& forms);
// The form runs with random XMM registers and MXCSR (it has an XMM operand or is SSE).
bool uses_sse_state(const Form& form);
// The x87 and MMX forms (form_table_x87.cpp), appended to all_forms().
void add_x87_forms(std::vector<Form>& forms);
// SYSCALL, the privileged instructions at CPL 3, fences, prefetches and CLFLUSH
// (form_table_system.cpp), appended to all_forms().
void add_system_forms(std::vector<Form>& forms);

// All forms, in table order. Built once.
const std::vector<Form>& all_forms();
// nullptr if no form has that name.
const Form* find_form(std::string_view name);

// One Plain form per space-separated signature of `signatures` ("" gives one form without
// operands), named "TEXT SIGNATURE". A malformed signature is a bug in a table: it aborts
// with a message naming `table`.
std::vector<Form> forms_for(const char* table, const char* text, ZydisMnemonic mnemonic, std::string_view signatures);

// Parses a signature such as "r32,m32" or "m64,i8" (no spaces); false if malformed.
bool parse_signature(std::string_view text, std::vector<OperandKind>& out);
// "r32, m32": the signature as it appears in form names.
std::string signature_text(const std::vector<OperandKind>& operands);

}  // namespace keel::difftest
