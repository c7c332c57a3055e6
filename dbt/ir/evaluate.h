#pragma once
// Compile-time evaluation of pure IR operations on constants, with x86 semantics for
// shift/rotate counts. Used by constant folding, and by the backend tests as the oracle
// that generated code must agree with.
#include "dbt/ir/opcode.h"

namespace keel::ir {

// Returns false when `op` is not a pure value operation this evaluator knows.
// args are the raw argument bits (immediates already masked to their types); `arg_types`
// gives each argument's type (needed for extensions). The result is masked to `type`.
bool evaluate(Opcode op, Type type, const u64 args[4], const Type arg_types[4], u64& result);

} // namespace keel::ir
