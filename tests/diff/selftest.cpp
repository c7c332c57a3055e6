// diff-selftest: checks the native half of the differential tester on its own, so it can
// run before keel exists: hand-written cases with known results, the runner's recovery
// from hanging and dying cases, the comparison and the flags policy, and, for every
// form, that generation and native execution are deterministic.
#define CATCH_CONFIG_RUNNER
#define CATCH_CONFIG_CONSOLE_WIDTH 132  // the register dumps are 100 columns wide
#include <catch2/catch.hpp>

#include "tests/diff/diff_case.h"
#include "tests/diff/diff_driver.h"
#include "tests/diff/flags_policy.h"
#include "tests/diff/form.h"
#include "tests/diff/generator.h"
#include "tests/diff/report.h"

#include <cstring>

using namespace keel::difftest;

namespace {

Case hand_case(std::vector<uint8_t> code) {
    Case c;
    c.form = "selftest";
    c.code = std::move(code);
    c.data.assign(kDataSize, 0);
    for (unsigned i = 0; i < kGprCount; ++i) c.in.gpr[i] = 0x1111111111111111ull * i;
    c.in.gpr[kRsp] = kStackHigh - 0x100;
    c.in.rflags = kFixedFlags;
    return c;
}

// Everything but `except` came back as it went in.
void check_unchanged(const Case& c, const Outcome& o, unsigned except = kGprCount) {
    for (unsigned i = 0; i < kGprCount; ++i) {
        INFO("register " << gpr_name(i));
        if (i != except) CHECK(o.out.gpr[i] == c.in.gpr[i]);
    }
}

bool same_outcome(const Outcome& a, const Outcome& b) {
    return a.fault == b.fault && a.fault_rip == b.fault_rip && a.data == b.data &&
           memcmp(&a.out, &b.out, sizeof a.out) == 0;
}

}  // namespace

TEST_CASE("selftest: hand-made cases give the known results", "[selftest]") {
    SECTION("add rax, rbx") {
        Case c = hand_case({0x48, 0x01, 0xD8});
        c.in.gpr[kRax] = 5;
        c.in.gpr[kRbx] = 7;
        Outcome o = run_native(c);
        CHECK(o.fault == kFaultNone);
        CHECK(o.out.gpr[kRax] == 12);
        CHECK((o.out.rflags & kUserFlags) == kFlagPF);  // 12 = 1100b: even parity
        check_unchanged(c, o, kRax);
        CHECK(o.data == c.data);

        c.in.gpr[kRax] = 0x7FFFFFFFFFFFFFFF;
        c.in.gpr[kRbx] = 1;
        o = run_native(c);
        CHECK(o.out.gpr[kRax] == 0x8000000000000000);
        CHECK((o.out.rflags & kUserFlags) == (kFlagOF | kFlagSF | kFlagAF | kFlagPF));
    }
    SECTION("div rcx by zero is #DE at the DIV, with nothing changed") {
        Case c = hand_case({0x90, 0x48, 0xF7, 0xF1});
        c.in.gpr[kRcx] = 0;
        Outcome o = run_native(c);
        CHECK(o.fault == 0);
        CHECK(o.fault_rip == kCodeBase + 1);
        check_unchanged(c, o);
    }
    SECTION("a store shows up in the data area") {
        Case c = hand_case({0x48, 0x89, 0x18});  // mov [rax], rbx
        c.in.gpr[kRax] = kDataBase + 0x100;
        c.in.gpr[kRbx] = 0x1122334455667788;
        Outcome o = run_native(c);
        CHECK(o.fault == kFaultNone);
        uint64_t stored;
        memcpy(&stored, &o.data[0x100], 8);
        CHECK(stored == 0x1122334455667788);
    }
    SECTION("push rbx writes below RSP") {
        Case c = hand_case({0x53});
        Outcome o = run_native(c);
        CHECK(o.out.gpr[kRsp] == c.in.gpr[kRsp] - 8);
        uint64_t pushed;
        memcpy(&pushed, &o.data[c.in.gpr[kRsp] - 8 - kDataBase], 8);
        CHECK(pushed == c.in.gpr[kRbx]);
    }
    SECTION("int3 reports #BP at the INT3 itself") {
        Outcome o = run_native(hand_case({0x90, 0xCC}));
        CHECK(o.fault == 3);
        CHECK(o.fault_rip == kCodeBase + 1);
    }
    SECTION("ud2 is #UD") {
        Outcome o = run_native(hand_case({0x0F, 0x0B}));
        CHECK(o.fault == 6);
        CHECK(o.fault_rip == kCodeBase);
    }
    SECTION("unmapped and non-canonical addresses") {
        Case c = hand_case({0x48, 0x89, 0x18});  // mov [rax], rbx
        c.in.gpr[kRax] = kDataBase + kDataSize - 4;  // straddles the end
        Outcome o = run_native(c);
        CHECK(o.fault == 14);
        CHECK(o.data == c.data);  // no partial store
        c.in.gpr[kRax] = 0x8000000000000000;
        CHECK(run_native(c).fault == 13);
    }
    SECTION("a faulting REP STOSB keeps its progress") {
        Case c = hand_case({0xF3, 0xAA});  // rep stosb
        c.in.gpr[kRdi] = kDataBase + kDataSize - 4;
        c.in.gpr[kRcx] = 0x20;
        c.in.gpr[kRax] = 0xAB;
        Outcome o = run_native(c);
        CHECK(o.fault == 14);
        CHECK(o.out.gpr[kRcx] == 0x20 - 4);
        CHECK(o.out.gpr[kRdi] == kDataBase + kDataSize);
        CHECK(o.data[kDataSize - 1] == 0xAB);
    }
    SECTION("DF set by the case is reported, and cleared for the host") {
        Outcome o = run_native(hand_case({0xFD}));  // std
        CHECK((o.out.rflags & kFlagDF) != 0);
        o = run_native(hand_case({0x90}));
        CHECK((o.out.rflags & kFlagDF) == 0);
    }
    SECTION("any RSP, even at a fault") {
        Outcome o = run_native(hand_case({0x48, 0xC7, 0xC4, 0, 0, 0, 0}));  // mov rsp, 0
        CHECK(o.fault == kFaultNone);
        CHECK(o.out.gpr[kRsp] == 0);
        o = run_native(hand_case({0x48, 0xC7, 0xC4, 0, 0, 0, 0, 0x0F, 0x0B}));  // ... ud2
        CHECK(o.fault == 6);
        CHECK(o.out.gpr[kRsp] == 0);
    }
    SECTION("a fault with a non-canonical RSP comes back (#SS from a stack store)") {
        // Some kernels cannot return to user mode with a non-canonical RSP; the worker
        // must not hand the case's RSP back to sigreturn (native_child.cpp, on_fault).
        Case c = hand_case({0x89, 0x04, 0x24});  // mov [rsp], eax
        c.in.gpr[kRsp] = 0x0000800068c859b5;
        Outcome o = run_native(c);
        CHECK(o.fault == 12);
        CHECK(o.fault_rip == kCodeBase);
        CHECK(o.out.gpr[kRsp] == c.in.gpr[kRsp]);
        c.code = {0x48, 0x89, 0x18};  // mov [rax], rbx with the same RSP: #GP
        c.in.gpr[kRax] = 0x8000000000000000;
        CHECK(run_native(c).fault == 13);
        c.code = {0x90};  // no fault: the epilogue hands RSP back untouched
        o = run_native(c);
        CHECK(o.fault == kFaultNone);
        CHECK(o.out.gpr[kRsp] == c.in.gpr[kRsp]);
    }
    SECTION("pushfq pushes the input flags with IF") {
        Case c = hand_case({0x9C, 0x58});  // pushfq; pop rax
        c.in.rflags = kFixedFlags | kFlagCF | kFlagZF | kFlagOF;
        Outcome o = run_native(c);
        CHECK(o.out.gpr[kRax] == c.in.rflags);
    }
}

