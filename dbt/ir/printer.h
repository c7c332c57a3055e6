#pragma once
#include "dbt/base/string_builder.h"
#include "dbt/ir/block.h"

namespace keel::ir {

// Names guest-state byte offsets for dumps ("rax", "rip", ...); provided by the arch.
using StateNamer = const char* (*)(u32 offset, Type type);

void print_value(StringBuilder& out, const Block& block, Value v);
void print_inst(StringBuilder& out, const Block& block, u32 index, StateNamer namer = nullptr);
void print_block(StringBuilder& out, const Block& block, StateNamer namer = nullptr);

} // namespace keel::ir
