// What a comparison must ignore because the architecture leaves it undefined: RFLAGS
// bits per instruction (and, for shifts and rotates, per count), and the few register
// bits whose value is undefined. Each rule cites the SDM; README.md lists them all.
#pragma once

#include "tests/diff/diff_case.h"

#include <Zydis/Zydis.h>

#include <cstdint>

namespace keel::difftest {

struct Ignored {
    uint64_t flags = 0;            // RFLAGS bits not compared
    uint64_t gpr_bits[kGprCount]{};  // per GPR, the bits not compared
};

// The undefined status flags after one instruction, given its masked count where it
// has one (shifts, rotates, SHLD/SHRD; pass 0 otherwise). Exposed for unit tests and
// the README table.
uint64_t undefined_flags(ZydisMnemonic mnemonic, unsigned operand_bits, uint64_t count);

// What to ignore when comparing the outcomes of `c`. `reference` is the native outcome:
// an instruction that faulted has no effect (SDM Vol. 3A, 6.5), so its rules do not
// apply.
Ignored ignored_for(const Case& c, const Outcome& reference);

}  // namespace keel::difftest
