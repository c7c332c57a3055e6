#pragma once
// Frame-pointer backtraces. keel's kernel code is built with -fno-omit-frame-pointer, so
// each frame starts with {caller's RBP, return address}. The walk follows that chain only
// while RBP points into a stack registered here: generated code uses RBP as the guest
// CPU context pointer, and firmware code may not keep frame pointers at all, so any
// other value ends the walk instead of being dereferenced.
#include "dbt/base/types.h"

namespace keel::kernel::backtrace {

constexpr u32 max_frames = 32;
constexpr u32 max_stacks = 8;

// Registers [low, high) as a stack frames may live on (the kernel stack, each IST stack).
// Returns false when max_stacks are already registered.
bool add_stack_bounds(u64 low, u64 high);

// Prints "  #0 0x<rip> <symbol+offset>", then one line per return address in the frame
// chain starting at rbp, to the serial console. Use the RIP and RBP of an interrupt frame
// to show the interrupted code's call chain; rip_is_return_address when rip comes from a
// frame record instead (it is then symbolized as the call before it).
void print(u64 rip, u64 rbp, bool rip_is_return_address = false);

// The same for the code calling print_current (frame #0 is its call site).
[[gnu::noinline]] void print_current();

} // namespace keel::kernel::backtrace
