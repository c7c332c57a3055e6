// What the execution benchmark measured: per workload, the wall times of each executor.
#pragma once

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

namespace keel::bench {

// Every executor runs the same workload machine code (see workload.h).
enum class Executor { Native, Keel, Qemu };
inline constexpr std::array all_executors = {Executor::Native, Executor::Keel, Executor::Qemu};

inline const char* executor_name(Executor executor)
{
    switch (executor) {
    case Executor::Native: return "native";
    case Executor::Keel: return "keel";
    case Executor::Qemu: return "qemu";
    }
    return "?";
}

struct ExecutorResult {
    bool measured = false;          // false: not run at all (e.g. no QEMU given)
    std::vector<double> seconds;    // one entry per successful run
    std::string error;              // non-empty: a run failed, later runs were skipped

    // The median of the runs; none if a run failed, since a wrong or crashed run's time
    // means nothing.
    std::optional<double> median() const
    {
        if (!measured || !error.empty() || seconds.empty())
            return std::nullopt;
        std::vector<double> sorted = seconds;
        std::sort(sorted.begin(), sorted.end());
        size_t mid = sorted.size() / 2;
        return sorted.size() % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
};

struct WorkloadResult {
    std::string name;
    std::string checksum;                     // the reference every run must print:
    Executor checksum_source = Executor::Native; // the first good run's (natives run first)
    std::array<ExecutorResult, all_executors.size()> by {};

    ExecutorResult& of(Executor e) { return by[static_cast<size_t>(e)]; }
    const ExecutorResult& of(Executor e) const { return by[static_cast<size_t>(e)]; }

    // How many times slower than native `executor` was.
    std::optional<double> ratio_to_native(Executor executor) const
    {
        auto native = of(Executor::Native).median();
        auto other = of(executor).median();
        if (!native || !other || *native <= 0)
            return std::nullopt;
        return *other / *native;
    }
};

}