TEST_CASE("selftest: the runner survives hanging and dying cases", "[selftest]") {
    std::vector<Case> cases = {
        hand_case({0x90}),
        hand_case({0xEB, 0xFE}),  // jmp $
        hand_case({0x90}),
        hand_case({0xB8, 0xE7, 0, 0, 0, 0x31, 0xFF, 0x0F, 0x05}),  // exit_group(0)
        hand_case({0x48, 0xFF, 0xC0}),  // inc rax
    };
    std::vector<Outcome> o = run_native_batch(cases);
    REQUIRE(o.size() == 5);
    CHECK(o[0].fault == kFaultNone);
    CHECK(o[1].fault == kFaultTimeout);
    CHECK(o[2].fault == kFaultNone);
    CHECK(o[3].fault == kFaultHarness);
    CHECK(o[4].fault == kFaultNone);
    CHECK(o[4].out.gpr[kRax] == cases[4].in.gpr[kRax] + 1);
}

TEST_CASE("selftest: the comparison sees every kind of difference", "[selftest]") {
    Case c = hand_case({0x48, 0x21, 0xD8});  // and rax, rbx: AF undefined
    Outcome native = run_native(c);
    std::string why;
    CHECK(outcomes_agree(c, native, native, why));
    Outcome other = native;
    other.out.rflags ^= kFlagAF;
    CHECK(outcomes_agree(c, native, other, why));  // AF after AND is undefined
    other.out.rflags ^= kFlagZF;
    CHECK_FALSE(outcomes_agree(c, native, other, why));
    other = native;
    other.out.gpr[kR13] ^= 1;
    CHECK_FALSE(outcomes_agree(c, native, other, why));
    CHECK(why.find("r13") != std::string::npos);
    other = native;
    other.data[0x1234] ^= 0x80;
    CHECK_FALSE(outcomes_agree(c, native, other, why));
    other = native;
    other.fault = 13;
    other.fault_rip = kCodeBase;
    CHECK_FALSE(outcomes_agree(c, native, other, why));
    other = native;
    other.fault = kFaultHarness;
    CHECK_FALSE(outcomes_agree(c, native, other, why));
}

