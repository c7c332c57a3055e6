#pragma once
#include "dbt/base/string_builder.h"
#include "dbt/ir/block.h"

namespace keel::ir {

// Names guest-state byte offsets for dumps ("rax", "rip", ...); provided by the arch.
using StateNamer = const char* (*)(u32 offset, Type type);

// A value as its users see it: forwarding (Identity) resolved.
void print_value(StringBuilder& out, const Block& block, Value v);
// One instruction, one line; Identity and Deleted print as themselves.
void print_inst(StringBuilder& out, const Block& block, u32 index, StateNamer namer = nullptr);
// The block as it runs: removed instructions (Identity, Deleted) are left out, their
// users show the forwarded values (docs/ir.md#reading-a-dump).
void print_block(StringBuilder& out, const Block& block, StateNamer namer = nullptr);

} // namespace keel::ir
