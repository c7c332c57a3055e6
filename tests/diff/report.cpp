#include "tests/diff/report.h"

#include "tests/diff/flags_policy.h"

#include <Zydis/Zydis.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace keel::difftest {
namespace {

std::string hex(uint64_t v) {
    char buf[24];
    snprintf(buf, sizeof buf, "%016" PRIx64, v);
    return buf;
}

uint16_t fpu16(const CpuSnapshot& s, unsigned at) { return static_cast<uint16_t>(s.fpu[at] | s.fpu[at + 1] << 8); }

std::string st_text(const CpuSnapshot& s, unsigned i) {
    char buf[40];
    const uint8_t* r = s.fpu + kFpuStOffset + 16 * i;
    uint64_t mantissa;
    memcpy(&mantissa, r, 8);
    snprintf(buf, sizeof buf, "%04x_%016" PRIx64, r[8] | r[9] << 8, mantissa);
    return buf;
}

// The x87 state (ST0..ST7 in stack order, as FXSAVE stores them), unless it is FNINIT's.
std::string fpu_text(const CpuSnapshot& s) {
    bool fresh = fpu16(s, 0) == kDefaultFcw && fpu16(s, 2) == 0 && s.fpu[4] == 0;
    for (unsigned i = 0; fresh && i < 8 * 16; ++i) fresh = s.fpu[kFpuStOffset + i] == 0;
    if (fresh) return "";
    char buf[120];
    snprintf(buf, sizeof buf, "  fcw %04x fsw %04x (top %u) ftw %02x\n", fpu16(s, 0), fpu16(s, 2), (fpu16(s, 2) >> 11) & 7,
             s.fpu[4]);
    std::string out = buf;
    for (unsigned i = 0; i < 8; ++i) out += "  st" + std::to_string(i) + "   " + st_text(s, i) + (i % 2 ? "\n" : "");
    return out;
}

std::string registers_text(const CpuSnapshot& s) {
    std::string out;
    for (unsigned i = 0; i < kGprCount; ++i) {
        char buf[40];
        snprintf(buf, sizeof buf, "  %-3s %016" PRIx64, gpr_name(i), s.gpr[i]);
        out += buf;
        if (i % 4 == 3) out += "\n";
    }
    char buf[80];
    snprintf(buf, sizeof buf, "  rflags %016" PRIx64 " [%s]\n", s.rflags, flags_text(s.rflags).c_str());
    out += buf;
    // XMM registers only where they are not all zero (the integer forms leave them so).
    for (unsigned i = 0; i < kXmmCount; ++i) {
        uint64_t half[2];
        memcpy(half, s.xmm[i], 16);
        if (!half[0] && !half[1]) continue;
        snprintf(buf, sizeof buf, "  xmm%-2u %016" PRIx64 "_%016" PRIx64 "\n", i, half[1], half[0]);
        out += buf;
    }
    snprintf(buf, sizeof buf, "  mxcsr %08x\n", s.mxcsr);
    out += buf;
    out += fpu_text(s);
    return out;
}

}  // namespace

const char* gpr_name(unsigned index) {
    static constexpr const char* kNames[kGprCount] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp",
                                                      "rsi", "rdi", "r8",  "r9",  "r10", "r11",
                                                      "r12", "r13", "r14", "r15"};
    return index < kGprCount ? kNames[index] : "?";
}

std::string disassemble(const std::vector<uint8_t>& code, uint64_t address) {
    std::string out;
    size_t offset = 0;
    while (offset < code.size()) {
        ZydisDisassembledInstruction insn;
        const uint64_t at = address + offset;
        char line[160];
        if (!ZYAN_SUCCESS(ZydisDisassembleIntel(ZYDIS_MACHINE_MODE_LONG_64, at, code.data() + offset,
                                                code.size() - offset, &insn))) {
            snprintf(line, sizeof line, "  %08" PRIx64 "  %02x  (undecodable)\n", at, code[offset]);
            out += line;
            ++offset;
            continue;
        }
        std::string bytes;
        for (unsigned i = 0; i < insn.info.length; ++i) {
            char b[4];
            snprintf(b, sizeof b, "%02x ", code[offset + i]);
            bytes += b;
        }
        snprintf(line, sizeof line, "  %08" PRIx64 "  %-30s %s\n", at, bytes.c_str(), insn.text);
        out += line;
        offset += insn.info.length;
    }
    return out;
}

