// run_native / run_native_batch: runs cases on the host CPU in a worker child process
// (native_child.h), so that a case can never corrupt the caller. If the worker dies or
// hangs, the case it was running is reported as a harness failure, a new worker is
// forked and the remaining cases go on.
#include "tests/diff/diff_case.h"
#include "tests/diff/native_child.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <poll.h>
#include <signal.h>
#include <string>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace keel::difftest {
namespace {

constexpr int kTimeoutMs = 2000;  // cases run for microseconds; this is a hang

class NativeWorker {
public:
    // Runs cases[0..n) (n <= kChunk), all valid; fills results.
    void run(std::span<const Case> cases, Outcome* results);

private:
    bool map_shared();
    bool start();
    void stop();
    enum class Wait { Done, Died, Hung };
    Wait wait_for_done();

    NativeShared* m_shared = nullptr;
    pid_t m_pid = -1;
    // One byte to the worker starts a run; one byte back says it is complete, EOF that
    // the worker died.
    int m_socket = -1;
};

Outcome harness_failure(const Case& c, int fault) {
    Outcome o;
    o.out = c.in;
    o.fault = fault;
    o.data = c.data;
    return o;
}

bool NativeWorker::map_shared() {
    if (m_shared) return true;
    void* p = mmap(nullptr, sizeof(NativeShared), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "keel-diff native: cannot map %zu bytes of shared memory: %s\n",
                sizeof(NativeShared), strerror(errno));
        return false;
    }
    m_shared = static_cast<NativeShared*>(p);
    return true;
}

bool NativeWorker::start() {
    // A socket pair rather than pipes: send() with MSG_NOSIGNAL to a worker that just
    // died fails with EPIPE instead of killing the caller with SIGPIPE.
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
        fprintf(stderr, "keel-diff native: socketpair: %s\n", strerror(errno));
        return false;
    }
    m_shared->ready.store(0);
    m_shared->error[0] = 0;
    fflush(nullptr);  // or the child could print the caller's buffered output again
    m_pid = fork();
    if (m_pid == 0) {
        close(fds[0]);  // so the worker sees EOF once the caller is gone
        native_child_main(m_shared, fds[1]);
    }
    close(fds[1]);
    m_socket = fds[0];
    if (m_pid < 0) {
        fprintf(stderr, "keel-diff native: fork: %s\n", strerror(errno));
        stop();
        return false;
    }
    return true;
}

void NativeWorker::stop() {
    if (m_socket >= 0) close(m_socket);
    m_socket = -1;
    if (m_pid > 0) {
        kill(m_pid, SIGKILL);
        while (waitpid(m_pid, nullptr, 0) < 0 && errno == EINTR) {}
    }
    m_pid = -1;
}

// Polls in steps of 100 ms so a hang is noticed by `finished` no longer moving.
NativeWorker::Wait NativeWorker::wait_for_done() {
    uint32_t last = m_shared->finished.load(std::memory_order_acquire);
    int idle_ms = 0;
    for (;;) {
        pollfd pfd{m_socket, POLLIN, 0};
        int r = poll(&pfd, 1, 100);
        if (r < 0 && errno == EINTR) continue;
        if (r > 0) {
            char byte;
            return read(m_socket, &byte, 1) == 1 ? Wait::Done : Wait::Died;
        }
        uint32_t now = m_shared->finished.load(std::memory_order_acquire);
        idle_ms = now == last ? idle_ms + 100 : 0;
        last = now;
        if (idle_ms >= kTimeoutMs) return Wait::Hung;
    }
}

void NativeWorker::run(std::span<const Case> cases, Outcome* results) {
    uint32_t count = static_cast<uint32_t>(cases.size());
    uint32_t next = 0;
    int lost_idle = 0;
    if (!map_shared()) count = 0;
    for (uint32_t i = 0; i < count; ++i) {
        NativeInput& in = m_shared->inputs[i];
        in.in = cases[i].in;
        in.code_size = static_cast<uint32_t>(cases[i].code.size());
        memcpy(in.code, cases[i].code.data(), cases[i].code.size());
        memcpy(in.data, cases[i].data.data(), kDataSize);
    }
    while (next < count) {
        if (m_pid <= 0 && !start()) break;
        m_shared->first = next;
        m_shared->count = count;
        m_shared->started.store(next);
        m_shared->finished.store(next);
        char byte = 1;
        if (send(m_socket, &byte, 1, MSG_NOSIGNAL) != 1) {
            // The idle worker is gone (killed from outside, or died setting up): no case
            // is to blame; try a fresh one, a few times.
            bool ready = m_shared->ready.load() != 0;
            std::string error = m_shared->error;
            stop();
            if (++lost_idle < 3) continue;
            fprintf(stderr, "keel-diff native: worker keeps dying: %s\n",
                    ready || error.empty() ? "(no message)" : error.c_str());
            break;
        }
        Wait how = wait_for_done();

        uint32_t done = m_shared->finished.load(std::memory_order_acquire);
        for (uint32_t i = next; i < done; ++i) {
            const NativeOutput& out = m_shared->outputs[i];
            Outcome& o = results[i];
            o.out = out.out;
            o.fault = out.fault;
            o.fault_rip = out.fault_rip;
            o.data = cases[i].data;
            memcpy(o.data.data() + out.changed_begin, out.changed, out.changed_end - out.changed_begin);
        }
        if (how == Wait::Done || done == count) {
            if (how != Wait::Done) stop();
            return;
        }

        bool ready = m_shared->ready.load() != 0;
        std::string error = m_shared->error;
        stop();
        if (!ready) {
            fprintf(stderr, "keel-diff native: worker failed to start: %s\n",
                    error.empty() ? "(no message)" : error.c_str());
            next = done;
            break;
        }
        const Case& bad = cases[done];
        fprintf(stderr, "keel-diff native: %s seed %llu: %s\n", bad.form.c_str(),
                static_cast<unsigned long long>(bad.seed),
                how == Wait::Hung ? "still running after the time limit; killed"
                                  : "the worker process died running it");
        results[done] = harness_failure(bad, how == Wait::Hung ? kFaultTimeout : kFaultHarness);
        next = done + 1;
    }
    for (uint32_t i = next; i < cases.size(); ++i) results[i] = harness_failure(cases[i], kFaultHarness);
}

NativeWorker& worker() {
    static NativeWorker w;
    return w;
}

const char* invalid_reason(const Case& c) {
    if (c.code.size() > kMaxCodeBytes) return "code longer than kMaxCodeBytes";
    if (c.data.size() != kDataSize) return "data is not kDataSize bytes";
    return nullptr;
}

}  // namespace

std::vector<Outcome> run_native_batch(std::span<const Case> cases) {
    std::vector<Outcome> results(cases.size());
    // Runs of valid cases go to the worker kChunk at a time; invalid ones never do.
    size_t i = 0;
    while (i < cases.size()) {
        if (const char* why = invalid_reason(cases[i])) {
            fprintf(stderr, "keel-diff native: %s seed %llu: %s\n", cases[i].form.c_str(),
                    static_cast<unsigned long long>(cases[i].seed), why);
            results[i] = harness_failure(cases[i], kFaultHarness);
            ++i;
            continue;
        }
        size_t n = 0;
        while (n < kChunk && i + n < cases.size() && !invalid_reason(cases[i + n])) ++n;
        worker().run(cases.subspan(i, n), results.data() + i);
        i += n;
    }
    return results;
}

Outcome run_native(const Case& c) {
    return std::move(run_native_batch(std::span<const Case>(&c, 1))[0]);
}

}  // namespace keel::difftest
