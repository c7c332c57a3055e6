#include "bench_report.h"

#include <cerrno>
#include <cstring>
#include <optional>

namespace keel::bench {

// JSON string literal (RFC 8259 section 7): quote, backslash and control characters are
// escaped; keel's stderr can contain anything.
std::string json_string(const std::string& text)
{
    std::string quoted = "\"";
    for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
            quoted += '\\';
            quoted += static_cast<char>(c);
        } else if (c < 0x20) {
            char escape[8];
            std::snprintf(escape, sizeof escape, "\\u%04x", c);
            quoted += escape;
        } else {
            quoted += static_cast<char>(c);
        }
    }
    return quoted + "\"";
}

std::string json_number(std::optional<double> value)
{
    if (!value)
        return "null";
    char text[32];
    std::snprintf(text, sizeof text, "%.6f", *value);
    return text;
}

namespace {

std::string seconds_cell(const ExecutorResult& result)
{
    if (!result.measured)
        return "-";
    if (!result.error.empty())
        return "FAILED";
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", *result.median());
    return text;
}

std::string ratio_cell(std::optional<double> ratio)
{
    if (!ratio)
        return "-";
    char text[32];
    std::snprintf(text, sizeof text, "%.2fx", *ratio);
    return text;
}

void write_executor(std::FILE* out, const ExecutorResult& result)
{
    if (!result.measured) {
        std::fputs("null", out);
        return;
    }
    std::fprintf(out, "{\"median_s\": %s, \"runs_s\": [", json_number(result.median()).c_str());
    for (size_t i = 0; i < result.seconds.size(); i++)
        std::fprintf(out, "%s%s", i ? ", " : "", json_number(result.seconds[i]).c_str());
    std::fprintf(out, "], \"error\": %s}",
                 result.error.empty() ? "null" : json_string(result.error).c_str());
}

}

void print_table(std::FILE* out, const std::vector<WorkloadResult>& results)
{
    std::fprintf(out, "%-14s %10s %10s %10s %12s %12s  %s\n", "workload", "native s", "keel s",
                 "qemu s", "keel/native", "qemu/native", "checksum");
    for (const auto& r : results) {
        std::fprintf(out, "%-14s %10s %10s %10s %12s %12s  %s\n", r.name.c_str(),
                     seconds_cell(r.of(Executor::Native)).c_str(),
                     seconds_cell(r.of(Executor::Keel)).c_str(),
                     seconds_cell(r.of(Executor::Qemu)).c_str(),
                     ratio_cell(r.ratio_to_native(Executor::Keel)).c_str(),
                     ratio_cell(r.ratio_to_native(Executor::Qemu)).c_str(),
                     r.checksum.empty() ? "-" : r.checksum.c_str());
    }
}

std::string write_json(const std::string& path, const BenchSetup& setup,
                       const std::vector<WorkloadResult>& results, bool ok)
{
    std::FILE* out = std::fopen(path.c_str(), "w");
    if (!out)
        return path + ": " + std::strerror(errno);

    std::fprintf(out, "{\n  \"ok\": %s,\n  \"runs\": %d,\n  \"keel\": %s,\n  \"qemu\": %s,\n",
                 ok ? "true" : "false", setup.runs, json_string(setup.keel).c_str(),
                 setup.qemu.empty() ? "null" : json_string(setup.qemu).c_str());
    std::fputs("  \"workloads\": [\n", out);
    for (size_t i = 0; i < results.size(); i++) {
        const auto& r = results[i];
        std::fprintf(out, "    {\n      \"name\": %s,\n      \"checksum\": %s,\n",
                     json_string(r.name).c_str(),
                     r.checksum.empty() ? "null" : json_string(r.checksum).c_str());
        for (Executor e : all_executors) {
            std::fprintf(out, "      \"%s\": ", executor_name(e));
            write_executor(out, r.of(e));
            std::fputs(",\n", out);
        }
        std::fprintf(out, "      \"keel_over_native\": %s,\n      \"qemu_over_native\": %s\n    }%s\n",
                     json_number(r.ratio_to_native(Executor::Keel)).c_str(),
                     json_number(r.ratio_to_native(Executor::Qemu)).c_str(),
                     i + 1 < results.size() ? "," : "");
    }
    std::fputs("  ]\n}\n", out);
    bool written = !std::ferror(out);
    if (std::fclose(out) != 0 || !written)
        return path + ": write failed";
    return {};
}

}