TEST_CASE("selftest: flags policy", "[selftest]") {
    using namespace keel::difftest;
    CHECK(undefined_flags(ZYDIS_MNEMONIC_ADD, 64, 0) == 0);
    CHECK(undefined_flags(ZYDIS_MNEMONIC_XOR, 32, 0) == kFlagAF);
    CHECK(undefined_flags(ZYDIS_MNEMONIC_DIV, 64, 0) == kStatusFlags);
    CHECK(undefined_flags(ZYDIS_MNEMONIC_SHL, 32, 0) == 0);           // count 0: unaffected
    CHECK(undefined_flags(ZYDIS_MNEMONIC_SHL, 32, 1) == kFlagAF);     // OF defined
    CHECK(undefined_flags(ZYDIS_MNEMONIC_SHL, 32, 5) == (kFlagAF | kFlagOF));
    CHECK(undefined_flags(ZYDIS_MNEMONIC_SHR, 8, 9) == (kFlagAF | kFlagOF | kFlagCF));
    CHECK(undefined_flags(ZYDIS_MNEMONIC_SAR, 8, 9) == (kFlagAF | kFlagOF));
    CHECK(undefined_flags(ZYDIS_MNEMONIC_RCL, 16, 1) == 0);
    CHECK(undefined_flags(ZYDIS_MNEMONIC_ROR, 64, 2) == kFlagOF);
    CHECK(undefined_flags(ZYDIS_MNEMONIC_BSF, 64, 0) == (kStatusFlags & ~kFlagZF));

    // The count comes from CL at entry, masked.
    Case c = hand_case({0xD3, 0xE0});  // shl eax, cl
    c.in.gpr[kRcx] = 0x20;             // masked to 0: no flag is undefined
    Outcome o = run_native(c);
    CHECK(ignored_for(c, o).flags == 0);
    c.in.gpr[kRcx] = 0x23;
    CHECK(ignored_for(c, o).flags == (kFlagAF | kFlagOF));
    // A faulting instruction has no effect, so nothing of it is ignored.
    Case d = hand_case({0x48, 0xF7, 0xF1});  // div rcx
    d.in.gpr[kRcx] = 0;
    CHECK(ignored_for(d, run_native(d)).flags == 0);
}

TEST_CASE("selftest: every form generates and runs deterministically", "[selftest][forms]") {
    const uint64_t master = master_seed_from_env();
    const unsigned count = cases_from_env();
    ZydisDecoder decoder;
    ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    unsigned total = 0;
    for (const Form& f : all_forms()) {
        INFO("form " << f.name);
        std::vector<std::string> errors, errors_again;
        std::vector<Case> cases = generate_cases(f, master, count, errors);
        std::vector<Case> again = generate_cases(f, master, count, errors_again);
        CHECK(errors.empty());
        REQUIRE(cases.size() == again.size());
        std::vector<Outcome> first = run_native_batch(cases);
        std::vector<Outcome> second = run_native_batch(again);
        unsigned faults = 0, bad = 0;
        for (size_t i = 0; i < cases.size(); ++i) {
            const Case& c = cases[i];
            bool same_case = c.code == again[i].code && c.data == again[i].data &&
                             memcmp(&c.in, &again[i].in, sizeof c.in) == 0;
            if (!same_case || !same_outcome(first[i], second[i]) || first[i].fault < kFaultNone) {
                if (bad++ == 0) {
                    std::string why;
                    outcomes_agree(c, first[i], second[i], why);
                    FAIL_CHECK((same_case ? "" : "generation differs\n") << describe_case(c) << why);
                }
            }
            faults += first[i].fault >= 0;
            // The bytes decode completely and contain the instruction of the form.
            bool found = false;
            for (size_t at = 0; at < c.code.size();) {
                ZydisDecodedInstruction insn;
                if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&decoder, nullptr, c.code.data() + at,
                                                                c.code.size() - at, &insn)))
                    break;
                found |= insn.mnemonic == f.mnemonic;
                at += insn.length;
            }
            if (!found && bad++ == 0) FAIL_CHECK("form's instruction not in the code\n" << describe_case(c));
        }
        CHECK(bad == 0);
        // Memory operands land in the data area except for the few deliberate faults; a
        // generator bug that misplaces them shows up as a high fault rate.
        const bool faulting = f.mnemonic == ZYDIS_MNEMONIC_UD2 || f.mnemonic == ZYDIS_MNEMONIC_INT3 || f.privileged;
        const bool divides = f.mnemonic == ZYDIS_MNEMONIC_DIV || f.mnemonic == ZYDIS_MNEMONIC_IDIV;
        if (faulting) CHECK(faults == cases.size());
        else CHECK(faults * 100 <= cases.size() * (divides ? 50 : 20));
        total += static_cast<unsigned>(cases.size());
    }
    CHECK(total >= all_forms().size() * count);
}

int main(int argc, char** argv) {
    tune_allocator();
    return Catch::Session().run(argc, argv);
}
