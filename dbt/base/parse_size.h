#pragma once
// Memory sizes as QEMU's -m spells them: a number with an optional K, M or G suffix (and
// an optional B); a plain number is MiB. Used by the keel command line and keel.cfg.
#include "dbt/base/result.h"

namespace keel {
Result<u64> parse_size(const char* text);
} // namespace keel
