// Runs one program to completion and measures its wall-clock time.
#pragma once

#include <string>
#include <vector>

namespace keel::bench {

struct TimedRun {
    bool started = false;       // false: pipes or fork failed (see `error`)
    bool exited = false;        // ended through exit(); `exit_status` is valid
    int exit_status = 0;
    int signal = 0;             // the signal that ended it, when !exited
    bool timed_out = false;     // killed by us after the time limit
    double wall_seconds = 0;    // from just before fork() to just after waitpid()
    std::string out;            // everything written to stdout
    std::string err;            // everything written to stderr
    std::string error;          // why it could not be started

    // "exit status 3", "killed by signal 11", "timed out after 300 s", ...
    std::string describe_end() const;
};

// argv[0] is the program's path (no PATH search). Its stdin is /dev/null; stdout and
// stderr are captured. A run exceeding `timeout_seconds` is killed: that guards against a
// hung guest, it is not a measurement.
TimedRun run_timed(const std::vector<std::string>& argv, double timeout_seconds);

}
