// Runs benchmark programs under every executor (native, keel, qemu-x86_64), interleaved
// run by run so machine noise hits all of them alike, and checks each run's result.
#pragma once

#include <string>
#include <vector>

#include "bench_result.h"

namespace keel::bench {

struct RunnerOptions {
    std::string keel;                   // path of the keel binary
    std::string qemu;                   // path of qemu-x86_64; empty: QEMU not measured
    std::vector<std::string> keel_args; // extra keel options before -kernel
    int runs = 5;
    int timeout_seconds = 300;
};

// Times DIR/NAME.native, keel -kernel DIR/NAME.elf and qemu-x86_64 DIR/NAME.native for
// each name, `runs` rounds; a round runs every program under every executor once, so
// programs whose times are later subtracted from each other are measured side by side.
// Every run must end normally and print the checksum native printed; a run that does not
// records an error in its slot and that slot is not run again. Progress goes to stderr.
std::vector<WorkloadResult> measure_interleaved(const std::vector<std::string>& names,
                                                const std::string& dir,
                                                const RunnerOptions& options);

// `program` if it names a file (contains a '/'), else the first executable of that name
// on PATH, looked up when the benchmark runs (not when the build was configured, so a
// QEMU installed by `make bench` itself is found); empty if there is none.
std::string find_program(const std::string& program);

}
