#pragma once
// One log sink with per-subsystem switches, as QEMU's -d. The host installs the sink at
// start-up (stderr or a -D file when hosted, the serial console in the kernel).
#include "dbt/base/result.h"
#include "dbt/base/types.h"

namespace keel::log {

enum Category : u32 {
    InAsm = 1u << 0,       // guest instructions of each translated block
    Op = 1u << 1,          // IR as the frontend produced it
    OpOpt = 1u << 2,       // IR after the optimization passes
    OutAsm = 1u << 3,      // generated host code
    Exec = 1u << 4,        // every block executed (implies nochain)
    Cpu = 1u << 5,         // guest registers before every block executed
    Int = 1u << 6,         // interrupts and exceptions delivered to the guest
    Mmu = 1u << 7,         // page walks, TLB fills and flushes
    Cache = 1u << 8,       // translation cache: flushes, invalidations, chaining
    Unimp = 1u << 9,       // guest instructions keel does not implement (logged once each)
    GuestErrors = 1u << 10, // guest did something odd (unassigned I/O ports, ...)
    NoChain = 1u << 11,    // do not chain blocks (debugging aid, as QEMU's nochain)
};

using Sink = void (*)(const char* text, usize length);

void set_sink(Sink sink);
void set_mask(u32 mask);
u32 mask();
inline bool enabled(u32 category) { return (mask() & category) != 0; }

// Parses QEMU-style "in_asm,op,out_asm" into a mask; "help" is not an error for the
// caller to handle: it returns the list of names in the error message.
Result<u32> parse_categories(const char* list);
const char* category_names();

// Unconditional output to the sink (callers check enabled() first for categories).
void printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void write(const char* text, usize length);

} // namespace keel::log

#define KEEL_LOG(category, ...)                              \
    do {                                                     \
        if (::keel::log::enabled(::keel::log::category))     \
            ::keel::log::printf(__VA_ARGS__);                \
    } while (0)
