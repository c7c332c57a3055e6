// The optimization pipeline must not change what a block computes. Random blocks of pure
// operations, guest-state loads and stores (any width, overlapping) and flag stores run
// through a small IR interpreter before and after the passes; the final state, flags and
// branch target must agree, and the verifier must accept the block after every pass.
// Part of ctest unit.passes. The seed is fixed and printed on failure.
#include <catch2/catch.hpp>
#include "dbt/ir/passes/passes.h"
#include "random_block.h"

using namespace keel;
using namespace keel::ir;
using namespace keel::unit;


TEST_CASE("optimize: random blocks compute the same before and after", "[passes][random]")
{
    constexpr u64 base_seed = 0x6b65656c; // fixed: failures are reproducible
    void (*const pipeline[])(Block&) = { eliminate_redundant_state_access, eliminate_dead_flags, fold_constants, eliminate_dead_code };
    unsigned faulted = 0, with_fault_stores = 0, faulted_with_fault_stores = 0;
    for (u64 n = 0; n < 5000; ++n) {
        u64 seed = base_seed + n;
        Block original, optimized;
        Generator(seed, 40, true).build(original);
        Generator(seed, 40, true).build(optimized);
        // The block texts are only built for a failure's message.
        if (check(original).is_error())
            FAIL("seed " << seed << ": the generator made a bad block\n" << dump(original));
        for (auto pass : pipeline) {
            pass(optimized);
            auto r = check(optimized);
            if (r.is_error())
                FAIL("seed " << seed << ": " << r.error().message() << "\nbefore:\n" << dump(original) << "after:\n" << dump(optimized));
        }
        optimized.resolve_all_args();

        std::mt19937_64 rng(seed ^ 0x5eed);
        Machine start;
        for (u8& byte : start.state)
            byte = static_cast<u8>(rng());
        start.flags = static_cast<u16>((rng() & flag::All) | flag::Fixed1);
        Machine before = start, after = start;
        u64 next_before = interpret(original, before);
        u64 next_after = interpret(optimized, after);
        faulted += next_before >= fault_pc;
        with_fault_stores += !optimized.fault_stores.is_empty();
        faulted_with_fault_stores += next_before >= fault_pc && !optimized.fault_stores.is_empty();
        if (!(before == after) || next_before != next_after) {
            INFO("seed " << seed << "\nbefore:\n" << dump(original) << "after:\n" << dump(optimized));
            CHECK(next_before == next_after);
            CHECK((before.flags & flag::All) == (after.flags & flag::All));
            CHECK(std::memcmp(before.state, after.state, state_bytes) == 0);
            break; // one reproducible failure is enough
        }
    }
    // The blocks must exercise what the test is for: exceptions in the middle of a block,
    // and stores the passes moved into fault paths.
    INFO("faulted " << faulted << ", with fault stores " << with_fault_stores << ", both " << faulted_with_fault_stores);
    CHECK(faulted > 500);
    CHECK(faulted_with_fault_stores > 50);
}

TEST_CASE("optimize: verify_each runs the verifier on random blocks", "[passes][random]")
{
    for (u64 seed = 1; seed <= 200; ++seed) {
        Block b;
        Generator(seed, 40, true).build(b);
        optimize(b, PassOptions { true, true }); // panics (aborting the test) on a bad pass
        INFO("seed " << seed);
        REQUIRE_FALSE(check(b).is_error());
    }
}
