// Random blocks through the backend: generated code must leave the guest state, the
// flags word and the next pc exactly as the reference interpreter (random_block.h) does,
// both for the block as generated and after the optimization pipeline. Long blocks keep
// many values live at once, so the register allocator spills and reloads. Part of ctest
// unit.backend; the seed is fixed and printed on failure.
#include <catch2/catch.hpp>
#include <sstream>
#include "backend_harness.h"
#include "dbt/ir/passes/passes.h"
#include "random_block.h"

using namespace keel;
using namespace keel::ir;
using namespace keel::unit;

namespace {

constexpr u64 base_seed = 0x72616e64;

// Runs `block` in generated code from `start`; returns the machine it leaves.
Machine run_generated(BackendHarness& h, const Block& block, const Machine& start, u64& next_pc)
{
    std::memcpy(h.state(), start.state, state_bytes);
    h.ctx().hot.flags = start.flags;
    h.ctx().hot.pc = 0;
    RunExit exit = h.run(h.compile(block));
    CHECK(exit == RunExit::Dispatch);
    Machine out;
    std::memcpy(out.state, h.state(), state_bytes);
    out.flags = h.flags();
    next_pc = h.ctx().hot.pc;
    return out;
}

// Reports a difference (with the block) and returns false.
bool compare(u64 seed, Block& block, const char* stage, const Machine& expected, u64 expected_pc, const Machine& got, u64 got_pc)
{
    // Flag-word bits other than the six status flags mean nothing (FlagsToInt and the
    // RFLAGS view mask them); passes may drop a full store that only cleared them.
    bool same_state = std::memcmp(expected.state, got.state, state_bytes) == 0;
    if (same_state && ((expected.flags ^ got.flags) & flag::All) == 0 && expected_pc == got_pc)
        return true;
    std::ostringstream diff;
    for (u32 i = 0; i < state_bytes; ++i) {
        if (expected.state[i] != got.state[i])
            diff << " [" << i << "] 0x" << std::hex << +got.state[i] << " want 0x" << +expected.state[i] << std::dec;
    }
    FAIL_CHECK("seed " << seed << " (" << stage << "): flags 0x" << std::hex << got.flags << " want 0x" << expected.flags << ", pc 0x"
                       << got_pc << " want 0x" << expected_pc << std::dec << ", state bytes" << diff.str() << "\n"
                       << dump(block));
    return false;
}

} // namespace

TEST_CASE("backend: random blocks compute what the interpreter does", "[backend][random]")
{
    BackendHarness h;
    unsigned failures = 0;
    for (u64 n = 0; n < 4000 && failures < 3; ++n) {
        u64 seed = base_seed + n;
        unsigned steps = n % 10 == 0 ? 150 : 40; // every tenth block long: register pressure
        Block plain, optimized;
        Generator(seed, steps).build(plain);
        Generator(seed, steps).build(optimized);
        optimize(optimized, PassOptions { false, true });

        std::mt19937_64 rng(seed ^ 0x5eed);
        Machine start;
        for (u8& byte : start.state)
            byte = static_cast<u8>(rng());
        start.flags = static_cast<u16>((rng() & flag::All) | flag::Fixed1);
        Machine expected = start;
        u64 expected_pc = interpret(plain, expected);

        u64 pc_plain = 0, pc_optimized = 0;
        Machine got_plain = run_generated(h, plain, start, pc_plain);
        Machine got_optimized = run_generated(h, optimized, start, pc_optimized);
        bool ok_plain = compare(seed, plain, "as generated", expected, expected_pc, got_plain, pc_plain);
        bool ok_optimized = compare(seed, optimized, "optimized", expected, expected_pc, got_optimized, pc_optimized);
        failures += !ok_plain || !ok_optimized;
    }
    CHECK(failures == 0);
}
