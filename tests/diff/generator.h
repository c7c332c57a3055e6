// Turns (form, seed) into a Case: random but reproducible inputs chosen to hit edges
// (see README.md, "How cases are generated").
#pragma once

#include "tests/diff/diff_case.h"
#include "tests/diff/form.h"

#include <cstdint>
#include <string>
#include <vector>

namespace keel::difftest {

// The master seed used unless KEEL_DIFF_SEED says otherwise.
inline constexpr uint64_t kDefaultMasterSeed = 0x6B65656C64696666ull;  // "keeldiff"

// Builds the case; false (and why, in `error`) if no encodable variant was found.
bool generate_case(const Form& form, uint64_t seed, Case& out, std::string& error);

// Cases 0..count-1 of `form` under `master` (seeds from case_seed). A case that could
// not be generated is left out and its error appended to `errors`.
std::vector<Case> generate_cases(const Form& form, uint64_t master, unsigned count,
                                 std::vector<std::string>& errors);

}  // namespace keel::difftest