std::string flags_text(uint64_t rflags) {
    struct Bit { uint64_t bit; const char* name; };
    static constexpr Bit kBits[] = {{kFlagCF, "CF"}, {kFlagPF, "PF"}, {kFlagAF, "AF"}, {kFlagZF, "ZF"},
                                    {kFlagSF, "SF"}, {kFlagDF, "DF"}, {kFlagOF, "OF"}};
    std::string out;
    for (const Bit& b : kBits)
        if (rflags & b.bit) out += out.empty() ? b.name : std::string(" ") + b.name;
    return out;
}

std::string fault_text(int fault) {
    static constexpr const char* kNames[32] = {
        "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "?9", "#TS", "#NP",
        "#SS", "#GP", "#PF", "?15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP"};
    if (fault == kFaultNone) return "none";
    if (fault == kFaultTimeout) return "harness: timeout";
    if (fault == kFaultHarness) return "harness: failure";
    if (fault >= 0 && fault < 32 && kNames[fault]) return std::string(kNames[fault]) + " (" + std::to_string(fault) + ")";
    return "vector " + std::to_string(fault);
}

std::string describe_case(const Case& c) {
    char head[160];
    snprintf(head, sizeof head, "form '%s' seed %" PRIu64 " (reproduce: keel-diff --form '%s' --seed %" PRIu64 ")\n",
             c.form.c_str(), c.seed, c.form.c_str(), c.seed);
    return head + disassemble(c.code) + "input:\n" + registers_text(c.in);
}

std::string describe_outcome(const Outcome& o, const Case& c) {
    std::string out = "  fault " + fault_text(o.fault);
    if (o.fault >= 0) out += " at " + hex(o.fault_rip);
    out += "\n" + registers_text(o.out);
    size_t changed = 0;
    for (size_t i = 0; i < o.data.size() && i < c.data.size(); ++i) changed += o.data[i] != c.data[i];
    out += "  data: " + std::to_string(changed) + " byte(s) changed\n";
    return out;
}

