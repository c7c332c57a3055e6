// Command lines of the benchmark drivers: "--flag value" pairs, and --help.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace keel::bench {

// Calls take(flag, value) for each pair; take says why and returns false for an unknown
// flag or a bad value. --help or -h prints the usage and exits with status 0. Returns
// false when a pair is incomplete or take refused one.
template<typename Take>
bool read_flag_values(const char* program, int argc, char** argv, void (*usage)(std::FILE*), Take&& take)
{
    for (int i = 1; i < argc; i++) {
        std::string flag = argv[i];
        if (flag == "--help" || flag == "-h") {
            usage(stdout);
            std::exit(0);
        }
        if (i + 1 >= argc) {
            std::fprintf(stderr, "%s: %s needs a value\n", program, flag.c_str());
            return false;
        }
        if (!take(flag, std::string(argv[++i])))
            return false;
    }
    return true;
}

}
