#pragma once
// The local APIC of a single CPU in xAPIC mode (Intel SDM vol. 3A, chapter 10 "Advanced
// Programmable Interrupt Controller"): the 4 KiB register page (0xFEE00000 after reset,
// relocatable through IA32_APIC_BASE), interrupt
// acceptance and priority (IRR/ISR/TMR, TPR/PPR), EOI, the LVT, self-IPIs through the ICR,
// the error status register and the timer (one-shot, periodic, TSC-deadline). The CPU polls
// has_interrupt()/acknowledge(); it forwards IA32_APIC_BASE (MSR 0x1B) and
// IA32_TSC_DEADLINE (MSR 0x6E0) here. docs/devices/lapic.md says what is modelled.
#include "dbt/plugin/device.h"

namespace keel::devices {

class LocalApic final : public Device, public TimerClient, public InterruptController, public ApicBus, public MsrHandler {
public:
    // Where the register page is after power-up or reset (SDM 10.4.4); software may move it.
    static constexpr u64 reset_base = 0xFEE00000;
    static constexpr u64 mmio_size = 0x1000;
    // The timer's input before the divide configuration (SDM 10.5.4 calls it the bus or core
    // crystal clock; the rate is model specific). 1 GHz: one tick per nanosecond at divide-by-1.
    static constexpr u64 bus_hz = 1000000000;
    // The shortest interval between two periodic timer interrupts (timer_expired).
    static constexpr u64 min_periodic_interrupt_ns = 100000;
    static constexpr u8 state_version = 2;

    // The LVT entries, in register order from 0x320 (CMCI at 0x2F0 is kept last).
    enum Lvt : unsigned { LvtTimer, LvtThermal, LvtPerf, LvtLint0, LvtLint1, LvtError, LvtCmci, lvt_count };
    enum TimerMode : u32 { OneShot = 0, Periodic = 1, TscDeadline = 2 };


    // `machine` moves the register page when IA32_APIC_BASE relocates it.
    LocalApic(MachineServices& machine, u32 apic_id, u64 tsc_hz);
    ~LocalApic() override;

    const char* name() const override { return "lapic"; }
    void reset() override;
    void save(StateWriter& out) const override;
    Result<void> restore(StateReader& in) override;

    // `offset` is relative to the page's base; only aligned 32-bit accesses reach a register.
    u64 mmio_read(u64 offset, unsigned size) override;
    void mmio_write(u64 offset, u64 value, unsigned size) override;

    // An interrupt message or local interrupt with fixed delivery (IOAPIC, LINT pins, the
    // LVT, IPIs): sets the IRR bit, and the TMR bit when level-triggered (SDM 10.8.4).
    void accept(u8 vector, bool level);

    // The CPU side (SDM 10.8.3, 10.8.4): an IRR vector whose priority class is above the
    // PPR's; acknowledge() moves it to the ISR, or returns the spurious vector (SDM 10.9).
    bool has_interrupt() const override;
    u8 acknowledge() override;

    // The APIC bus side: the IOAPIC's messages, and the EOI of a level-triggered vector
    // (TMR bit set) reported back for its remote IRR.
    void deliver(u8 vector, u8 delivery_mode, u8 destination, bool logical, bool level) override;
    void set_eoi_listener(EoiListener listener, void* context) override { m_eoi_listener = listener, m_eoi_context = context; }
    ApicBus* apic_bus() override { return this; }

    // IA32_APIC_BASE (SDM 10.4.4): the register page's base (bits 12-35; a new base moves
    // the page, SDM 10.4.5), BSP (bit 8), global enable (bit 11). The write returns false
    // when the CPU must raise #GP (reserved bits, or x2APIC enable, which this model does
    // not offer).
    u64 apic_base_msr() const;
    bool write_apic_base_msr(u64 value);

    // IA32_TSC_DEADLINE (SDM 10.5.4.1); reads 0 and ignores writes outside TSC-deadline mode.
    void write_tsc_deadline(u64 tsc);
    u64 read_tsc_deadline() const { return m_s.tsc_deadline; }
    // The CPU's time-stamp counter at virtual time `ns` (TSC = ns * tsc_hz / 1e9).
    u64 tsc_at(u64 ns) const;

