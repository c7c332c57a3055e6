// The local APIC in xAPIC mode (Intel SDM vol. 3A, chapter 10): register reset values and
// masks, TPR/PPR/APR, acceptance and priority by class, nested EOI, SVR disable, the timer
// in its three modes against a TimerQueue, self-IPIs, the ESR, IA32_APIC_BASE,
// save/restore and reset.
#include <catch2/catch.hpp>
#include <utility>
#include <vector>
#include "dbt/engine/timer_queue.h"
#include "plugins/devices/lapic/lapic.h"

using namespace keel;
using keel::devices::LocalApic;

namespace {

enum : u32 {
    ID = 0x20, VERSION = 0x30, TPR = 0x80, APR = 0x90, PPR = 0xA0, EOI = 0xB0, LDR = 0xD0, DFR = 0xE0,
    SVR = 0xF0, ISR = 0x100, TMR = 0x180, IRR = 0x200, ESR = 0x280, LVT_CMCI = 0x2F0, ICR_LOW = 0x300,
    ICR_HIGH = 0x310, LVT_TIMER = 0x320, LVT_THERMAL = 0x330, LVT_PERF = 0x340, LVT_LINT0 = 0x350,
    LVT_LINT1 = 0x360, LVT_ERROR = 0x370, TIMER_INITIAL = 0x380, TIMER_CURRENT = 0x390, TIMER_DCR = 0x3E0,
};
constexpr u64 tsc_hz = 2500000000; // 2.5 GHz: TSC = ns * 5 / 2

// The machine as the APIC sees it: a clock, and the window moves IA32_APIC_BASE asks for,
// recorded (and refused when `refuse_moves`).
class FakeMachine final : public MachineServices {
public:
    TimerQueue clock_queue;
    std::vector<std::pair<u64, u64>> moves;
    bool refuse_moves = false;

    VirtualClock& clock() override { return clock_queue; }
    u64 ram_size() const override { return 0; }
    u64 ram_below_4g() const override { return 0; }
    u64 wall_clock_seconds() override { return 0; }
    void console_write(const char*, usize) override {}
    void log(const char*, usize) override {}
    void request_shutdown(int) override {}
    void request_reset() override {}
    void note_orderly_shutdown() override {}
    Device* find_device(const char*) override { return nullptr; }
    void add_interrupt_controller(InterruptController*) override {}
    void add_msr_handler(MsrHandler*) override {}
    void set_console_input(ConsoleInput*) override {}
    void set_a20_input(unsigned, bool) override {}
    void set_memory_shadow(u64, u64, bool, bool) override {}
    bool move_mmio_window(Device*, u64 old_base, u64 new_base) override
    {
        if (refuse_moves)
            return false;
        moves.push_back({ old_base, new_base });
        return true;
    }
};

struct Apic {
    FakeMachine machine;
    TimerQueue& clock = machine.clock_queue;
    LocalApic apic { machine, 3, tsc_hz };

    u32 rd(u32 reg) { return static_cast<u32>(apic.mmio_read(reg, 4)); }
    void wr(u32 reg, u32 v) { apic.mmio_write(reg, v, 4); }
    void enable(u8 spurious = 0xFF) { wr(SVR, 0x100u | spurious); }
    bool irr_has(u8 v) { return rd(IRR + 0x10 * (v / 32)) & (1u << (v % 32)); }
    bool isr_has(u8 v) { return rd(ISR + 0x10 * (v / 32)) & (1u << (v % 32)); }
    u32 esr() { wr(ESR, 0); return rd(ESR); }
    // Takes a pending interrupt and retires it at once; returns the vector or -1.
    int take()
    {
        if (!apic.has_interrupt())
            return -1;
        int v = apic.acknowledge();
        wr(EOI, 0);
        return v;
    }
};

std::vector<u8> saved(const LocalApic& apic)
{
    StateWriter w;
    apic.save(w);
    return std::vector<u8>(w.data().begin(), w.data().end());
}

} // namespace

TEST_CASE("LocalApic: power-on register values", "[devices]")
{
    Apic a;
    CHECK(a.rd(ID) == 0x03000000);
    CHECK(a.rd(VERSION) == 0x00050014);
    for (u32 r : { TPR, APR, PPR, EOI, LDR, ESR, ICR_LOW, ICR_HIGH, TIMER_INITIAL, TIMER_CURRENT, TIMER_DCR })
        CHECK(a.rd(r) == 0);
    CHECK(a.rd(DFR) == 0xFFFFFFFF);
    CHECK(a.rd(SVR) == 0xFF);
    for (u32 i = 0; i < 8; ++i)
        CHECK((a.rd(ISR + 0x10 * i) | a.rd(TMR + 0x10 * i) | a.rd(IRR + 0x10 * i)) == 0);
    for (u32 r : { LVT_CMCI, LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR })
        CHECK(a.rd(r) == 0x00010000);
    CHECK(a.apic.apic_base_msr() == 0xFEE00900);
    CHECK(a.apic.read_tsc_deadline() == 0);
    CHECK(a.clock.armed_count() == 0);
}

