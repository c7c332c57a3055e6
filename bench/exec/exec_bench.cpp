// exec-bench: runs each workload natively, under keel and under QEMU's user-mode TCG,
// interleaved run by run so machine noise hits all three alike, checks that every run
// printed the same checksum, and reports median wall times and slowdowns.
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

#include "bench_report.h"
#include "flag_values.h"
#include "workload_runner.h"

namespace keel::bench {

namespace {

// The workloads bench/exec/CMakeLists.txt builds, as NAME.native and NAME.elf.
const char* const workload_names[] = {"integer_mix", "memory_heavy", "branchy",      "call_heavy",
                                      "random_access", "pointer_chase", "sse_arrays"};

struct Options {
    std::string keel;
    std::string dir;
    std::string json;
    std::string qemu;
    std::vector<std::string> keel_args;
    std::vector<std::string> only;
    int runs = 5;
    int timeout_seconds = 300;
};

void usage(std::FILE* out)
{
    std::fputs("usage: exec-bench --keel PATH --dir DIR [--runs N] [--json OUT.json]\n"
               "                  [--qemu qemu-x86_64|PATH] [--timeout SECONDS]\n"
               "                  [--keel-arg ARG]... [--workload NAME]...\n"
               "Runs DIR/NAME.native, keel -kernel DIR/NAME.elf and qemu-x86_64 DIR/NAME.native\n"
               "N times each, interleaved; prints median wall times and ratios to native.\n"
               "A checksum differing from native's, or keel ending other than by the guest\n"
               "writing 0 to port 0xF4, is an error: exit status 1.\n",
               out);
}

std::optional<int> parse_count(const std::string& flag, const std::string& value)
{
    char* end = nullptr;
    long number = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || number < 1 || number > 100000) {
        std::fprintf(stderr, "exec-bench: %s wants a positive number, not '%s'\n", flag.c_str(),
                     value.c_str());
        return std::nullopt;
    }
    return static_cast<int>(number);
}

std::optional<Options> parse_options(int argc, char** argv)
{
    Options options;
    bool ok = read_flag_values("exec-bench", argc, argv, usage, [&](const std::string& flag, const std::string& value) {
        if (flag == "--keel") {
            options.keel = value;
        } else if (flag == "--dir") {
            options.dir = value;
        } else if (flag == "--json") {
            options.json = value;
        } else if (flag == "--qemu") {
            options.qemu = value;
        } else if (flag == "--keel-arg") {
            options.keel_args.push_back(value);
        } else if (flag == "--workload") {
            options.only.push_back(value);
        } else if (flag == "--runs" || flag == "--timeout") {
            auto count = parse_count(flag, value);
            if (!count)
                return false;
            (flag == "--runs" ? options.runs : options.timeout_seconds) = *count;
        } else {
            std::fprintf(stderr, "exec-bench: unknown option %s\n", flag.c_str());
            return false;
        }
        return true;
    });
    if (!ok)
        return std::nullopt;
    if (options.keel.empty() || options.dir.empty()) {
        usage(stderr);
        return std::nullopt;
    }
    return options;
}

bool wanted(const Options& options, const std::string& name)
{
    if (options.only.empty())
        return true;
    for (const auto& only : options.only) {
        if (only == name)
            return true;
    }
    return false;
}

int run_bench(int argc, char** argv)
{
    auto parsed = parse_options(argc, argv);
    if (!parsed)
        return 2;
    Options& options = *parsed;
    if (access(options.keel.c_str(), X_OK) != 0) {
        std::fprintf(stderr, "exec-bench: keel %s is not an executable file\n", options.keel.c_str());
        return 2;
    }
    if (!options.qemu.empty()) {
        std::string found = find_program(options.qemu);
        if (found.empty())
            std::fprintf(stderr, "exec-bench: no %s found; measuring without QEMU\n",
                         options.qemu.c_str());
        options.qemu = found;
    }
    for (const auto& only : options.only) {
        bool known = false;
        for (const char* name : workload_names)
            known = known || only == name;
        if (!known) {
            std::fprintf(stderr, "exec-bench: no workload named %s\n", only.c_str());
            return 2;
        }
    }

    std::vector<WorkloadResult> results;
    bool ok = true;
    for (const char* name : workload_names) {
        if (!wanted(options, name))
            continue;
        RunnerOptions runner {options.keel, options.qemu, options.keel_args, options.runs,
                              options.timeout_seconds};
        results.push_back(measure_interleaved({name}, options.dir, runner).front());
        for (Executor e : all_executors)
            ok = ok && results.back().of(e).error.empty();
    }

    std::printf("exec-bench: median wall time of %d run%s, process start to exit\n",
                options.runs, options.runs == 1 ? "" : "s");
    print_table(stdout, results);
    if (!options.json.empty()) {
        BenchSetup setup {options.keel, options.qemu, options.runs};
        std::string error = write_json(options.json, setup, results, ok);
        if (!error.empty()) {
            std::fprintf(stderr, "exec-bench: cannot write %s\n", error.c_str());
            return 1;
        }
    }
    if (!ok)
        std::fprintf(stderr, "exec-bench: FAILED (see the errors above)\n");
    return ok ? 0 : 1;
}

}

}

int main(int argc, char** argv)
{
    return keel::bench::run_bench(argc, argv);
}
