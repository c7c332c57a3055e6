// coldcode-bench: what it costs keel and QEMU to run code for the first time (README.md).
//
// The same generated program in three variants, whose functions run 0 times, once, and W
// times: for each executor, per round of runs (the variants run side by side),
//   warm round  = (T(W) - T(1)) / (W - 1)      executing the functions once, translated
//   first run   = T(1) - T(0) - warm round     translating them (and first touching them)
// and the median over the rounds, divided by the blocks and instructions the generator
// wrote. Native's "first run" is the host's own cold start (page faults, cold caches): the
// floor any translator adds to.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "bench_report.h"
#include "flag_values.h"
#include "workload_runner.h"

namespace keel::bench {

namespace {

struct Options {
    RunnerOptions runner;
    std::string dir;
    std::string shape; // the generated r1 source, whose last comment gives the counts
    std::string json;
    int warm_rounds = 20;
};

struct Shape {
    long functions = 0, blocks = 0, instructions = 0;
};

void usage(std::FILE* out)
{
    std::fputs("usage: coldcode-bench --keel PATH --dir DIR --shape coldcode_r1.S [--warm W]\n"
               "                      [--qemu qemu-x86_64|PATH] [--runs N] [--json OUT.json]\n"
               "Runs DIR/coldcode_r{0,1,W}.{native,elf} natively, under keel and under\n"
               "qemu-x86_64, and prints each executor's cost of running the code once.\n",
               out);
}

std::optional<Options> parse_options(int argc, char** argv)
{
    Options options;
    bool ok = read_flag_values("coldcode-bench", argc, argv, usage, [&](const std::string& flag, const std::string& value) {
        if (flag == "--keel") {
            options.runner.keel = value;
        } else if (flag == "--qemu") {
            options.runner.qemu = value;
        } else if (flag == "--dir") {
            options.dir = value;
        } else if (flag == "--shape") {
            options.shape = value;
        } else if (flag == "--json") {
            options.json = value;
        } else if (flag == "--runs" || flag == "--warm") {
            long number = std::strtol(value.c_str(), nullptr, 10);
            if (number < (flag == "--warm" ? 2 : 1) || number > 1000) {
                std::fprintf(stderr, "coldcode-bench: bad %s %s\n", flag.c_str(), value.c_str());
                return false;
            }
            (flag == "--runs" ? options.runner.runs : options.warm_rounds) = static_cast<int>(number);
        } else {
            std::fprintf(stderr, "coldcode-bench: unknown option %s\n", flag.c_str());
            return false;
        }
        return true;
    });
    if (!ok)
        return std::nullopt;
    if (options.runner.keel.empty() || options.dir.empty() || options.shape.empty()) {
        usage(stderr);
        return std::nullopt;
    }
    return options;
}

// coldcode-gen ends its output with "/* coldcode: functions F blocks B instructions I ... */".
std::optional<Shape> read_shape(const std::string& path)
{
    std::ifstream in(path);
    std::string line, last;
    while (std::getline(in, line)) {
        if (line.rfind("/* coldcode: ", 0) == 0)
            last = line;
    }
    Shape shape;
    if (std::sscanf(last.c_str(), "/* coldcode: functions %ld blocks %ld instructions %ld",
                    &shape.functions, &shape.blocks, &shape.instructions) != 3
        || shape.blocks <= 0 || shape.instructions <= 0)
        return std::nullopt;
    return shape;
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    size_t mid = values.size() / 2;
    return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

struct Cost {
    double startup = 0;   // T(0)
    double first_run = 0; // translation and first touch of the functions
    double warm_round = 0;
};

// Per round, from that round's three runs, then the median of each figure.
std::optional<Cost> cost_of(const WorkloadResult& r0, const WorkloadResult& r1,
                            const WorkloadResult& rw, Executor e, int warm_rounds)
{
    const ExecutorResult &a = r0.of(e), &b = r1.of(e), &c = rw.of(e);
    if (!a.median() || !b.median() || !c.median())
        return std::nullopt;
    size_t rounds = std::min({a.seconds.size(), b.seconds.size(), c.seconds.size()});
    std::vector<double> startup, first, warm;
    for (size_t i = 0; i < rounds; i++) {
        double round = (c.seconds[i] - b.seconds[i]) / (warm_rounds - 1);
        startup.push_back(a.seconds[i]);
        warm.push_back(round);
        first.push_back(b.seconds[i] - a.seconds[i] - round);
    }
    return Cost {median(startup), median(first), median(warm)};
}

const char* executor_label(Executor e) { return e == Executor::Qemu ? "qemu-x86_64" : executor_name(e); }

}

int run(int argc, char** argv)
{
    auto parsed = parse_options(argc, argv);
    if (!parsed)
        return 2;
    Options& options = *parsed;
    auto shape = read_shape(options.shape);
    if (!shape) {
        std::fprintf(stderr, "coldcode-bench: %s has no coldcode-gen summary line\n",
                     options.shape.c_str());
        return 2;
    }
    if (!options.runner.qemu.empty()) {
        std::string found = find_program(options.runner.qemu);
        if (found.empty())
            std::fprintf(stderr, "coldcode-bench: no %s found; measuring without QEMU\n",
                         options.runner.qemu.c_str());
        options.runner.qemu = found;
    }

    std::string warm_name = "coldcode_r" + std::to_string(options.warm_rounds);
    auto results = measure_interleaved({"coldcode_r0", "coldcode_r1", warm_name}, options.dir,
                                       options.runner);
    bool ok = true;
    for (const auto& r : results) {
        for (Executor e : all_executors)
            ok = ok && r.of(e).error.empty();
    }

    std::fflush(stderr);
    std::printf("coldcode-bench: %ld functions, %ld blocks, %ld guest instructions, each run once;\n"
                "median of %d rounds (variants run 0, 1 and %d times, side by side)\n",
                shape->functions, shape->blocks, shape->instructions, options.runner.runs,
                options.warm_rounds);
    std::printf("%-12s %11s %11s %11s %13s %13s %14s\n", "executor", "start-up ms",
                "first run ms", "warm run ms", "us per block", "ns per insn", "M insns/s first");
    std::optional<Cost> costs[all_executors.size()];
    for (Executor e : all_executors) {
        auto cost = cost_of(results[0], results[1], results[2], e, options.warm_rounds);
        costs[static_cast<size_t>(e)] = cost;
        if (!cost) {
            std::printf("%-12s %11s\n", executor_label(e),
                        results[0].of(e).measured ? "FAILED" : "-");
            continue;
        }
        // Native's first run is within the noise of zero: no rate to print then.
        char rate[32] = "-";
        if (cost->first_run > 0)
            std::snprintf(rate, sizeof rate, "%.2f",
                          static_cast<double>(shape->instructions) / cost->first_run / 1e6);
        std::printf("%-12s %11.1f %11.1f %11.2f %13.2f %13.1f %14s\n", executor_label(e),
                    cost->startup * 1e3, cost->first_run * 1e3, cost->warm_round * 1e3,
                    cost->first_run / static_cast<double>(shape->blocks) * 1e6,
                    cost->first_run / static_cast<double>(shape->instructions) * 1e9, rate);
        std::fflush(stdout);
    }
    const auto& keel_cost = costs[static_cast<size_t>(Executor::Keel)];
    const auto& qemu_cost = costs[static_cast<size_t>(Executor::Qemu)];
    std::optional<double> speedup;
    if (keel_cost && qemu_cost && keel_cost->first_run > 0) {
        speedup = qemu_cost->first_run / keel_cost->first_run;
        std::printf("keel runs new code %.2fx as fast as qemu-x86_64 (target: 4x)\n", *speedup);
    }

    if (!options.json.empty()) {
        std::FILE* out = std::fopen(options.json.c_str(), "w");
        if (!out) {
            std::fprintf(stderr, "coldcode-bench: cannot write %s: %s\n", options.json.c_str(),
                         std::strerror(errno));
            return 1;
        }
        std::fprintf(out,
                     "{\n  \"ok\": %s,\n  \"runs\": %d,\n  \"warm_rounds\": %d,\n"
                     "  \"functions\": %ld,\n  \"blocks\": %ld,\n  \"instructions\": %ld,\n",
                     ok ? "true" : "false", options.runner.runs, options.warm_rounds,
                     shape->functions, shape->blocks, shape->instructions);
        for (Executor e : all_executors) {
            const auto& cost = costs[static_cast<size_t>(e)];
            std::fprintf(out, "  \"%s\": ", executor_name(e));
            if (!cost) {
                std::fputs("null,\n", out);
                continue;
            }
            std::fprintf(out,
                         "{\"startup_s\": %s, \"first_run_s\": %s, \"warm_round_s\": %s, "
                         "\"us_per_block\": %s, \"ns_per_instruction\": %s},\n",
                         json_number(cost->startup).c_str(), json_number(cost->first_run).c_str(),
                         json_number(cost->warm_round).c_str(),
                         json_number(cost->first_run / static_cast<double>(shape->blocks) * 1e6).c_str(),
                         json_number(cost->first_run / static_cast<double>(shape->instructions) * 1e9).c_str());
        }
        std::fprintf(out, "  \"keel_speedup_over_qemu\": %s\n}\n", json_number(speedup).c_str());
        if (std::fclose(out) != 0) {
            std::fprintf(stderr, "coldcode-bench: cannot write %s\n", options.json.c_str());
            return 1;
        }
    }
    if (!ok)
        std::fprintf(stderr, "coldcode-bench: FAILED (see the errors above)\n");
    return ok ? 0 : 1;
}

}

int main(int argc, char** argv)
{
    return keel::bench::run(argc, argv);
}
