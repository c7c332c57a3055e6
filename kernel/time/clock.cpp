#include "kernel/time/clock.h"
#include "kernel/arch/cpu.h"
#include "kernel/arch/idt.h"
#include "kernel/arch/interrupt_frame.h"
#include "kernel/mm/layout.h"

namespace keel::kernel::clock {
namespace {

// LAPIC registers (Intel SDM vol. 3 §10.4.1, table 10-1), offsets from the APIC base.
constexpr u32 lapic_eoi = 0xB0, lapic_svr = 0xF0, lapic_lvt_timer = 0x320, lapic_initial_count = 0x380,
              lapic_current_count = 0x390, lapic_divide = 0x3E0;
constexpr u32 svr_enable = 1u << 8, lvt_masked = 1u << 16, lvt_periodic = 1u << 17;
constexpr u32 divide_by_16 = 0x3;
constexpr u8 spurious_vector = 0xFF;

constexpr u64 pit_hz = 1193182;
constexpr u32 calibration_ms = 20;

u64 g_lapic_base = 0;
u64 g_tsc_hz = 0;
u64 g_lapic_hz = 0;
volatile u64 g_ticks = 0;
volatile u64 g_ticks_in_cache = 0;
volatile u32* volatile g_tick_flag = nullptr;
void (*volatile g_tick_hook)() = nullptr;

volatile u32& lapic(u32 offset) { return *reinterpret_cast<volatile u32*>(g_lapic_base + offset); }

bool on_tick(InterruptFrame& frame, void*)
{
    g_ticks = g_ticks + 1;
    if (layout::in_translation_cache(frame.rip))
        g_ticks_in_cache = g_ticks_in_cache + 1;
    if (volatile u32* flag = g_tick_flag)
        *flag = 1;
    if (auto hook = g_tick_hook)
        hook();
    lapic(lapic_eoi) = 0;
    return true;
}

bool on_spurious(InterruptFrame&, void*) { return true; } // SDM §10.9: no EOI for spurious

// a * b / c without 128-bit division (which would need libgcc's __udivti3). Exact while
// (c - 1) * b fits in 64 bits: b <= 10^9 and c (a frequency) below 18 GHz.
u64 mul_div(u64 a, u64 b, u64 c) { return a / c * b + a % c * b / c; }

} // namespace

void calibrate()
{
    g_lapic_base = cpu::read_msr(cpu::msr_apic_base) & ~0xFFFull;
    lapic(lapic_svr) = svr_enable | spurious_vector;
    lapic(lapic_divide) = divide_by_16;
    lapic(lapic_lvt_timer) = lvt_masked;

    // PIT channel 2, mode 0 (interrupt on terminal count), gated by port 0x61 bit 0 with
    // the speaker (bit 1) off; its output reads back as port 0x61 bit 5.
    u16 count = static_cast<u16>(pit_hz * calibration_ms / 1000);
    cpu::outb(0x61, (cpu::inb(0x61) & ~0x03) | 0x01);
    cpu::outb(0x43, 0xB0); // channel 2, lobyte/hibyte, mode 0, binary
    cpu::outb(0x42, count & 0xFF);
    u8 gate = cpu::inb(0x61);
    cpu::outb(0x42, count >> 8); // counting starts now
    (void)gate;
    lapic(lapic_initial_count) = 0xFFFFFFFF;
    u64 tsc_start = cpu::rdtsc();
    u64 spins = 0;
    while (!(cpu::inb(0x61) & 0x20) && ++spins < 100'000'000)
        ;
    u64 tsc_end = cpu::rdtsc();
    u32 lapic_elapsed = 0xFFFFFFFF - lapic(lapic_current_count);
    lapic(lapic_initial_count) = 0;
    cpu::outb(0x61, cpu::inb(0x61) & ~0x03);

    g_tsc_hz = mul_div(tsc_end - tsc_start, 1000, calibration_ms);
    g_lapic_hz = mul_div(lapic_elapsed, 1000, calibration_ms);
    if (g_tsc_hz == 0)
        g_tsc_hz = 1'000'000'000; // no PIT (not a PC?): assume 1 GHz rather than divide by 0
    if (g_lapic_hz == 0)
        g_lapic_hz = 1'000'000;

    idt::set_handler(spurious_vector, on_spurious, nullptr);
}

u64 tsc_hz() { return g_tsc_hz; }
u64 lapic_timer_hz() { return g_lapic_hz; }
u64 monotonic_ns() { return mul_div(cpu::rdtsc(), 1'000'000'000, g_tsc_hz); }

void start_tick(u32 hz, u8 vector)
{
    cpu::outb(0x21, 0xFF); // mask both 8259s: the firmware may have left them enabled
    cpu::outb(0xA1, 0xFF);
    idt::set_handler(vector, on_tick, nullptr);
    u64 initial = g_lapic_hz / hz;
    lapic(lapic_divide) = divide_by_16;
    lapic(lapic_lvt_timer) = lvt_periodic | vector;
    lapic(lapic_initial_count) = static_cast<u32>(initial ? initial : 1);
}

void stop_tick()
{
    lapic(lapic_lvt_timer) = lvt_masked;
    lapic(lapic_initial_count) = 0;
}

void set_tick_flag(volatile u32* flag) { g_tick_flag = flag; }
void set_tick_hook(void (*hook)()) { g_tick_hook = hook; }
u64 ticks() { return g_ticks; }
u64 ticks_in_translation_cache() { return g_ticks_in_cache; }

} // namespace keel::kernel::clock
