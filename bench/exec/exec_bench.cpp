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
#include "timed_run.h"

namespace keel::bench {

namespace {

// The workloads bench/exec/CMakeLists.txt builds, as NAME.native and NAME.elf.
const char* const workload_names[] = {"integer_mix", "memory_heavy", "branchy", "call_heavy", "random_access"};

// keel exits with (v << 1) | 1 when the guest writes v to port 0xF4; the guests write 0
// (docs/test-guest-entry-state.md, "How the run ends").
constexpr int keel_normal_exit = 1;

// keel's stderr can be a long register dump; errors quote its end.
constexpr size_t stderr_quote_limit = 4000;

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
               "                  [--qemu PATH-to-qemu-x86_64] [--timeout SECONDS]\n"
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
    for (int i = 1; i < argc; i++) {
        std::string flag = argv[i];
        if (flag == "--help" || flag == "-h") {
            usage(stdout);
            std::exit(0);
        }
        if (i + 1 >= argc) {
            std::fprintf(stderr, "exec-bench: %s needs a value\n", flag.c_str());
            return std::nullopt;
        }
        std::string value = argv[++i];
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
                return std::nullopt;
            (flag == "--runs" ? options.runs : options.timeout_seconds) = *count;
        } else {
            std::fprintf(stderr, "exec-bench: unknown option %s\n", flag.c_str());
            return std::nullopt;
        }
    }
    if (options.keel.empty() || options.dir.empty()) {
        usage(stderr);
        return std::nullopt;
    }
    return options;
}

// The hex digits after "checksum=" in a program's stdout, if any.
std::optional<std::string> find_checksum(const std::string& out)
{
    static const std::string key = "checksum=";
    size_t at = out.find(key);
    if (at == std::string::npos)
        return std::nullopt;
    size_t begin = at + key.size(), end = begin;
    while (end < out.size() && std::isxdigit(static_cast<unsigned char>(out[end])))
        end++;
    if (end == begin)
        return std::nullopt;
    return out.substr(begin, end - begin);
}

// What a keel exit status means (docs/test-guest-entry-state.md, "How the run ends").
std::string explain_keel_status(int status)
{
    switch (status) {
    case 8: return "keel could not start the guest";
    case 2: return "the guest triple-faulted";
    case 4: return "the guest halted with nothing to wake it";
    case 6: return "the guest used something keel cannot run yet";
    }
    if (status & 1)
        return "the guest wrote " + std::to_string(status >> 1) + " to port 0xF4, not 0";
    return "unexpected exit status";
}

std::string quote_stderr(const std::string& err)
{
    if (err.empty())
        return "";
    if (err.size() <= stderr_quote_limit)
        return "\n--- stderr ---\n" + err;
    return "\n--- stderr (last " + std::to_string(stderr_quote_limit) + " bytes) ---\n"
        + err.substr(err.size() - stderr_quote_limit);
}

// Why a run does not count, or an empty string if it does. The first good checksum
// becomes the workload's reference.
std::string check_run(Executor executor, const TimedRun& run, WorkloadResult& result)
{
    auto checksum = find_checksum(run.out);
    int expected_status = executor == Executor::Keel ? keel_normal_exit : 0;
    if (!run.started || !run.exited || run.exit_status != expected_status) {
        std::string why = run.describe_end();
        if (executor == Executor::Keel && run.exited)
            why += ": " + explain_keel_status(run.exit_status);
        return why + quote_stderr(run.err);
    }
    if (!checksum) {
        return "printed no checksum line" + quote_stderr(run.err);
    }
    if (result.checksum.empty()) {
        result.checksum = *checksum;
        result.checksum_source = executor;
    } else if (*checksum != result.checksum) {
        return "printed checksum=" + *checksum + " but " + executor_name(result.checksum_source)
            + " printed checksum=" + result.checksum + ": a wrong result";
    }
    return {};
}

std::vector<std::string> command_for(Executor executor, const Options& options,
                                     const std::string& base)
{
    switch (executor) {
    case Executor::Native:
        return {base + ".native"};
    case Executor::Keel: {
        std::vector<std::string> argv = {options.keel};
        argv.insert(argv.end(), options.keel_args.begin(), options.keel_args.end());
        argv.insert(argv.end(), {"-kernel", base + ".elf"});
        return argv;
    }
    case Executor::Qemu:
        return {options.qemu, base + ".native"};
    }
    return {};
}

WorkloadResult measure(const std::string& name, const Options& options)
{
    WorkloadResult result;
    result.name = name;
    std::string base = options.dir + "/" + name;
    for (Executor e : all_executors)
        result.of(e).measured = e != Executor::Qemu || !options.qemu.empty();
    // A missing file fails the executors that need it, not the whole benchmark.
    std::string missing = " is missing (is the bench built?)";
    if (access((base + ".native").c_str(), R_OK) != 0) {
        result.of(Executor::Native).error = base + ".native" + missing;
        if (result.of(Executor::Qemu).measured)
            result.of(Executor::Qemu).error = base + ".native" + missing;
    }
    if (access((base + ".elf").c_str(), R_OK) != 0)
        result.of(Executor::Keel).error = base + ".elf" + missing;

    std::fprintf(stderr, "%s:", name.c_str());
    for (int run = 0; run < options.runs; run++) {
        for (Executor e : all_executors) {
            ExecutorResult& slot = result.of(e);
            if (!slot.measured || !slot.error.empty())
                continue; // after a failure, further runs would only repeat it
            TimedRun timed = run_timed(command_for(e, options, base), options.timeout_seconds);
            std::string problem = check_run(e, timed, result);
            if (problem.empty())
                slot.seconds.push_back(timed.wall_seconds);
            else
                slot.error = problem;
        }
        std::fputc('.', stderr);
    }
    std::fputc('\n', stderr);
    for (Executor e : all_executors) {
        if (!result.of(e).error.empty())
            std::fprintf(stderr, "error: %s under %s: %s\n", name.c_str(), executor_name(e),
                         result.of(e).error.c_str());
    }
    return result;
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
    if (!options.qemu.empty() && access(options.qemu.c_str(), X_OK) != 0) {
        std::fprintf(stderr, "exec-bench: no qemu-x86_64 at %s; measuring without QEMU\n",
                     options.qemu.c_str());
        options.qemu.clear();
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
        results.push_back(measure(name, options));
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
