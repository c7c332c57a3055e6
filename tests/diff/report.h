// Comparing two outcomes under the flags policy, and describing cases and differences in
// text a person can act on: form, seed, disassembly, input state, what differs.
#pragma once

#include "tests/diff/diff_case.h"

#include <string>
#include <vector>

namespace keel::difftest {

// Intel-syntax disassembly, one instruction per line with its address and bytes.
std::string disassemble(const std::vector<uint8_t>& code, uint64_t address = kCodeBase);
// "CF ZF DF" for the set bits of kUserFlags.
std::string flags_text(uint64_t rflags);
std::string fault_text(int fault);
// Form, seed, disassembly and input registers/flags of a case.
std::string describe_case(const Case& c);
// Fault, registers and flags of an outcome (data only as a summary).
std::string describe_outcome(const Outcome& o, const Case& c);

// Compares `actual` against `expected` (the native outcome) for case `c`: fault vector
// and RIP, all 16 GPRs and the compared RFLAGS bits (flags_policy.h), the whole data
// area. Returns true if they agree; otherwise `differences` says what differs.
bool outcomes_agree(const Case& c, const Outcome& expected, const Outcome& actual,
                    std::string& differences);

}  // namespace keel::difftest
