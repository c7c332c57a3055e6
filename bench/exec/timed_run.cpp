#include "timed_run.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace keel::bench {

namespace {

double monotonic_seconds()
{
    timespec now {};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// Only async-signal-safe calls between fork() and exec (POSIX fork(2)): the driver is
// single-threaded, but this keeps the child path obviously correct.
[[noreturn]] void exec_child(char* const* argv, int out_fd, int err_fd)
{
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0
        || dup2(err_fd, STDERR_FILENO) < 0)
        _exit(127);
    execv(argv[0], argv);
    static const char message[] = "exec-bench: cannot execute the program\n";
    [[maybe_unused]] auto ignored = write(STDERR_FILENO, message, sizeof message - 1);
    _exit(127);
}

// Drains both pipes until the child closes them or the deadline passes.
bool drain(int out_fd, int err_fd, std::string& out, std::string& err, double deadline)
{
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    std::string* sinks[2] = {&out, &err};
    int open_count = 2;
    while (open_count > 0) {
        double left = deadline - monotonic_seconds();
        if (left <= 0)
            return false;
        int ready = poll(fds, 2, static_cast<int>(left * 1000) + 1);
        if (ready < 0 && errno != EINTR)
            return false;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || fds[i].revents == 0)
                continue;
            char buffer[4096];
            ssize_t got = read(fds[i].fd, buffer, sizeof buffer);
            if (got > 0) {
                sinks[i]->append(buffer, static_cast<size_t>(got));
            } else if (got == 0 || errno != EINTR) {
                fds[i].fd = -1; // poll() ignores negative descriptors
                open_count--;
            }
        }
    }
    return true;
}

}

std::string TimedRun::describe_end() const
{
    if (!started)
        return "not started: " + error;
    if (timed_out)
        return "timed out after " + std::to_string(static_cast<int>(wall_seconds)) + " s";
    if (exited)
        return "exit status " + std::to_string(exit_status);
    return std::string("killed by signal ") + std::to_string(signal) + " (" + strsignal(signal) + ")";
}

TimedRun run_timed(const std::vector<std::string>& argv, double timeout_seconds)
{
    TimedRun run;
    std::vector<char*> c_argv;
    for (auto& arg : argv)
        c_argv.push_back(const_cast<char*>(arg.c_str()));
    c_argv.push_back(nullptr);

    int out_pipe[2], err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) < 0) {
        run.error = std::string("pipe: ") + strerror(errno);
        return run;
    }
    if (pipe2(err_pipe, O_CLOEXEC) < 0) {
        run.error = std::string("pipe: ") + strerror(errno);
        close(out_pipe[0]);
        close(out_pipe[1]);
        return run;
    }

    double start = monotonic_seconds();
    pid_t pid = fork();
    if (pid == 0)
        exec_child(c_argv.data(), out_pipe[1], err_pipe[1]);
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (pid < 0) {
        run.error = std::string("fork: ") + strerror(errno);
        close(out_pipe[0]);
        close(err_pipe[0]);
        return run;
    }
    run.started = true;

    if (!drain(out_pipe[0], err_pipe[0], run.out, run.err, start + timeout_seconds)) {
        kill(pid, SIGKILL);
        run.timed_out = true;
    }
    close(out_pipe[0]);
    close(err_pipe[0]);

    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    run.wall_seconds = monotonic_seconds() - start;
    run.exited = WIFEXITED(status);
    run.exit_status = run.exited ? WEXITSTATUS(status) : 0;
    run.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return run;
}

}
