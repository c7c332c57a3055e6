#pragma once
// The machine descriptions built into keel (machines/*.cfg, embedded at build time), so
// `keel -M pc` and the kernel need no file beside them.
#include "dbt/base/types.h"

namespace keel::machine {

struct BuiltinMachine {
    const char* name; // "pc"
    const char* text; // the file's contents
};

// The built-in machine `name`, or null.
const BuiltinMachine* find_builtin_machine(const char* name);
const BuiltinMachine* builtin_machines(usize& count);

} // namespace keel::machine
