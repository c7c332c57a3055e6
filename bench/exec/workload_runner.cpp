#include "workload_runner.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <unistd.h>

#include "timed_run.h"

namespace keel::bench {

namespace {

// keel exits with (v << 1) | 1 when the guest writes v to port 0xF4; the guests write 0
// (docs/test-guest-entry-state.md, "How the run ends").
constexpr int keel_normal_exit = 1;

// keel's stderr can be a long register dump; errors quote its end.
constexpr size_t stderr_quote_limit = 4000;

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

std::vector<std::string> command_for(Executor executor, const RunnerOptions& options,
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

}

std::vector<WorkloadResult> measure_interleaved(const std::vector<std::string>& names,
                                                const std::string& dir,
                                                const RunnerOptions& options)
{
    std::vector<WorkloadResult> results(names.size());
    // A missing file fails the executors that need it, not the whole benchmark.
    std::string missing = " is missing (is the bench built?)";
    for (size_t i = 0; i < names.size(); i++) {
        WorkloadResult& result = results[i];
        result.name = names[i];
        std::string base = dir + "/" + names[i];
        for (Executor e : all_executors)
            result.of(e).measured = e != Executor::Qemu || !options.qemu.empty();
        if (access((base + ".native").c_str(), R_OK) != 0) {
            result.of(Executor::Native).error = base + ".native" + missing;
            if (result.of(Executor::Qemu).measured)
                result.of(Executor::Qemu).error = base + ".native" + missing;
        }
        if (access((base + ".elf").c_str(), R_OK) != 0)
            result.of(Executor::Keel).error = base + ".elf" + missing;
    }

    std::string label = names.size() == 1 ? names[0] : names[0] + " and the rest";
    std::fprintf(stderr, "%s:", label.c_str());
    for (int run = 0; run < options.runs; run++) {
        for (WorkloadResult& result : results) {
            std::string base = dir + "/" + result.name;
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
        }
        std::fputc('.', stderr);
    }
    std::fputc('\n', stderr);
    for (const WorkloadResult& result : results) {
        for (Executor e : all_executors) {
            if (!result.of(e).error.empty())
                std::fprintf(stderr, "error: %s under %s: %s\n", result.name.c_str(),
                             executor_name(e), result.of(e).error.c_str());
        }
    }
    return results;
}

std::string find_program(const std::string& program)
{
    if (program.empty())
        return {};
    if (program.find('/') != std::string::npos)
        return access(program.c_str(), X_OK) == 0 ? program : std::string();
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
    size_t begin = 0;
    while (begin <= dirs.size()) {
        size_t end = dirs.find(':', begin);
        if (end == std::string::npos)
            end = dirs.size();
        std::string dir = end > begin ? dirs.substr(begin, end - begin) : ".";
        std::string candidate = dir + "/" + program;
        if (access(candidate.c_str(), X_OK) == 0)
            return candidate;
        begin = end + 1;
    }
    return {};
}

}