TEST_CASE("LocalApic: writable bits of ID, LDR, DFR, SVR, ICR and the LVT", "[devices]")
{
    Apic a;
    a.wr(ID, 0xFFFFFFFF);
    CHECK(a.rd(ID) == 0xFF000000);
    a.wr(ID, 0x05000000);
    CHECK(a.apic.id() == 0x05000000);
    a.wr(VERSION, 0); // read-only
    CHECK(a.rd(VERSION) == 0x00050014);
    a.wr(TPR, 0x1FF);
    CHECK(a.rd(TPR) == 0xFF);
    a.wr(LDR, 0xFFFFFFFF);
    CHECK(a.rd(LDR) == 0xFF000000);
    a.wr(DFR, 0);
    CHECK(a.rd(DFR) == 0x0FFFFFFF);
    a.wr(SVR, 0xFFFFFFFF);
    CHECK(a.rd(SVR) == 0x3FF);
    a.wr(ICR_HIGH, 0xFFFFFFFF);
    CHECK(a.rd(ICR_HIGH) == 0xFF000000);
    a.wr(ICR_LOW, 0xFFFFFFFF & ~0x700u); // fixed mode to 0xFF..., shorthand all-but-self
    CHECK(a.rd(ICR_LOW) == (0x000CCFFFu & ~0x700u)); // delivery status (12) reads idle
    a.wr(TIMER_DCR, 0xFFFFFFFF);
    CHECK(a.rd(TIMER_DCR) == 0xB);
    // LVT entries (SDM figure 10-8); remote IRR and delivery status are read-only.
    const std::pair<u32, u32> lvts[] = { { LVT_TIMER, 0x000700FF }, { LVT_THERMAL, 0x000107FF },
        { LVT_PERF, 0x000107FF }, { LVT_LINT0, 0x0001A7FF }, { LVT_LINT1, 0x0001A7FF },
        { LVT_ERROR, 0x000100FF }, { LVT_CMCI, 0x000107FF } };
    for (auto [reg, mask] : lvts) {
        a.wr(reg, 0xFFFFFFFF);
        CHECK(a.rd(reg) == mask);
        a.wr(reg, 0x20);
        CHECK(a.rd(reg) == 0x20);
    }
    // Read-only registers ignore writes, with no error.
    a.apic.accept(0x40, false);
    for (u32 r : { u32(PPR), u32(APR), IRR + 0x20, u32(ISR), u32(TMR), u32(TIMER_CURRENT) })
        a.wr(r, 0xFFFFFFFF);
    CHECK(a.rd(IRR + 0x20) == 1);
    CHECK(a.rd(ISR) == 0);
    CHECK(a.esr() == 0);
}

TEST_CASE("LocalApic: odd widths and offsets read 0; unimplemented registers set ESR bit 7", "[devices]")
{
    Apic a;
    a.enable();
    a.wr(TPR, 0x20);
    CHECK(a.apic.mmio_read(TPR, 1) == 0);
    CHECK(a.apic.mmio_read(TPR, 8) == 0);
    CHECK(a.apic.mmio_read(TPR + 4, 4) == 0);
    a.apic.mmio_write(TPR, 0x30, 2);
    a.apic.mmio_write(TPR + 1, 0x30, 4);
    CHECK(a.rd(TPR) == 0x20);
    CHECK(a.esr() == 0);
    for (u32 reserved : { 0x00u, 0x10u, 0x40u, 0x70u, 0x290u, 0x3A0u, 0x3F0u, 0x400u, 0xFF0u }) {
        CHECK(a.rd(reserved) == 0);
        CHECK(a.esr() == 0x80);
        a.wr(reserved, 1);
        CHECK(a.esr() == 0x80);
    }
}

