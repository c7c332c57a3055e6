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
    return out + buf;
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
