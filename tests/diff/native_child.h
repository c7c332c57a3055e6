// The protocol between the native runner (native_runner.cpp, in the caller's process) and
// its worker child (native_child.cpp), which maps the fixed code and data areas, installs
// the fault handlers and runs cases.
//
// The worker is forked once and kept: forking per batch would write-protect the caller's
// whole heap each time, and the caller then pays a page fault for every page it writes.
// Cases travel through one shared mapping; a socket pair carries the "go" and "done"
// bytes.
#pragma once

#include "tests/diff/diff_case.h"

#include <atomic>
#include <cstdint>

namespace keel::difftest {

inline constexpr uint32_t kChunk = 64;  // cases per round trip

struct NativeInput {
    CpuSnapshot in;
    uint32_t code_size;
    uint8_t code[kMaxCodeBytes];
    uint8_t data[kDataSize];
};

// One case's outcome. Most cases change a few bytes of data at most, so only the range
// of bytes that differ from the input travels back.
struct NativeOutput {
    CpuSnapshot out;
    int32_t fault;
    uint64_t fault_rip;
    uint32_t changed_begin;        // data[changed_begin, changed_end) differs from the input
    uint32_t changed_end;
    uint8_t changed[kDataSize];    // those bytes, starting at changed[0]
};

struct NativeShared {
    uint32_t first;                  // the worker runs inputs[first, count)
    uint32_t count;
    std::atomic<uint32_t> started;   // index of the case being run
    std::atomic<uint32_t> finished;  // outputs[first, finished) are complete
    std::atomic<uint32_t> ready;     // set once the worker has mapped everything
    char error[256];                 // why the worker gave up, if it did
    NativeInput inputs[kChunk];
    NativeOutput outputs[kChunk];
};

// The worker's main loop: waits for a byte on `socket`, runs the requested cases, answers
// with a byte; exits when the socket reaches EOF (the caller is gone). Never returns.
[[noreturn]] void native_child_main(NativeShared* shared, int socket);

}  // namespace keel::difftest
