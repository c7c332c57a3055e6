// Presents the execution benchmark's results: a table for people, JSON for tools.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "bench_result.h"

namespace keel::bench {

struct BenchSetup {
    std::string keel;
    std::string qemu; // empty: QEMU not measured
    int runs = 0;
};

// JSON text for a string (escaped as RFC 8259 section 7 says) and for a number (null when
// there is none).
std::string json_string(const std::string& text);
std::string json_number(std::optional<double> value);

void print_table(std::FILE* out, const std::vector<WorkloadResult>& results);

// Returns an error message, or an empty string on success.
std::string write_json(const std::string& path, const BenchSetup& setup,
                       const std::vector<WorkloadResult>& results, bool ok);

}
