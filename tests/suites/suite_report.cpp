// suite_report: compares the public suites' blocks from a run under keel with the native
// reference and applies tests/suites/known-failures.txt (docs/testing.md#public-isa-suites).
//
//   suite_report [--subset] [--status-only FILE] NATIVE.txt GUEST_CONSOLE KNOWN_FAILURES
//
// --subset: the guest ran some programs only (keel.suites=...); the others are neither
// failures nor make their known-failure entries stale.
// --status-only FILE: lines `SUITE/NAME | REASON`: programs whose output differs from run
// to run natively too (the time of day), so only their exit status is compared.
//
// Both files hold run-suites.sh's blocks (=== BEGIN id === ... === END id status=N ===, or
// === SKIP id needs FLAG ===). A program's test cases are the lines of its native output
// (at least one); it passes when its exit status and every line match. A known-failures
// line is `SUITE/NAME | CASE | REASON`, CASE being * (the whole program) or the exact text
// of the native line that differs. Exit status 0 when every failure is known and every
// known failure still fails; 1 otherwise (an unknown failure, or a stale entry: the list
// can only shrink); 2 for unusable input. Prints a table per suite and, for each failure,
// the first differing lines.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

struct Block {
    bool skipped = false;
    std::string needs;           // the missing flag, when skipped
    std::vector<std::string> lines;
    int status = -1;             // -1: the block never ended (the run stopped inside it)
};

using Blocks = std::map<std::string, Block>;

bool starts(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

bool read_blocks(const char* path, Blocks& blocks, std::vector<std::string>& order)
{
    std::ifstream in(path);
    if (!in)
        return false;
    std::string line, current;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (starts(line, "=== BEGIN ") && line.size() > 14 && line.compare(line.size() - 4, 4, " ===") == 0) {
            current = line.substr(10, line.size() - 14);
            blocks[current] = Block {};
            order.push_back(current);
        } else if (starts(line, "=== END ") && !current.empty() && starts(line.substr(8), (current + " status=").c_str())) {
            blocks[current].status = std::atoi(line.c_str() + 8 + current.size() + 8);
            current.clear();
        } else if (starts(line, "=== SKIP ")) {
            std::string rest = line.substr(9);
            size_t needs = rest.find(" needs ");
            std::string id = rest.substr(0, needs);
            Block b;
            b.skipped = true;
            if (needs != std::string::npos)
                b.needs = rest.substr(needs + 7, rest.size() - needs - 7 - 4);
            blocks[id] = b;
            order.push_back(id);
        } else if (!current.empty()) {
            blocks[current].lines.push_back(line);
        }
    }
    return true;
}

struct Known {
    std::string id, test_case, reason;
    int line_number;
    bool used = false;
};

std::string trim(const std::string& s)
{
    size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
    return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

struct Tally {
    int programs = 0, ran = 0, skipped = 0, passed = 0, failed = 0, failed_known = 0;
    long cases = 0, cases_passed = 0, cases_failed = 0, cases_known = 0;
};

} // namespace

