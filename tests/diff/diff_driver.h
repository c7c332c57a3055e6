// Runs the forms through two runners and collects what differs; shared by the Catch2
// test (diff_test.cpp), the keel-diff tool and the self-test.
#pragma once

#include "tests/diff/diff_case.h"
#include "tests/diff/form.h"

#include <cstdint>
#include <string>
#include <vector>

namespace keel::difftest {

inline constexpr unsigned kDefaultCasesPerForm = 200;

// KEEL_DIFF_SEED (decimal or 0x-hex) or kDefaultMasterSeed.
uint64_t master_seed_from_env();
// KEEL_DIFF_CASES or `fallback`.
unsigned cases_from_env(unsigned fallback = kDefaultCasesPerForm);

// Every test binary here allocates and frees tens of MiB of 64 KiB vectors per form;
// without this glibc returns them to the kernel each time and pays a page fault per
// page to get them back, which costs more than running the cases.
void tune_allocator();

using Runner = Outcome (*)(const Case&);

struct FormResult {
    std::string form;
    unsigned cases = 0;       // generated and run
    unsigned mismatches = 0;
    unsigned native_faults = 0;   // cases where the native run raised an exception
    std::vector<std::string> reports;  // the first few mismatches, in full
    std::vector<std::string> errors;   // cases that could not be generated
};

// Generates `count` cases of `form` under `master`, runs them natively and with
// `other`, and compares. Keeps the full report of at most `max_reports` mismatches.
FormResult run_form(const Form& form, uint64_t master, unsigned count, Runner other,
                    unsigned max_reports = 3);

}  // namespace keel::difftest