TEST_CASE("LocalApic: PPR and APR from TPR, ISR and IRR", "[devices]")
{
    Apic a;
    a.enable();
    a.wr(TPR, 0x35);
    CHECK(a.rd(PPR) == 0x35); // nothing in service: PPR = TPR (SDM 10.8.3.1)
    a.apic.accept(0x41, false);
    CHECK(a.rd(APR) == 0x40); // IRR class above TPR class
    CHECK(a.apic.acknowledge() == 0x41);
    CHECK(a.rd(PPR) == 0x40); // ISR class above TPR's: PPR = ISRV[7:4], low nibble 0
    a.wr(TPR, 0x4F);
    CHECK(a.rd(PPR) == 0x4F); // equal classes: TPR
    a.wr(TPR, 0x3F);
    CHECK(a.rd(PPR) == 0x40);
    a.wr(EOI, 0);
    CHECK(a.rd(PPR) == 0x3F);
    a.wr(TPR, 0x60);
    a.apic.accept(0x51, false);
    CHECK(a.rd(APR) == 0x60); // TPR above both
}

TEST_CASE("LocalApic: interrupts are delivered by priority class above the PPR", "[devices]")
{
    Apic a;
    a.enable();
    a.apic.accept(0x31, false);
    a.apic.accept(0x52, false);
    a.apic.accept(0x45, false);
    CHECK(a.irr_has(0x31));
    CHECK(a.irr_has(0x52));
    REQUIRE(a.apic.has_interrupt());
    CHECK(a.apic.acknowledge() == 0x52);
    CHECK(a.isr_has(0x52));
    CHECK_FALSE(a.irr_has(0x52));
    CHECK_FALSE(a.apic.has_interrupt()); // 0x45's class is below the in-service 0x52's
    a.wr(EOI, 0);
    CHECK(a.apic.acknowledge() == 0x45);
    // The same class as the in-service vector is blocked even when numerically higher.
    a.apic.accept(0x4F, false);
    CHECK_FALSE(a.apic.has_interrupt());
    a.wr(EOI, 0);
    CHECK(a.apic.acknowledge() == 0x4F);
    a.wr(EOI, 0);
    // TPR: class 4 is blocked by TPR 0x40; class 5 gets through; 0x31 waits.
    a.wr(TPR, 0x40);
    a.apic.accept(0x4A, false);
    CHECK(a.apic.acknowledge() != 0x4A); // the spurious vector: nothing deliverable
    CHECK_FALSE(a.isr_has(0x4A));
    a.apic.accept(0x50, false);
    CHECK(a.apic.acknowledge() == 0x50);
    a.wr(EOI, 0);
    a.wr(TPR, 0);
    CHECK(a.take() == 0x4A);
    CHECK(a.take() == 0x31);
    CHECK(a.take() == -1);
}

TEST_CASE("LocalApic: nested interrupts retire highest first; level EOIs are broadcast", "[devices]")
{
    Apic a;
    std::vector<u8> broadcast;
    a.apic.set_eoi_listener([](void* c, u8 v) { static_cast<std::vector<u8>*>(c)->push_back(v); }, &broadcast);
    a.enable();
    a.apic.accept(0x30, false);
    CHECK(a.apic.acknowledge() == 0x30);
    a.apic.accept(0x60, true);
    CHECK(a.rd(TMR + 0x30) == 1u); // vector 0x60: TMR word 3, bit 0
    CHECK(a.apic.acknowledge() == 0x60);
    CHECK(a.isr_has(0x30));
    CHECK(a.isr_has(0x60));
    a.wr(EOI, 0);
    CHECK_FALSE(a.isr_has(0x60));
    CHECK(a.isr_has(0x30));
    CHECK(broadcast == std::vector<u8> { 0x60 });
    a.wr(EOI, 0);
    CHECK_FALSE(a.isr_has(0x30));
    CHECK(broadcast.size() == 1); // 0x30 was edge
    a.wr(EOI, 0); // nothing in service: harmless
    CHECK(broadcast.size() == 1);
    a.apic.accept(0x60, false); // edge acceptance clears the TMR bit
    CHECK(a.rd(TMR + 0x30) == 0);
}

TEST_CASE("LocalApic: software disable (SVR bit 8)", "[devices]")
{
    Apic a;
    a.apic.accept(0x40, false); // disabled at power-on: ignored
    CHECK_FALSE(a.irr_has(0x40));
    CHECK(a.apic.acknowledge() == 0xFF); // the spurious vector
    a.wr(LVT_TIMER, 0x40);
    CHECK(a.rd(LVT_TIMER) == 0x10040); // cannot unmask while disabled
    a.enable(0x3F);
    CHECK(a.apic.acknowledge() == 0x3F); // spurious: no ISR bit
    CHECK(a.rd(ISR + 0x10) == 0);
    a.wr(LVT_TIMER, 0x40);
    a.wr(LVT_LINT0, 0x700);
    CHECK(a.rd(LVT_TIMER) == 0x40);
    a.apic.accept(0x80, false);
    a.wr(SVR, 0x3F); // disable: every LVT masked, pending interrupts held
    CHECK(a.rd(LVT_TIMER) == 0x10040);
    CHECK(a.rd(LVT_LINT0) == 0x10700);
    a.apic.accept(0x90, false);
    CHECK_FALSE(a.irr_has(0x90));
    CHECK(a.apic.acknowledge() == 0x80);
}