int main(int argc, char** argv)
{
    bool subset = false;
    std::set<std::string> status_only;
    for (;;) {
        if (argc > 1 && std::strcmp(argv[1], "--subset") == 0) {
            subset = true;
            ++argv, --argc;
        } else if (argc > 2 && std::strcmp(argv[1], "--status-only") == 0) {
            std::ifstream in(argv[2]);
            if (!in) {
                std::fprintf(stderr, "suite_report: cannot read %s\n", argv[2]);
                return 2;
            }
            std::string line;
            while (std::getline(in, line))
                if (!trim(line).empty() && trim(line)[0] != '#')
                    status_only.insert(trim(line.substr(0, line.find(" | "))));
            argv += 2, argc -= 2;
        } else {
            break;
        }
    }
    if (argc != 4) {
        std::fprintf(stderr, "usage: suite_report [--subset] [--status-only FILE] NATIVE GUEST_CONSOLE KNOWN_FAILURES\n");
        return 2;
    }
    Blocks native, guest;
    std::vector<std::string> order, guest_order;
    if (!read_blocks(argv[1], native, order) || !read_blocks(argv[2], guest, guest_order)) {
        std::fprintf(stderr, "suite_report: cannot read %s or %s\n", argv[1], argv[2]);
        return 2;
    }
    std::vector<Known> known;
    {
        std::ifstream in(argv[3]);
        if (!in) {
            std::fprintf(stderr, "suite_report: cannot read %s\n", argv[3]);
            return 2;
        }
        std::string line;
        for (int n = 1; std::getline(in, line); ++n) {
            if (trim(line).empty() || trim(line)[0] == '#')
                continue;
            size_t a = line.find(" | "), b = a == std::string::npos ? a : line.find(" | ", a + 3);
            if (b == std::string::npos || trim(line.substr(b + 3)).empty()) {
                std::fprintf(stderr, "suite_report: %s:%d: expected 'SUITE/NAME | CASE | REASON'\n", argv[3], n);
                return 2;
            }
            // The case is the native line exactly: only the separators' spaces are dropped.
            known.push_back({ trim(line.substr(0, a)), line.substr(a + 3, b - a - 3), trim(line.substr(b + 3)), n });
        }
    }
    auto find_known = [&](const std::string& id, const std::string* test_case) -> Known* {
        for (Known& k : known)
            if (k.id == id && (k.test_case == "*" || (test_case && k.test_case == *test_case)))
                return &k;
        return nullptr;
    };

    std::map<std::string, Tally> tallies;
    std::vector<std::string> report;
    bool ok = true;
    char buffer[512];
    std::set<std::string> absent; // --subset: programs the guest was not asked to run
    for (const std::string& id : order) {
        if (subset && !guest.count(id)) {
            absent.insert(id);
            continue;
        }
        std::string suite = id.substr(0, id.find('/'));
        Tally& t = tallies[suite];
        ++t.programs;
        const Block& ref = native[id];
        auto found = guest.find(id);
        if (ref.skipped) {
            absent.insert(id); // a known failure here can be neither confirmed nor stale
            ++t.skipped;
            report.push_back("  " + id + ": no native reference (this host lacks " + ref.needs + ")");
            continue;
        }
        long cases = status_only.count(id) ? 1 : std::max<long>(1, static_cast<long>(ref.lines.size()));
        t.cases += cases;
        if (found != guest.end() && found->second.skipped) {
            ++t.skipped;
            t.cases -= cases;
            report.push_back("  " + id + ": skipped: keel does not advertise " + found->second.needs);
            continue;
        }
        ++t.ran;
        // Program-level failures: missing, unfinished, other status, other line count.
        std::string whole;
        if (found == guest.end()) {
            whole = "did not run (the guest's run ended before it)";
        } else if (found->second.status < 0) {
            whole = "did not finish (the guest's run ended inside it)";
        } else if (found->second.status != ref.status) {
            std::snprintf(buffer, sizeof buffer, "exit status %d, natively %d", found->second.status, ref.status);
            whole = buffer;
        } else if (status_only.count(id)) {
            // Only the status counts (one case): the output is not compared.
        } else if (found->second.lines.size() != ref.lines.size()) {
            std::snprintf(buffer, sizeof buffer, "%zu output lines, natively %zu", found->second.lines.size(), ref.lines.size());
            whole = buffer;
        }
        std::vector<size_t> differing;
        if (whole.empty() && !status_only.count(id))
            for (size_t i = 0; i < ref.lines.size(); ++i)
                if (ref.lines[i] != found->second.lines[i])
                    differing.push_back(i);
        if (whole.empty() && differing.empty()) {
            ++t.passed;
            t.cases_passed += cases;
            continue;
        }
        bool all_known = true;
        if (!whole.empty()) {
            Known* k = find_known(id, nullptr);
            all_known = k != nullptr;
            if (k)
                k->used = true;
            t.cases_failed += cases;
            if (k)
                t.cases_known += cases;
            report.push_back(std::string(k ? "  known: " : "  FAILED: ") + id + ": " + whole + (k ? " (" + k->reason + ")" : ""));
        } else {
            long known_cases = 0;
            for (size_t i : differing) {
                Known* k = find_known(id, &ref.lines[i]);
                if (k) {
                    k->used = true;
                    ++known_cases;
                } else {
                    all_known = false;
                }
            }
            t.cases_failed += static_cast<long>(differing.size());
            t.cases_known += known_cases;
            t.cases_passed += cases - static_cast<long>(differing.size());
            std::snprintf(buffer, sizeof buffer, "%zu of %ld cases differ, %ld of them known", differing.size(), cases, known_cases);
            report.push_back(std::string(all_known ? "  known: " : "  FAILED: ") + id + ": " + buffer);
        }
        // The first differing lines, for a failure that is not known.
        if (!all_known && found != guest.end()) {
            const std::vector<std::string>& got = found->second.lines;
            int shown = 0;
            for (size_t i = 0; i < std::max(ref.lines.size(), got.size()) && shown < 5; ++i) {
                const std::string* r = i < ref.lines.size() ? &ref.lines[i] : nullptr;
                const std::string* g = i < got.size() ? &got[i] : nullptr;
                if (r && g && *r == *g)
                    continue;
                if (r && g && find_known(id, r))
                    continue;
                report.push_back("      line " + std::to_string(i + 1) + " native: " + (r ? *r : "(none)"));
                report.push_back("      line " + std::to_string(i + 1) + " keel:   " + (g ? *g : "(none)"));
                ++shown;
            }
        }
        if (all_known)
            ++t.failed_known;
        else
            ok = false;
        ++t.failed;
    }
    for (const Known& k : known) {
        if (!k.used && !absent.count(k.id)) {
            report.push_back("  STALE: " + std::string(argv[3]) + ":" + std::to_string(k.line_number) + ": " + k.id + " | " + k.test_case
                + " no longer fails (or did not run): remove it");
            ok = false;
        }
    }

    std::printf("%-10s %8s %6s %8s %7s %7s %6s   %8s %8s %7s %6s\n", "suite", "programs", "ran", "skipped", "passed", "failed", "known",
        "cases", "passed", "failed", "known");
    for (const auto& [suite, t] : tallies)
        std::printf("%-10s %8d %6d %8d %7d %7d %6d   %8ld %8ld %7ld %6ld\n", suite.c_str(), t.programs, t.ran, t.skipped, t.passed,
            t.failed, t.failed_known, t.cases, t.cases_passed, t.cases_failed, t.cases_known);
    for (const std::string& line : report)
        std::printf("%s\n", line.c_str());
    std::printf("suite_report: %s\n", ok ? "every failure is a known one, and every known one still fails" : "FAILED (see above)");
    return ok ? 0 : 1;
}
