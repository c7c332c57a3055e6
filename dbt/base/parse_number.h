#pragma once
// Unsigned numbers as keel's text formats write them (machine descriptions, device
// options, keel.cfg, the command line): decimal, or hex after 0x.
#include "dbt/base/types.h"

namespace keel {

// Parses [begin, end) whole. False when it is empty, has a character that is not a digit,
// or does not fit in 64 bits.
bool parse_number(const char* begin, const char* end, u64& value);
bool parse_number(const char* text, u64& value); // NUL-terminated

} // namespace keel
