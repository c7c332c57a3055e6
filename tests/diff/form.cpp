// Operand signatures: the small language of form_table.cpp ("r32,m32", "m64,i8", "al,i8").
#include "tests/diff/form.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace keel::difftest {
namespace {

bool parse_operand(std::string_view t, OperandKind& out) {
    struct Named { std::string_view text; OperandKind kind; };
    static constexpr Named kNamed[] = {
        {"al", {OperandType::Acc, 8}},   {"ax", {OperandType::Acc, 16}},
        {"eax", {OperandType::Acc, 32}}, {"rax", {OperandType::Acc, 64}},
        {"cl", {OperandType::Cl, 8}},    {"1", {OperandType::One, 8}},
        {"agen", {OperandType::Agen, 0}},  {"xmm", {OperandType::Xmm, 128}},
        {"st0", {OperandType::St, 0}},     {"st", {OperandType::St, 80}},
        {"mm", {OperandType::Mm, 64}},
    };
    for (const Named& n : kNamed)
        if (t == n.text) {
            out = n.kind;
            return true;
        }
    struct Prefix { std::string_view text; OperandType type; };
    static constexpr Prefix kPrefixes[] = {
        {"moffs", OperandType::Moffs}, {"r", OperandType::Reg}, {"m", OperandType::Mem},
        {"i", OperandType::Imm},
    };
    for (const Prefix& p : kPrefixes) {
        if (!t.starts_with(p.text)) continue;
        std::string_view digits = t.substr(p.text.size());
        unsigned bits = 0;
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
        if (ec != std::errc() || end != digits.data() + digits.size()) return false;
        bool ok = bits == 8 || bits == 16 || bits == 32 || bits == 64 ||
                  ((bits == 128 || bits == 80 || bits == 512) && p.type == OperandType::Mem);
        out = {p.type, static_cast<uint16_t>(bits)};
        return ok;
    }
    return false;
}

std::string operand_text(OperandKind k) {
    static constexpr const char* kAcc[] = {"al", "ax", "eax", "rax"};
    std::string bits = std::to_string(k.bits);
    switch (k.type) {
        case OperandType::Reg: return "r" + bits;
        case OperandType::Acc: return kAcc[k.bits == 8 ? 0 : k.bits == 16 ? 1 : k.bits == 32 ? 2 : 3];
        case OperandType::Mem: return "m" + bits;
        case OperandType::Moffs: return "moffs" + bits;
        case OperandType::Imm: return "i" + bits;
        case OperandType::Cl: return "cl";
        case OperandType::One: return "1";
        case OperandType::Agen: return "agen";
        case OperandType::Xmm: return "xmm";
        case OperandType::St: return k.bits ? "st" : "st0";
        case OperandType::Mm: return "mm";
    }
    return "?";
}

}  // namespace

bool parse_signature(std::string_view text, std::vector<OperandKind>& out) {
    out.clear();
    while (!text.empty()) {
        size_t comma = text.find(',');
        OperandKind k{};
        if (!parse_operand(text.substr(0, comma), k)) return false;
        out.push_back(k);
        text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    }
    // agen takes the width of the register it is loaded into.
    if (out.size() == 2 && out[1].type == OperandType::Agen) out[1].bits = out[0].bits;
    return true;
}

std::vector<Form> forms_for(const char* table, const char* text, ZydisMnemonic mnemonic, std::string_view signatures) {
    std::vector<Form> out;
    size_t pos = 0;
    do {  // an empty list still yields the operand-less form once
        size_t end = signatures.find(' ', pos);
        std::string_view sig = signatures.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
        pos = end == std::string_view::npos ? end : end + 1;
        Form f;
        f.mnemonic = mnemonic;
        if (!parse_signature(sig, f.operands)) {
            fprintf(stderr, "%s: bad signature '%.*s' for %s\n", table, static_cast<int>(sig.size()), sig.data(), text);
            abort();
        }
        f.name = std::string(text) + (sig.empty() ? "" : " " + signature_text(f.operands));
        out.push_back(std::move(f));
    } while (pos != std::string_view::npos);
    return out;
}

std::string signature_text(const std::vector<OperandKind>& operands) {
    std::string s;
    for (const OperandKind& k : operands) {
        if (!s.empty()) s += ", ";
        s += operand_text(k);
    }
    return s;
}

}  // namespace keel::difftest
