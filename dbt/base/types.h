#pragma once
// Fixed-width integer names used throughout keel (freestanding: only <stdint.h>-level headers).
#include <stddef.h>
#include <stdint.h>

namespace keel {
using u8 = uint8_t;
using u16 = uint16_t;
using u32 = uint32_t;
using u64 = uint64_t;
using i8 = int8_t;
using i16 = int16_t;
using i32 = int32_t;
using i64 = int64_t;
using usize = size_t;
using uptr = uintptr_t;

constexpr u64 KiB = 1024;
constexpr u64 MiB = 1024 * KiB;
constexpr u64 GiB = 1024 * MiB;
constexpr u64 TiB = 1024 * GiB;
} // namespace keel
