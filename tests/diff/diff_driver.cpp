#include "tests/diff/diff_driver.h"

#include "tests/diff/generator.h"
#include "tests/diff/report.h"

#include <cstdlib>
#include <malloc.h>

namespace keel::difftest {

uint64_t master_seed_from_env() {
    const char* text = getenv("KEEL_DIFF_SEED");
    if (!text || !*text) return kDefaultMasterSeed;
    return strtoull(text, nullptr, 0);
}

unsigned cases_from_env(unsigned fallback) {
    const char* text = getenv("KEEL_DIFF_CASES");
    if (!text || !*text) return fallback;
    long n = strtol(text, nullptr, 0);
    return n > 0 ? static_cast<unsigned>(n) : fallback;
}

void tune_allocator() {
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    mallopt(M_TOP_PAD, 64 << 20);
}

FormResult run_form(const Form& form, uint64_t master, unsigned count, Runner other,
                    unsigned max_reports) {
    FormResult result;
    result.form = form.name;
    std::vector<Case> cases = generate_cases(form, master, count, result.errors);
    std::vector<Outcome> native = run_native_batch(cases);
    result.cases = static_cast<unsigned>(cases.size());
    for (size_t i = 0; i < cases.size(); ++i) {
        if (native[i].fault >= 0) ++result.native_faults;
        Outcome theirs = other(cases[i]);
        std::string differences;
        if (outcomes_agree(cases[i], native[i], theirs, differences)) continue;
        if (result.mismatches++ < max_reports) {
            result.reports.push_back(describe_case(cases[i]) + "native:\n" +
                                     describe_outcome(native[i], cases[i]) + "differences:\n" +
                                     differences);
        }
    }
    return result;
}

}  // namespace keel::difftest
