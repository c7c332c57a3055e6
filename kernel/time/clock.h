#pragma once
// The host's time: the TSC, calibrated against the 8254 PIT at boot, and the LAPIC timer
// as the host tick.
#include "dbt/base/types.h"

namespace keel::kernel::clock {

// Measures the TSC and LAPIC timer frequencies against PIT channel 2 (Intel SDM vol. 3
// §10.5.4 for the LAPIC timer; the 8254's 1.193182 MHz input clock). Call with interrupts
// disabled, after paging is up (the LAPIC's MMIO page must be mapped).
void calibrate();
u64 tsc_hz();
u64 lapic_timer_hz(); // after the divide-by-16 configuration
u64 monotonic_ns();

// Starts the LAPIC timer, periodic at `hz`, on vector `vector`. Masks the legacy 8259s
// so only the LAPIC interrupts the kernel.
void start_tick(u32 hz, u8 vector);
void stop_tick();

// Ticks so far, and how many of them interrupted code in the translation cache: the
// sampled evidence that generated code runs from there.
// The LAPIC tick sets *flag = 1 while one is set (the engine's exit request).
void set_tick_flag(volatile u32* flag);
// Called from the tick interrupt (interrupts off, no SSE, no allocation): console polling.
void set_tick_hook(void (*hook)());
u64 ticks();
u64 ticks_in_translation_cache();

} // namespace keel::kernel::clock