    void timer_expired(u32 id, u64 now_ns) override;

    // MsrHandler: IA32_APIC_BASE and IA32_TSC_DEADLINE for RDMSR/WRMSR.
    static constexpr u32 msr_apic_base = 0x1B, msr_tsc_deadline = 0x6E0;
    MsrAccess msr_read(u32 index, u64& value) override;
    MsrAccess msr_write(u32 index, u64 value) override;

    // For the monitor's `info lapic`.
    struct TimerState {
        TimerMode mode;
        bool masked;
        bool armed;       // a deadline is set on the virtual clock
        u32 initial_count;
        u32 current_count;
        u32 divisor;      // 1..128
        u64 deadline_ns;  // valid when armed
        u64 tsc_deadline;
    };
    u32 id() const { return m_s.id; }
    u64 base() const { return m_s.base; }
    u32 irr(unsigned word) const { return m_s.irr[word]; }
    u32 isr(unsigned word) const { return m_s.isr[word]; }
    u32 tmr(unsigned word) const { return m_s.tmr[word]; }
    u32 tpr() const { return m_s.tpr; }
    u32 ppr() const;
    u32 apr() const;
    u32 svr() const { return m_s.svr; }
    u32 lvt(Lvt which) const { return m_s.lvt[which]; }
    u32 esr() const { return m_s.esr; }
    u64 icr() const { return (static_cast<u64>(m_s.icr_high) << 32) | m_s.icr_low; }
    bool hardware_enabled() const { return m_s.hw_enabled; }
    bool software_enabled() const { return m_s.svr & 0x100; }
    TimerState timer_state() const;
    // `info lapic`, close to QEMU's layout.
    void describe(StringBuilder& out) const override;

private:
    u32 read_register(u32 reg);
    void write_register(u32 reg, u32 value);
    void write_lvt(Lvt which, u32 value);
    void write_svr(u32 value);
    void eoi();
    void send_ipi();
    bool addressed(u32 dest, bool logical) const;
    void signal_error(u32 bit);
    void deliver_local(Lvt which);

    // Timer (SDM 10.5.4).
    TimerMode timer_mode() const;
    u32 divisor() const;
    u32 current_count() const;
    void start_countdown(u32 count, u64 start_ns);
    void stop_timer();
    void arm_timer(u64 deadline_ns);
    // The registers' power-up values (10.4.7.1), the page's base left where it is.
    void reset_registers();
    bool move_page(u64 new_base);

    // Guest-visible state: save() writes all of it, restore() validates a copy first.
    struct State {
        bool hw_enabled = true; // IA32_APIC_BASE bit 11
        u64 base = reset_base;  // IA32_APIC_BASE bits 12-35
        u32 id = 0, tpr = 0, ldr = 0, dfr = 0xFFFFFFFF, svr = 0xFF;
        u32 lvt[lvt_count] = {};
        u32 esr = 0;          // the ESR as software reads it
        u32 esr_pending = 0;  // errors since the last ESR write (SDM 10.5.3)
        u32 icr_low = 0, icr_high = 0;
        u32 irr[8] = {}, isr[8] = {}, tmr[8] = {};
        u32 timer_initial = 0, timer_dcr = 0;
        u32 count_at_start = 0;  // the current count when the countdown (re)started
        u64 count_start_ns = 0;  // when it (re)started
        bool timer_armed = false;
        u64 timer_deadline = 0;  // ns on the virtual clock, valid when armed
        u64 tsc_deadline = 0;    // IA32_TSC_DEADLINE
    };
    static Result<void> validate(const State& s);

    MachineServices& m_machine;
    VirtualClock& m_clock;
    u32 m_initial_id;
    u64 m_tsc_hz;
    EoiListener m_eoi_listener = nullptr;
    void* m_eoi_context = nullptr;
    State m_s;
};

} // namespace keel::devices
