// The differential test: one Catch2 test case per form, named "differential: <form>"
// and tagged [diff] and [<mnemonic>], so `diff-tests "differential: add r64, m64"` or
// `diff-tests [shl]` runs a subset. Each runs KEEL_DIFF_CASES (default 200) cases under
// KEEL_DIFF_SEED natively and through keel and fails on any difference, printing the
// first few in full. Forms listed in known_failures.txt are tagged [!mayfail]: they are
// still run and reported, but do not fail the run.
#include <catch2/catch.hpp>

#include "tests/diff/diff_case.h"
#include "tests/diff/diff_driver.h"
#include "tests/diff/form.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <set>
#include <string>

using namespace keel::difftest;

namespace {

constexpr std::string_view kPrefix = "differential: ";

// Lines of the known-failures list: a form name, optionally followed by "  # why".
std::set<std::string> known_failures() {
    const char* path = getenv("KEEL_DIFF_KNOWN_FAILURES");
#ifdef KEEL_DIFF_KNOWN_FAILURES_FILE
    if (!path) path = KEEL_DIFF_KNOWN_FAILURES_FILE;
#endif
    std::set<std::string> forms;
    if (!path) return forms;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        line = line.substr(0, line.find('#'));
        while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.pop_back();
        if (!line.empty()) forms.insert(line);
    }
    return forms;
}

const std::set<std::string>& known() {
    static const std::set<std::string> forms = known_failures();
    return forms;
}

void run_current_form() {
    const std::string test = Catch::getResultCapture().getCurrentTestName();
    const Form* form = find_form(std::string_view(test).substr(kPrefix.size()));
    REQUIRE(form != nullptr);
    const uint64_t master = master_seed_from_env();
    FormResult r = run_form(*form, master, cases_from_env(), run_keel);
    for (const std::string& e : r.errors) FAIL_CHECK("case generation failed: " << e);
    for (const std::string& report : r.reports) FAIL_CHECK(report);
    char summary[160];
    snprintf(summary, sizeof summary, "%s: %u of %u cases differ (master seed %#" PRIx64 ")",
             form->name.c_str(), r.mismatches, r.cases, master);
    INFO(summary);
    if (r.mismatches == 0 && r.errors.empty() && known().count(form->name))
        WARN(form->name << " passes now: remove it from known_failures.txt");
    CHECK(r.mismatches == 0);
    CHECK(r.cases > 0);
}

// Registers the tests at start-up. Catch2 keeps the names by reference, so they live in
// a deque that never moves them.
struct Registrar {
    std::deque<std::string> strings;
    std::deque<Catch::AutoReg> registrations;

    Registrar() {
        tune_allocator();
        for (const Form& f : all_forms()) {
            std::string mnemonic = f.name.substr(0, f.name.find(' '));
            if (mnemonic == "lock" || mnemonic == "rep" || mnemonic == "repe" || mnemonic == "repne") {
                size_t start = f.name.find(' ') + 1;
                mnemonic = f.name.substr(start, f.name.find(' ', start) - start);
            }
            const std::string& name = strings.emplace_back(std::string(kPrefix) + f.name);
            const std::string& tags = strings.emplace_back(
                "[diff][" + mnemonic + "]" + (known().count(f.name) ? "[!mayfail]" : ""));
            registrations.emplace_back(Catch::makeTestInvoker(&run_current_form),
                                       CATCH_INTERNAL_LINEINFO, Catch::StringRef(),
                                       Catch::NameAndTags{Catch::StringRef(name), Catch::StringRef(tags)});
        }
    }
};

const Registrar registrar;

}  // namespace
