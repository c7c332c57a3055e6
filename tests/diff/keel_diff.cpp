// keel-diff: the differential tester as a command-line tool, for debugging one form or
// one case, native CPU against keel; with --native-only the native runner is compared
// with itself.
#include "tests/diff/diff_case.h"
#include "tests/diff/diff_driver.h"
#include "tests/diff/form.h"
#include "tests/diff/generator.h"
#include "tests/diff/report.h"

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace keel::difftest;

namespace {

void usage() {
    fprintf(stderr,
            "usage: keel-diff [options]\n"
            "  --list             print every form and exit\n"
            "  --form NAME        only this form (exact name, see --list)\n"
            "  --filter TEXT      only forms whose name contains TEXT\n"
            "  --seed N           run the single case (form, N) and print it in full\n"
            "  --cases N          cases per form (default KEEL_DIFF_CASES or %u)\n"
            "  --master N         master seed (default KEEL_DIFF_SEED or built-in)\n"
            "  --native-only      compare the native runner with itself\n"
            "  --stats            print, per form, how many native runs faulted\n"
            "  --shard K/N        only the forms whose index in --list is K modulo N (make stress)\n",
            kDefaultCasesPerForm);
}

Runner default_runner(bool native_only) { return native_only ? run_native : run_keel; }

int run_single(const Form& form, uint64_t seed, Runner other) {
    Case c;
    std::string error;
    if (!generate_case(form, seed, c, error)) {
        fprintf(stderr, "keel-diff: %s\n", error.c_str());
        return 2;
    }
    Outcome native = run_native(c);
    Outcome theirs = other(c);
    printf("%snative:\n%s", describe_case(c).c_str(), describe_outcome(native, c).c_str());
    printf("%s:\n%s", other == run_native ? "native again" : "keel", describe_outcome(theirs, c).c_str());
    std::string differences;
    bool same = outcomes_agree(c, native, theirs, differences);
    printf(same ? "agree\n" : "differences:\n%s", differences.c_str());
    return same ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    tune_allocator();
    std::string form_name, filter;
    bool have_seed = false, native_only = false, stats = false;
    uint64_t seed = 0, master = master_seed_from_env();
    unsigned cases = cases_from_env();
    unsigned shard = 0, shards = 1;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc) {
                usage();
                exit(2);
            }
            return argv[++i];
        };
        if (a == "--list") {
            for (const Form& f : all_forms()) printf("%s\n", f.name.c_str());
            return 0;
        } else if (a == "--form") form_name = value();
        else if (a == "--filter") filter = value();
        else if (a == "--seed") { seed = strtoull(value(), nullptr, 0); have_seed = true; }
        else if (a == "--cases") cases = static_cast<unsigned>(strtoul(value(), nullptr, 0));
        else if (a == "--master") master = strtoull(value(), nullptr, 0);
        else if (a == "--native-only") native_only = true;
        else if (a == "--stats") stats = true;
        else if (a == "--shard") {
            if (sscanf(value(), "%u/%u", &shard, &shards) != 2 || shards == 0 || shard >= shards) {
                usage();
                return 2;
            }
        }
        else { usage(); return 2; }
    }
    Runner other = default_runner(native_only);

    const Form* only = nullptr;
    if (!form_name.empty() && !(only = find_form(form_name))) {
        fprintf(stderr, "keel-diff: no form named '%s' (see --list)\n", form_name.c_str());
        return 2;
    }
    if (have_seed) {
        if (!only) {
            fprintf(stderr, "keel-diff: --seed needs --form\n");
            return 2;
        }
        return run_single(*only, seed, other);
    }

    auto start = std::chrono::steady_clock::now();
    unsigned passed = 0, failed = 0, total_cases = 0, index = 0;
    for (const Form& f : all_forms()) {
        if (index++ % shards != shard) continue;
        if (only && &f != only) continue;
        if (!filter.empty() && f.name.find(filter) == std::string::npos) continue;
        FormResult r = run_form(f, master, cases, other);
        total_cases += r.cases;
        bool ok = r.mismatches == 0 && r.errors.empty();
        (ok ? passed : failed)++;
        if (stats) printf("%-32s %4u cases %4u native faults\n", f.name.c_str(), r.cases, r.native_faults);
        for (const std::string& e : r.errors) printf("generation error: %s\n", e.c_str());
        if (r.mismatches) {
            printf("MISMATCH %s: %u of %u cases\n", f.name.c_str(), r.mismatches, r.cases);
            for (const std::string& rep : r.reports) printf("%s\n", rep.c_str());
        }
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    printf("master seed %#" PRIx64 ", %u cases in %.2f s (%s)\n", master, total_cases, seconds,
           other == run_native ? "native vs native" : "native vs keel");
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