TEST_CASE("LocalApic: one-shot timer fires once, exactly, at every divide value", "[devices]")
{
    const std::pair<u32, u32> divides[] = { { 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
                                            { 0x8, 32 }, { 0x9, 64 }, { 0xA, 128 }, { 0xB, 1 } };
    for (auto [dcr, divisor] : divides) {
        INFO("DCR " << dcr);
        Apic a;
        a.enable();
        a.clock.advance_to(12345);
        a.wr(TIMER_DCR, dcr);
        a.wr(LVT_TIMER, 0x40); // one-shot, vector 0x40
        a.wr(TIMER_INITIAL, 1000);
        CHECK(a.apic.timer_state().divisor == divisor);
        u64 deadline = 12345 + 1000ull * divisor;
        CHECK(a.clock.next_deadline() == deadline);
        a.clock.advance_to(deadline - 1);
        CHECK_FALSE(a.irr_has(0x40));
        CHECK(a.rd(TIMER_CURRENT) == 1);
        a.clock.advance_to(deadline);
        CHECK(a.take() == 0x40);
        CHECK(a.rd(TIMER_CURRENT) == 0);
        CHECK(a.rd(TIMER_INITIAL) == 1000);
        a.clock.advance_to(deadline + 100000ull * divisor);
        CHECK(a.take() == -1);
        CHECK(a.clock.armed_count() == 0);
    }
}

TEST_CASE("LocalApic: periodic timer gives 1000 interrupts in 1 s without drift", "[devices]")
{
    Apic a;
    a.enable();
    a.clock.advance_to(7);
    a.wr(TIMER_DCR, 0x3);            // divide by 16
    a.wr(LVT_TIMER, 0x20000 | 0x50); // periodic
    a.wr(TIMER_INITIAL, 62500);      // 62500 * 16 ns = 1 ms
    int count = 0;
    for (u64 t = 7; t <= 7 + 1000000000ull; t += 250000) {
        a.clock.advance_to(t);
        if (a.take() == 0x50)
            ++count;
    }
    CHECK(count == 1000);
    CHECK(a.clock.next_deadline() == 7 + 1001 * 1000000ull);
    // Reloaded: counting down from the initial count again.
    a.clock.advance_to(7 + 1000000000ull + 16 * 100);
    CHECK(a.rd(TIMER_CURRENT) == 62400);
}

TEST_CASE("LocalApic: the current count decreases; writing 0 or changing the divider", "[devices]")
{
    Apic a;
    a.enable();
    a.wr(TIMER_DCR, 0x3); // 16
    a.wr(LVT_TIMER, 0x40);
    a.wr(TIMER_INITIAL, 1000);
    CHECK(a.rd(TIMER_CURRENT) == 1000);
    a.clock.advance_to(160);
    CHECK(a.rd(TIMER_CURRENT) == 990);
    a.clock.advance_to(175); // partial ticks do not count
    CHECK(a.rd(TIMER_CURRENT) == 990);
    a.clock.advance_to(8000);
    CHECK(a.rd(TIMER_CURRENT) == 500);
    // A new divider keeps the count: 500 ticks of 2 ns remain.
    a.wr(TIMER_DCR, 0x0);
    CHECK(a.rd(TIMER_CURRENT) == 500);
    CHECK(a.clock.next_deadline() == 9000);
    a.clock.advance_to(8100);
    CHECK(a.rd(TIMER_CURRENT) == 450);
    a.wr(TIMER_INITIAL, 0); // stops the timer
    CHECK(a.rd(TIMER_CURRENT) == 0);
    CHECK(a.clock.armed_count() == 0);
    a.clock.advance_to(20000);
    CHECK(a.take() == -1);
    a.wr(TIMER_INITIAL, 10); // a new write restarts from now
    CHECK(a.clock.next_deadline() == 20020);
}

TEST_CASE("LocalApic: a masked timer counts but does not interrupt", "[devices]")
{
    Apic a;
    a.enable();
    a.wr(TIMER_DCR, 0xB); // 1
    a.wr(LVT_TIMER, 0x30000 | 0x40); // masked, periodic
    a.wr(TIMER_INITIAL, 100000);
    a.clock.advance_to(30000);
    CHECK(a.rd(TIMER_CURRENT) == 70000);
    a.clock.advance_to(1050000);
    CHECK(a.take() == -1);
    CHECK(a.rd(TIMER_CURRENT) == 50000);
    CHECK(a.clock.next_deadline() == 1100000);
    a.wr(LVT_TIMER, 0x20000 | 0x40); // unmask: the next period interrupts
    a.clock.advance_to(1100000);
    CHECK(a.take() == 0x40);
    // Switching to one-shot mid-period: it stops after the current countdown.
    a.wr(LVT_TIMER, 0x40);
    a.clock.advance_to(1200000);
    CHECK(a.take() == 0x40);
    a.clock.advance_to(5000000);
    CHECK(a.take() == -1);
}

TEST_CASE("LocalApic: TSC-deadline mode", "[devices]")
{
    Apic a;
    a.enable();
    a.apic.write_tsc_deadline(5000); // not in TSC-deadline mode: ignored
    CHECK(a.apic.read_tsc_deadline() == 0);
    a.wr(TIMER_INITIAL, 1000);
    a.wr(LVT_TIMER, 0x40000 | 0x40); // entering TSC-deadline mode disarms the countdown
    CHECK(a.rd(TIMER_INITIAL) == 0);
    CHECK(a.clock.armed_count() == 0);
    a.wr(TIMER_INITIAL, 1000); // ignored in this mode
    CHECK(a.rd(TIMER_INITIAL) == 0);
    CHECK(a.rd(TIMER_CURRENT) == 0);

    a.apic.write_tsc_deadline(1001); // TSC 1001 first reached at ns 401 (TSC 1002)
    CHECK(a.apic.read_tsc_deadline() == 1001);
    CHECK(a.clock.next_deadline() == 401);
    a.clock.advance_to(400);
    CHECK(a.apic.tsc_at(400) == 1000);
    CHECK(a.take() == -1);
    a.clock.advance_to(401);
    CHECK(a.take() == 0x40);
    CHECK(a.apic.read_tsc_deadline() == 0); // cleared when it fires
    CHECK(a.clock.armed_count() == 0);

    a.apic.write_tsc_deadline(5000); // ns 2000
    a.apic.write_tsc_deadline(0);    // disarms
    CHECK(a.clock.armed_count() == 0);
    a.clock.advance_to(3000);
    CHECK(a.take() == -1);

    a.apic.write_tsc_deadline(7000); // already passed (TSC 7500): fires at once
    CHECK(a.take() == 0x40);
    CHECK(a.apic.read_tsc_deadline() == 0);

    a.wr(LVT_TIMER, 0x50000 | 0x40); // masked: the deadline passes silently
    a.apic.write_tsc_deadline(10000);
    a.clock.advance_to(4000);
    CHECK(a.take() == -1);
    CHECK(a.apic.read_tsc_deadline() == 0);

    a.apic.write_tsc_deadline(20000);
    a.wr(LVT_TIMER, 0x40); // leaving the mode disarms it
    CHECK(a.apic.read_tsc_deadline() == 0);
    CHECK(a.clock.armed_count() == 0);
}

TEST_CASE("LocalApic: IPIs through the ICR reach this CPU only when addressed to it", "[devices]")
{
    Apic a;
    a.enable();
    a.wr(ICR_LOW, 0x40000 | 0x55); // shorthand self, fixed
    CHECK(a.take() == 0x55);
    a.wr(ICR_HIGH, 0x03000000); // physical destination: our ID
    a.wr(ICR_LOW, 0x56);
    CHECK(a.take() == 0x56);
    CHECK((a.rd(ICR_LOW) & 0x1000) == 0); // delivery status: idle
    a.wr(ICR_HIGH, 0x04000000); // another CPU: recorded, not delivered
    a.wr(ICR_LOW, 0x57);
    CHECK(a.take() == -1);
    CHECK(a.apic.icr() == 0x0400000000000057ull);
    a.wr(ICR_LOW, 0xC0000 | 0x58); // all excluding self
    CHECK(a.take() == -1);
    a.wr(ICR_LOW, 0x80000 | 0x59); // all including self
    CHECK(a.take() == 0x59);
    a.wr(ICR_HIGH, 0xFF000000); // broadcast
    a.wr(ICR_LOW, 0x5A);
    CHECK(a.take() == 0x5A);
    // Logical, flat model: LDR bit match.
    a.wr(LDR, 0x02000000);
    a.wr(ICR_HIGH, 0x06000000);
    a.wr(ICR_LOW, 0x800 | 0x5B);
    CHECK(a.take() == 0x5B);
    a.wr(ICR_HIGH, 0x01000000);
    a.wr(ICR_LOW, 0x800 | 0x5C);
    CHECK(a.take() == -1);
    // Logical, cluster model: cluster 1, member bit 2.
    a.wr(DFR, 0x0FFFFFFF);
    a.wr(LDR, 0x12000000);
    a.wr(ICR_HIGH, 0x13000000);
    a.wr(ICR_LOW, 0x800 | 0x5D);
    CHECK(a.take() == 0x5D);
    a.wr(ICR_HIGH, 0x23000000);
    a.wr(ICR_LOW, 0x800 | 0x5E);
    CHECK(a.take() == -1);
    a.wr(ICR_LOW, 0x40000 | 0x500); // INIT to self: not modelled, nothing pending
    CHECK(a.take() == -1);
}

TEST_CASE("LocalApic: illegal vectors and the ESR's write-then-read", "[devices]")
{
    Apic a;
    a.enable();
    a.apic.accept(5, false);
    CHECK(a.rd(IRR) == 0);
    CHECK(a.rd(ESR) == 0); // not latched until written
    a.wr(ESR, 0);
    CHECK(a.rd(ESR) == 0x40); // received illegal vector
    CHECK(a.rd(ESR) == 0x40);
    a.wr(ESR, 0);
    CHECK(a.rd(ESR) == 0);
    a.wr(ICR_LOW, 0x40000 | 0x0E); // self-IPI with vector 14: send and receive errors
    CHECK(a.esr() == 0x60);
    // The error LVT interrupts on each error.
    a.wr(LVT_ERROR, 0xEE);
    a.apic.accept(15, false);
    CHECK(a.take() == 0xEE);
    CHECK(a.esr() == 0x40);
    // An illegal error vector records another error instead of recursing.
    a.wr(LVT_ERROR, 0x02);
    a.rd(0x40);
    CHECK(a.esr() == 0xC0);
    CHECK(a.take() == -1);
    // A masked timer LVT with an illegal vector: nothing; unmasked: an error.
    a.wr(LVT_TIMER, 0x08);
    a.wr(LVT_ERROR, 0x10000);
    a.wr(TIMER_INITIAL, 4);
    a.clock.advance_to(100);
    CHECK(a.esr() == 0x40);
}

TEST_CASE("LocalApic: IA32_APIC_BASE enable and disable", "[devices]")
{
    Apic a;
    a.enable();
    a.wr(TPR, 0x20);
    a.apic.accept(0x40, false);
    a.wr(LVT_TIMER, 0x40);
    a.wr(TIMER_INITIAL, 100);
    CHECK_FALSE(a.apic.write_apic_base_msr(0xFEE00900 | 0x400)); // x2APIC: #GP
    CHECK_FALSE(a.apic.write_apic_base_msr(0xFEE00900 | 1));
    CHECK_FALSE(a.apic.write_apic_base_msr(0x1000FEE00900ull));
    CHECK(a.apic.hardware_enabled());
    CHECK(a.apic.write_apic_base_msr(0xFEE00100)); // global disable
    CHECK(a.apic.apic_base_msr() == 0xFEE00100);
    CHECK_FALSE(a.apic.has_interrupt());
    CHECK(a.apic.mmio_read(TPR, 4) == 0xFFFFFFFF); // the page is not decoded
    a.wr(SVR, 0x1FF);
    a.apic.accept(0x50, false);
    CHECK(a.clock.armed_count() == 0);
    CHECK(a.apic.write_apic_base_msr(0xFEE00900)); // re-enabled: power-up state
    CHECK(a.rd(SVR) == 0xFF);
    CHECK(a.rd(TPR) == 0);
    CHECK(a.rd(IRR + 0x20) == 0);
    CHECK(a.rd(LVT_TIMER) == 0x10000);
}

// 10.4.5: writing a new base to IA32_APIC_BASE moves the register page; reset puts it back
// at 0xFEE00000 (10.4.4). The window itself moves in PhysicalMemory (mmu_test.cpp) and the
// whole path through WRMSR runs in x86_test.cpp.
TEST_CASE("LocalApic: IA32_APIC_BASE moves the register page", "[devices]")
{
    Apic a;
    a.enable();
    a.wr(TPR, 0x20);
    CHECK(a.apic.write_apic_base_msr(0xFED40900));
    CHECK(a.machine.moves == std::vector<std::pair<u64, u64>> { { 0xFEE00000, 0xFED40000 } });
    CHECK(a.apic.apic_base_msr() == 0xFED40900);
    CHECK(a.apic.base() == 0xFED40000);
    CHECK(a.rd(TPR) == 0x20); // the registers keep their values
    CHECK(a.apic.write_apic_base_msr(0xFED40900)); // the same base: nothing moves
    CHECK(a.machine.moves.size() == 1);
    // Reserved bits: #GP and nothing moves.
    CHECK_FALSE(a.apic.write_apic_base_msr(0x1000000900ull));
    CHECK(a.machine.moves.size() == 1);
    // A move the machine refuses is a #GP too, and the base stays.
    a.machine.refuse_moves = true;
    CHECK_FALSE(a.apic.write_apic_base_msr(0x00100900));
    CHECK(a.apic.base() == 0xFED40000);
    a.machine.refuse_moves = false;
    // Disabling at a new base: the page moves, the registers return to power-up values, the
    // base is kept.
    CHECK(a.apic.write_apic_base_msr(0x00100100));
    CHECK(a.apic.apic_base_msr() == 0x00100100);
    CHECK(a.rd(TPR) == 0xFFFFFFFF);
    CHECK(a.apic.write_apic_base_msr(0x00100900));
    CHECK(a.rd(TPR) == 0);
    CHECK(a.apic.base() == 0x00100000);
    a.apic.reset();
    CHECK(a.apic.base() == 0xFEE00000);
    CHECK(a.machine.moves.back() == std::pair<u64, u64> { 0x00100000, 0xFEE00000 });
    // restore() moves the page to the saved base.
    a.apic.write_apic_base_msr(0xFED40900);
    std::vector<u8> bytes = saved(a.apic);
    Apic b;
    StateReader in(bytes.data(), bytes.size());
    REQUIRE_FALSE(b.apic.restore(in).is_error());
    CHECK(b.apic.base() == 0xFED40000);
    CHECK(b.machine.moves == std::vector<std::pair<u64, u64>> { { 0xFEE00000, 0xFED40000 } });
}

TEST_CASE("LocalApic: save/restore round-trip re-arms the timer", "[devices]")
{
    Apic a;
    a.enable(0x3F);
    a.wr(TPR, 0x10);
    a.wr(LDR, 0x01000000);
    a.wr(LVT_LINT0, 0x700);
    a.apic.accept(0x61, true);
    a.apic.accept(0x30, false);
    CHECK(a.apic.acknowledge() == 0x61);
    a.apic.accept(3, false); // a pending error
    a.wr(TIMER_DCR, 0x1);
    a.wr(LVT_TIMER, 0x20000 | 0x45);
    a.wr(TIMER_INITIAL, 250000); // period 1 ms
    a.clock.advance_to(1300000);
    std::vector<u8> bytes = saved(a.apic);
    CHECK(bytes[0] == LocalApic::state_version);

    Apic b;
    b.clock.advance_to(1300000);
    StateReader in(bytes.data(), bytes.size());
    REQUIRE_FALSE(b.apic.restore(in).is_error());
    CHECK(in.remaining() == 0);
    CHECK(saved(b.apic) == bytes);
    CHECK(b.rd(TIMER_CURRENT) == a.rd(TIMER_CURRENT));
    CHECK(b.rd(TIMER_CURRENT) == 175000);
    CHECK(b.rd(PPR) == 0x60);
    CHECK(b.clock.next_deadline() == 2000000);
    for (Apic* x : { &a, &b }) {
        x->clock.advance_to(2000000);
        x->wr(EOI, 0); // 0x61
        CHECK(x->apic.acknowledge() == 0x45);
        CHECK(x->esr() == 0x40);
    }
    CHECK(saved(a.apic) == saved(b.apic));
}

TEST_CASE("LocalApic: restore refuses bytes it did not write and stays unchanged", "[devices]")
{
    Apic a;
    a.enable();
    a.wr(LVT_TIMER, 0x40);
    a.wr(TIMER_INITIAL, 500);
    std::vector<u8> good = saved(a.apic);

    Apic b;
    b.enable(0x3F);
    b.wr(TPR, 0x30);
    std::vector<u8> before = saved(b.apic);
    auto refuse = [&](std::vector<u8> bytes, const char* what) {
        INFO(what);
        StateReader in(bytes.data(), bytes.size());
        auto r = b.apic.restore(in);
        CHECK(r.is_error());
        CHECK(saved(b.apic) == before);
        CHECK(b.clock.armed_count() == 0);
    };
    std::vector<u8> bad = good;
    bad[0] = 99;
    refuse(bad, "version");
    bad = good;
    bad[1] ^= 1;
    refuse(bad, "size field");
    refuse(std::vector<u8>(good.begin(), good.end() - 1), "truncated");
    bad = good;
    bad[3] = 2;
    refuse(bad, "hardware enable not a boolean");
    bad = good;
    bad[4] = 0x10; // base 0xFEE00010: not a page
    refuse(bad, "base not page-aligned");
    bad = good;
    bad[9] = 0x10; // base above the 36-bit physical address width
    refuse(bad, "base beyond MAXPHYADDR");
    // IRR word 0 starts after version(1) size(2) enable(1) base(8) 5 regs, 7 LVTs, 4 regs.
    usize irr0 = 12 + 4 * (5 + 7 + 4);
    bad = good;
    bad[irr0] = 0x08; // vector 3 pending
    refuse(bad, "vector 3 in the IRR");
    usize tpr = 12 + 4;
    bad = good;
    bad[tpr + 1] = 1; // TPR 0x100
    refuse(bad, "TPR out of range");
    usize lvt_timer = 12 + 4 * 5;
    bad = good;
    bad[lvt_timer + 3] = 0x80;
    refuse(bad, "LVT reserved bit");
    usize armed = 12 + 4 * (5 + 7 + 4 + 24 + 3) + 8;
    usize count_at_start = armed - 8 - 4;
    REQUIRE(good[armed] == 1);
    bad = good;
    bad[count_at_start] = bad[count_at_start + 1] = 0;
    refuse(bad, "timer armed with a zero count");
}

TEST_CASE("LocalApic: reset returns to the power-on state and cancels the timer", "[devices]")
{
    Apic a;
    std::vector<u8> power_on = saved(a.apic);
    a.enable(0x3F);
    a.wr(ID, 0x07000000);
    a.wr(TPR, 0x20);
    a.wr(DFR, 0);
    a.wr(ICR_HIGH, 0x01000000);
    a.apic.accept(0x40, true);
    a.apic.acknowledge();
    a.apic.accept(2, false);
    a.wr(ESR, 0);
    a.wr(TIMER_DCR, 0xA);
    a.wr(LVT_TIMER, 0x20040);
    a.wr(TIMER_INITIAL, 99);
    REQUIRE(a.clock.armed_count() == 1);
    a.apic.reset();
    CHECK(saved(a.apic) == power_on);
    CHECK(a.rd(ID) == 0x03000000);
    CHECK(a.clock.armed_count() == 0);
    CHECK(a.apic.acknowledge() == 0xFF);
}

TEST_CASE("LocalApic: a late periodic callback reloads from the deadline, coalescing missed periods", "[devices]")
{
    Apic a;
    a.enable();
    a.wr(TIMER_DCR, 0xB);
    a.wr(LVT_TIMER, 0x20000 | 0x40);
    a.wr(TIMER_INITIAL, 100000); // deadlines at 100000, 200000, ...
    // An engine that ran the guest on past the deadline calls back late, at 350000.
    a.clock.advance_to(99999);
    a.apic.timer_expired(0, 350000);
    CHECK(a.take() == 0x40);
    CHECK(a.take() == -1); // one interrupt for the missed periods
    CHECK(a.clock.next_deadline() == 400000);
    a.clock.advance_to(350000);
    CHECK(a.rd(TIMER_CURRENT) == 50000); // counting from 300000, not from 350000
    a.clock.advance_to(400000);
    CHECK(a.take() == 0x40);
}

// A guest asking for an interrupt every nanosecond (initial count 1, divide by 1) gets
// them at most every min_periodic_interrupt_ns, so that keel runs the guest rather than
// the timer (issue 11 item 4: this livelocked the host). Longer periods are untouched.
TEST_CASE("LocalApic: a periodic timer with a tiny count interrupts at most every min_periodic_interrupt_ns", "[devices]")
{
    Apic a;
    a.enable();
    a.wr(TIMER_DCR, 0xB); // divide by 1
    a.wr(LVT_TIMER, 0x20000 | 0x40);
    a.wr(TIMER_INITIAL, 1);
    constexpr u64 min = LocalApic::min_periodic_interrupt_ns;
    int count = 0;
    for (u64 t = 1; t <= 10 * min; t += min / 10) {
        a.clock.advance_to(t);
        if (a.take() == 0x40)
            ++count;
    }
    CHECK(count >= 9);
    CHECK(count <= 11);
    // One long step fires a bounded number of callbacks: the next deadline lies ahead.
    a.clock.advance_to(1000000000);
    CHECK(a.clock.next_deadline() > 1000000000);
    CHECK(a.clock.next_deadline() - 1000000000 <= min);
}