bool outcomes_agree(const Case& c, const Outcome& expected, const Outcome& actual,
                    std::string& differences) {
    differences.clear();
    char line[200];
    // A harness failure on either side is never agreement, even on both sides.
    for (const Outcome* o : {&expected, &actual}) {
        if (o->fault < kFaultNone) {
            differences += std::string("  ") + (o == &expected ? "native" : "keel") +
                           " run did not complete: " + fault_text(o->fault) + "\n";
        }
    }
    if (expected.fault != actual.fault || (expected.fault >= 0 && expected.fault_rip != actual.fault_rip)) {
        snprintf(line, sizeof line, "  fault: native %s at %s, keel %s at %s\n",
                 fault_text(expected.fault).c_str(), hex(expected.fault_rip).c_str(),
                 fault_text(actual.fault).c_str(), hex(actual.fault_rip).c_str());
        differences += line;
    }
    const Ignored ignored = ignored_for(c, expected);
    for (unsigned i = 0; i < kGprCount; ++i) {
        uint64_t mask = ~ignored.gpr_bits[i];
        if ((expected.out.gpr[i] & mask) != (actual.out.gpr[i] & mask)) {
            snprintf(line, sizeof line, "  %-3s native %016" PRIx64 " keel %016" PRIx64 " (xor %016" PRIx64 ")\n",
                     gpr_name(i), expected.out.gpr[i], actual.out.gpr[i],
                     (expected.out.gpr[i] ^ actual.out.gpr[i]) & mask);
            differences += line;
        }
    }
    const uint64_t compared = kUserFlags & ~ignored.flags;
    const uint64_t flag_diff = (expected.out.rflags ^ actual.out.rflags) & compared;
    if (flag_diff) {
        snprintf(line, sizeof line, "  rflags differ in [%s]: native [%s] keel [%s] (ignored: [%s])\n",
                 flags_text(flag_diff).c_str(), flags_text(expected.out.rflags & compared).c_str(),
                 flags_text(actual.out.rflags & compared).c_str(), flags_text(ignored.flags).c_str());
        differences += line;
    }
    for (unsigned i = 0; i < kXmmCount; ++i) {
        if (memcmp(expected.out.xmm[i], actual.out.xmm[i], 16) == 0) continue;
        uint64_t n[2], k[2];
        memcpy(n, expected.out.xmm[i], 16);
        memcpy(k, actual.out.xmm[i], 16);
        snprintf(line, sizeof line, "  xmm%-2u native %016" PRIx64 "_%016" PRIx64 " keel %016" PRIx64 "_%016" PRIx64 "\n", i,
                 n[1], n[0], k[1], k[0]);
        differences += line;
    }
    // The x87 state: control, status and abridged tag words and the eight registers.
    for (unsigned at : {0u, 2u}) {
        if (fpu16(expected.out, at) == fpu16(actual.out, at)) continue;
        snprintf(line, sizeof line, "  %s native %04x keel %04x\n", at ? "fsw" : "fcw", fpu16(expected.out, at),
                 fpu16(actual.out, at));
        differences += line;
    }
    if (expected.out.fpu[4] != actual.out.fpu[4]) {
        snprintf(line, sizeof line, "  ftw native %02x keel %02x\n", expected.out.fpu[4], actual.out.fpu[4]);
        differences += line;
    }
    for (unsigned i = 0; i < 8; ++i) {
        const unsigned at = kFpuStOffset + 16 * i;
        if (memcmp(expected.out.fpu + at, actual.out.fpu + at, 10) == 0) continue;
        differences += "  st" + std::to_string(i) + " native " + st_text(expected.out, i) + " keel " + st_text(actual.out, i) + "\n";
    }
    if (expected.out.mxcsr != actual.out.mxcsr) {
        snprintf(line, sizeof line, "  mxcsr native %08x keel %08x\n", expected.out.mxcsr, actual.out.mxcsr);
        differences += line;
    }
    if (expected.data.size() != actual.data.size()) {
        differences += "  data: sizes differ (" + std::to_string(expected.data.size()) + " vs " +
                       std::to_string(actual.data.size()) + ")\n";
    } else if (memcmp(expected.data.data(), actual.data.data(), expected.data.size()) != 0) {
        // Report differing bytes as ranges, the first few in full.
        size_t shown = 0;
        for (size_t i = 0; i < expected.data.size();) {
            if (expected.data[i] == actual.data[i]) {
                ++i;
                continue;
            }
            size_t j = i;
            while (j < expected.data.size() && expected.data[j] != actual.data[j]) ++j;
            if (shown++ < 8) {
                std::string n, k;
                for (size_t x = i; x < j && x < i + 16; ++x) {
                    char b[4];
                    snprintf(b, sizeof b, "%02x", expected.data[x]);
                    n += b;
                    snprintf(b, sizeof b, "%02x", actual.data[x]);
                    k += b;
                }
                snprintf(line, sizeof line, "  data %016" PRIx64 "..+%zu: native %s keel %s%s\n",
                         kDataBase + i, j - i, n.c_str(), k.c_str(), j - i > 16 ? " ..." : "");
                differences += line;
            }
            i = j;
        }
        if (shown > 8) differences += "  data: " + std::to_string(shown - 8) + " more differing range(s)\n";
    }
    return differences.empty();
}

}  // namespace keel::difftest
