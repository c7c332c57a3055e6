#include "plugins/devices/lapic/lapic.h"
#include "dbt/base/log.h"

// Section numbers are those of the Intel SDM vol. 3A, chapter 10.
namespace keel::devices {
namespace {

// Register offsets (table 10-1).
enum : u32 {
    ID = 0x20, VERSION = 0x30, TPR = 0x80, APR = 0x90, PPR = 0xA0, EOI = 0xB0, RRD = 0xC0,
    LDR = 0xD0, DFR = 0xE0, SVR = 0xF0, ISR = 0x100, TMR = 0x180, IRR = 0x200, ESR = 0x280,
    LVT_CMCI = 0x2F0, ICR_LOW = 0x300, ICR_HIGH = 0x310, LVT_TIMER = 0x320, LVT_ERROR = 0x370,
    TIMER_INITIAL = 0x380, TIMER_CURRENT = 0x390, TIMER_DCR = 0x3E0,
};

// 10.4.8: version 0x14 (integrated APIC), max LVT entry 5 (six entries; the CMCI entry,
// which would make it 6, is present but not advertised), no EOI-broadcast suppression.
constexpr u32 version_value = 0x00050014;
constexpr u32 lvt_masked = 1u << 16;
// ESR bits (figure 10-9).
constexpr u32 esr_send_illegal_vector = 1u << 5, esr_receive_illegal_vector = 1u << 6;
constexpr u32 esr_illegal_register = 1u << 7;

// Writable bits of each LVT entry (figure 10-8): vector, delivery mode, pin polarity,
// trigger mode, mask, timer mode. Delivery status (12) and remote IRR (14) read 0.
constexpr u32 lvt_writable[LocalApic::lvt_count] = {
    0x000700FF, // timer: vector, mask, mode (bits 17-18)
    0x000107FF, // thermal
    0x000107FF, // performance counters
    0x0001A7FF, // LINT0
    0x0001A7FF, // LINT1
    0x000100FF, // error
    0x000107FF, // CMCI
};
constexpr u32 icr_low_writable = 0x000CCFFF; // no delivery status (12), bits 16-17, 20-31

// The highest vector set in a 256-bit IRR/ISR, or -1.
int highest(const u32 (&bits)[8])
{
    for (int w = 7; w >= 0; --w)
        if (bits[w])
            return w * 32 + 31 - __builtin_clz(bits[w]);
    return -1;
}
bool test(const u32 (&bits)[8], u8 v) { return bits[v / 32] & (1u << (v % 32)); }
void set(u32 (&bits)[8], u8 v) { bits[v / 32] |= 1u << (v % 32); }
void clear(u32 (&bits)[8], u8 v) { bits[v / 32] &= ~(1u << (v % 32)); }

} // namespace

LocalApic::LocalApic(MachineServices& machine, u32 apic_id, u64 tsc_hz)
    : m_machine(machine), m_clock(machine.clock()), m_initial_id(apic_id), m_tsc_hz(tsc_hz)
{
    reset_registers();
}

LocalApic::~LocalApic() { m_clock.cancel(this, 0); }

// A hardware reset also puts the register page back at 0xFEE00000 (10.4.4).
void LocalApic::reset()
{
    reset_registers();
    move_page(reset_base);
}

// 10.4.7.1: IRR, ISR, TMR, ICR, LDR, TPR, timer counts and divide configuration zero; DFR
// all ones; LVT entries masked; SVR 0xFF (software disabled); ID the hardware ID.
void LocalApic::reset_registers()
{
    m_clock.cancel(this, 0);
    u64 base = m_s.base;
    m_s = State {};
    m_s.base = base;
    m_s.id = m_initial_id << 24;
    for (u32& e : m_s.lvt)
        e = lvt_masked;
}

bool LocalApic::move_page(u64 new_base)
{
    if (new_base == m_s.base)
        return true;
    if (!m_machine.move_mmio_window(this, m_s.base, new_base))
        return false;
    m_s.base = new_base;
    return true;
}

// ---- Priorities and delivery -----------------------------------------------------------

// 10.8.3.1: PPR is TPR when TPR's class is at least that of the highest in-service vector.
u32 LocalApic::ppr() const
{
    int isrv = highest(m_s.isr);
    u32 isr_class = isrv < 0 ? 0 : static_cast<u32>(isrv) & 0xF0;
    return (m_s.tpr & 0xF0) >= isr_class ? m_s.tpr : isr_class;
}

// 10.6.2.4 (lowest-priority arbitration), as the SDM writes it.
u32 LocalApic::apr() const
{
    int isrv = highest(m_s.isr), irrv = highest(m_s.irr);
    u32 tpr = m_s.tpr >> 4, isr_class = isrv < 0 ? 0 : isrv >> 4, irr_class = irrv < 0 ? 0 : irrv >> 4;
    if (tpr >= irr_class && tpr > isr_class)
        return m_s.tpr;
    u32 a = tpr & isr_class;
    return (a > irr_class ? a : irr_class) << 4;
}

void LocalApic::accept(u8 vector, bool level)
{
    // 10.4.7.2: a software-disabled APIC takes only NMI, SMI, INIT and SIPI (not modelled).
    if (!m_s.hw_enabled || !software_enabled())
        return;
    if (vector < 16) { // 10.5.3: vectors 0-15 are illegal and never reach the IRR
        signal_error(esr_receive_illegal_vector);
        return;
    }
    set(m_s.irr, vector);
    level ? set(m_s.tmr, vector) : clear(m_s.tmr, vector); // 10.8.4
}

// 10.8.3.1: only a priority class above the processor priority class is delivered.
bool LocalApic::has_interrupt() const
{
    int irrv = highest(m_s.irr);
    return m_s.hw_enabled && irrv >= 0 && (static_cast<u32>(irrv) >> 4) > (ppr() >> 4);
}

u8 LocalApic::acknowledge()
{
    if (!has_interrupt()) // 10.9: spurious interrupt, no ISR bit set, no EOI expected
        return static_cast<u8>(m_s.svr);
    u8 v = static_cast<u8>(highest(m_s.irr));
    clear(m_s.irr, v);
    set(m_s.isr, v);
    return v;
}

// 10.8.5: EOI retires the highest in-service vector; a level-triggered one is broadcast.
void LocalApic::eoi()
{
    int v = highest(m_s.isr);
    if (v < 0)
        return;
    clear(m_s.isr, static_cast<u8>(v));
    if (test(m_s.tmr, static_cast<u8>(v)) && m_eoi_listener)
        m_eoi_listener(m_eoi_context, static_cast<u8>(v));
}

// 10.5.1: a local interrupt source delivers its LVT vector (fixed mode) unless masked.
void LocalApic::deliver_local(Lvt which)
{
    u32 e = m_s.lvt[which];
    if (!(e & lvt_masked))
        accept(static_cast<u8>(e), false);
}

// 10.5.3: errors collect until the next ESR write and raise the error LVT interrupt.
void LocalApic::signal_error(u32 bit)
{
    m_s.esr_pending |= bit;
    u32 e = m_s.lvt[LvtError];
    if (e & lvt_masked || !software_enabled())
        return;
    if ((e & 0xFF) < 16)
        m_s.esr_pending |= esr_receive_illegal_vector; // and no interrupt (no recursion)
    else
        accept(static_cast<u8>(e), false);
}

// 10.6.2: whether a message for `dest` in physical or logical destination mode reaches
// this APIC (0xFF is a broadcast in both).
bool LocalApic::addressed(u32 dest, bool logical) const
{
    if (dest == 0xFF)
        return true; // 10.6.2.1, 10.6.2.2
    if (!logical)
        return dest == m_s.id >> 24;
    if ((m_s.dfr >> 28) == 0xF)
        return (dest & (m_s.ldr >> 24)) != 0; // flat model
    u32 ldr = m_s.ldr >> 24;                  // cluster model
    return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xF) != 0;
}

// 10.6.1: only fixed and lowest-priority IPIs to this CPU are delivered (a single-CPU
// machine); INIT, SIPI, NMI, SMI and IPIs to other APICs stay in the ICR for the monitor.
void LocalApic::send_ipi()
{
    u32 lo = m_s.icr_low, mode = (lo >> 8) & 7, dest = m_s.icr_high >> 24;
    bool to_self;
    switch ((lo >> 18) & 3) { // destination shorthand
    case 1: to_self = true; break;                                  // self
    case 2: to_self = true; break;                                  // all including self
    case 3: to_self = false; break;                                 // all excluding self
    default: to_self = addressed(dest, lo & (1u << 11)); break;
    }
    if (mode > 1) {
        KEEL_LOG(GuestErrors, "lapic: IPI delivery mode %u not modelled (ICR %#x)\n", mode, lo);
        return;
    }
    u8 vector = static_cast<u8>(lo);
    if (vector < 16)
        signal_error(esr_send_illegal_vector);
    if (to_self)
        accept(vector, false); // 10.6.1: IPIs are edge (trigger mode is for INIT de-assert)
}

// A message from the IOAPIC (10.11 message format; on one CPU, lowest priority is this
// CPU). accept() applies the enable bits and the illegal-vector rule; modes other than
// fixed and lowest priority are not modelled and are logged.
void LocalApic::deliver(u8 vector, u8 delivery_mode, u8 destination, bool logical, bool level)
{
    if (!addressed(destination, logical))
        return;
    if (delivery_mode > 1) {
        KEEL_LOG(GuestErrors, "lapic: IOAPIC delivery mode %u not modelled (vector %#x)\n", delivery_mode, vector);
        return;
    }
    accept(vector, level);
}

// ---- Registers -------------------------------------------------------------------------

void LocalApic::write_lvt(Lvt which, u32 value)
{
    value &= lvt_writable[which];
    if (!software_enabled()) // 10.4.7.2: mask bits stay set while software disabled
        value |= lvt_masked;
    if (which == LvtTimer) {
        // 10.5.4.1: moving into or out of TSC-deadline mode disarms the timer.
        u32 old_mode = (m_s.lvt[LvtTimer] >> 17) & 3, new_mode = (value >> 17) & 3;
        if ((old_mode == TscDeadline) != (new_mode == TscDeadline)) {
            stop_timer();
            m_s.timer_initial = 0;
            m_s.tsc_deadline = 0;
        }
    }
    m_s.lvt[which] = value;
}

void LocalApic::write_svr(u32 value)
{
    m_s.svr = value & 0x3FF; // vector, APIC software enable (8), focus checking (9)
    if (!software_enabled())
        for (u32& e : m_s.lvt)
            e |= lvt_masked;
}

u32 LocalApic::read_register(u32 reg)
{
    if (reg >= ISR && reg < ISR + 0x80)
        return m_s.isr[(reg - ISR) / 16];
    if (reg >= TMR && reg < TMR + 0x80)
        return m_s.tmr[(reg - TMR) / 16];
    if (reg >= IRR && reg < IRR + 0x80)
        return m_s.irr[(reg - IRR) / 16];
    if (reg >= LVT_TIMER && reg <= LVT_ERROR)
        return m_s.lvt[(reg - LVT_TIMER) / 16];
    switch (reg) {
    case ID: return m_s.id;
    case VERSION: return version_value;
    case TPR: return m_s.tpr;
    case APR: return apr();
    case PPR: return ppr();
    case EOI: return 0;  // write-only
    case RRD: return 0;  // remote read not supported (10.6.1, delivery mode 011)
    case LDR: return m_s.ldr;
    case DFR: return m_s.dfr;
    case SVR: return m_s.svr;
    case ESR: return m_s.esr;
    case LVT_CMCI: return m_s.lvt[LvtCmci];
    case ICR_LOW: return m_s.icr_low; // delivery status: always idle
    case ICR_HIGH: return m_s.icr_high;
    case TIMER_INITIAL: return m_s.timer_initial;
    case TIMER_CURRENT: return current_count();
    case TIMER_DCR: return m_s.timer_dcr;
    default:
        signal_error(esr_illegal_register);
        return 0;
    }
}

void LocalApic::write_register(u32 reg, u32 value)
{
    if (reg >= LVT_TIMER && reg <= LVT_ERROR)
        return write_lvt(static_cast<Lvt>((reg - LVT_TIMER) / 16), value);
    switch (reg) {
    case ID: m_s.id = value & 0xFF000000; break; // 10.4.6: writable on this model
    case TPR: m_s.tpr = value & 0xFF; break;
    case EOI: eoi(); break;
    case LDR: m_s.ldr = value & 0xFF000000; break;
    case DFR: m_s.dfr = value | 0x0FFFFFFF; break;
    case SVR: write_svr(value); break;
    case ESR: // 10.5.3: a write latches the errors seen since the previous write
        m_s.esr = m_s.esr_pending;
        m_s.esr_pending = 0;
        break;
    case LVT_CMCI: write_lvt(LvtCmci, value); break;
    case ICR_LOW:
        m_s.icr_low = value & icr_low_writable;
        send_ipi();
        break;
    case ICR_HIGH: m_s.icr_high = value & 0xFF000000; break;
    case TIMER_INITIAL:
        if (timer_mode() == TscDeadline) // 10.5.4.1: ignored in TSC-deadline mode
            break;
        m_s.timer_initial = value;
        start_countdown(value, m_clock.now_ns()); // 10.5.4: zero stops the timer
        break;
    case TIMER_DCR: {
        // Keep the current count and count the rest at the new rate.
        u64 now = m_clock.now_ns();
        bool restart = m_s.timer_armed && timer_mode() != TscDeadline && now < m_s.timer_deadline;
        u32 count = restart ? current_count() : 0;
        m_s.timer_dcr = value & 0xB;
        if (restart)
            start_countdown(count, now);
        break;
    }
    case VERSION: case APR: case PPR: case RRD: case TIMER_CURRENT: break; // read-only
    default:
        if ((reg >= ISR && reg < IRR + 0x80))
            break; // ISR, TMR, IRR: read-only
        signal_error(esr_illegal_register);
    }
}

// 10.4.1: registers are 32 bits wide on 16-byte boundaries; other accesses are model
// specific: here they read 0 and are ignored. A hardware-disabled APIC (10.4.3) does not
// decode its page, so accesses fall to the empty bus.
u64 LocalApic::mmio_read(u64 offset, unsigned size)
{
    if (!m_s.hw_enabled)
        return Device::mmio_read(offset, size);
    if (size != 4 || (offset & 0xF) || offset >= mmio_size) {
        KEEL_LOG(GuestErrors, "lapic: %u-byte read at %#llx\n", size, static_cast<unsigned long long>(offset));
        return 0;
    }
    return read_register(static_cast<u32>(offset));
}

void LocalApic::mmio_write(u64 offset, u64 value, unsigned size)
{
    if (!m_s.hw_enabled)
        return;
    if (size != 4 || (offset & 0xF) || offset >= mmio_size) {
        KEEL_LOG(GuestErrors, "lapic: %u-byte write at %#llx\n", size, static_cast<unsigned long long>(offset));
        return;
    }
    write_register(static_cast<u32>(offset), static_cast<u32>(value));
}

// ---- IA32_APIC_BASE (10.4.4) -----------------------------------------------------------

u64 LocalApic::apic_base_msr() const
{
    return m_s.base | (1u << 8) | (m_s.hw_enabled ? 1u << 11 : 0);
}

bool LocalApic::write_apic_base_msr(u64 value)
{
    // Bits 0-7, 9, 10 (x2APIC: not offered) and those above a 36-bit MAXPHYADDR are reserved.
    if (value & (0xFFFFFFF000000000ull | 0x6FF))
        return false;
    // 10.4.5: the register page moves to the new base; accesses there reach the APIC from the
    // next instruction on, whatever memory lay there.
    if (!move_page(value & 0xFFFFFF000ull))
        return false;
    bool enable = value & (1u << 11);
    if (!enable && m_s.hw_enabled) {
        // 10.4.3: clearing the global enable may return the APIC to its power-up state.
        reset_registers();
        m_s.hw_enabled = false;
    } else if (enable) {
        m_s.hw_enabled = true;
    }
    return true;
}

MsrAccess LocalApic::msr_read(u32 index, u64& value)
{
    if (index == msr_apic_base)
        value = apic_base_msr();
    else if (index == msr_tsc_deadline)
        value = read_tsc_deadline();
    else
        return MsrAccess::NotMine;
    return MsrAccess::Done;
}

MsrAccess LocalApic::msr_write(u32 index, u64 value)
{
    if (index == msr_apic_base)
        return write_apic_base_msr(value) ? MsrAccess::Done : MsrAccess::Fault;
    if (index == msr_tsc_deadline) {
        write_tsc_deadline(value);
        return MsrAccess::Done;
    }
    return MsrAccess::NotMine;
}

// ---- Timer (10.5.4) --------------------------------------------------------------------

LocalApic::TimerMode LocalApic::timer_mode() const
{
    u32 m = (m_s.lvt[LvtTimer] >> 17) & 3;
    return m == 3 ? OneShot : static_cast<TimerMode>(m); // 11b is reserved: treated as one-shot
}

// Figure 10-10: bits 0, 1 and 3 select divide by 2, 4, ..., 128, or 1 (111b).
u32 LocalApic::divisor() const
{
    u32 v = (m_s.timer_dcr & 3) | ((m_s.timer_dcr >> 1) & 4);
    return v == 7 ? 1 : 2u << v;
}

u32 LocalApic::current_count() const
{
    if (!m_s.timer_armed || timer_mode() == TscDeadline) // 10.5.4.1: reads 0 in TSC-deadline mode
        return 0;
    u64 ticks = (m_clock.now_ns() - m_s.count_start_ns) * bus_hz / 1000000000 / divisor();
    if (ticks < m_s.count_at_start)
        return static_cast<u32>(m_s.count_at_start - ticks);
    // Past the deadline before the clock ran the callback: periodic mode has reloaded.
    if (timer_mode() == Periodic && m_s.timer_initial)
        return static_cast<u32>(m_s.timer_initial - (ticks - m_s.count_at_start) % m_s.timer_initial);
    return 0;
}

void LocalApic::arm_timer(u64 deadline_ns)
{
    m_s.timer_armed = true;
    m_s.timer_deadline = deadline_ns;
    m_clock.arm(this, 0, deadline_ns);
}

void LocalApic::stop_timer()
{
    m_s.timer_armed = false;
    m_s.timer_deadline = 0;
    m_clock.cancel(this, 0);
}

void LocalApic::start_countdown(u32 count, u64 start_ns)
{
    m_s.count_at_start = count;
    m_s.count_start_ns = start_ns;
    if (count == 0)
        return stop_timer();
    arm_timer(start_ns + static_cast<u64>(count) * divisor() * 1000000000 / bus_hz);
}

void LocalApic::timer_expired(u32, u64 now_ns)
{
    if (!m_s.timer_armed)
        return;
    u64 deadline = m_s.timer_deadline;
    if (timer_mode() == TscDeadline) {
        m_s.tsc_deadline = 0; // 10.5.4.1: the MSR clears when the timer fires
        stop_timer();
    } else if (timer_mode() == Periodic && m_s.timer_initial) {
        // Reload from the deadline, not from now: no drift. Periods the clock skipped
        // over are coalesced (the IRR holds one interrupt per vector anyway).
        u64 period = static_cast<u64>(m_s.timer_initial) * divisor() * 1000000000 / bus_hz;
        // Interrupts come at most every min_periodic_interrupt_ns, as KVM clamps a
        // periodic LAPIC timer (its min_timer_period_us): an initial count of 1 at
        // divide-by-1 asks for one interrupt per nanosecond, which no host can deliver
        // and which would keep keel firing timers instead of running the guest. The
        // count a guest reads still runs at the programmed rate.
        u64 step = period < min_periodic_interrupt_ns ? (min_periodic_interrupt_ns + period - 1) / period * period : period;
        u64 next = deadline + step;
        if (next <= now_ns)
            next += (now_ns - next) / step * step + step;
        // The count reloaded at every period boundary on the way; it starts from the
        // last one (current_count() folds the reloads up to the next interrupt).
        m_s.count_at_start = m_s.timer_initial;
        m_s.count_start_ns = deadline + (now_ns - deadline) / period * period;
        arm_timer(next);
    } else {
        stop_timer();
    }
    deliver_local(LvtTimer); // 10.5.4: a masked timer counts but does not interrupt
}

u64 LocalApic::tsc_at(u64 ns) const
{
    // ns * hz / 1e9 without 128-bit division (no libgcc in the kernel): exact while
    // 1e9 * hz fits in 64 bits, i.e. for TSCs below 18 GHz.
    constexpr u64 second = 1000000000;
    return ns / second * m_tsc_hz + ns % second * m_tsc_hz / second;
}

void LocalApic::write_tsc_deadline(u64 tsc)
{
    if (!m_s.hw_enabled || timer_mode() != TscDeadline)
        return; // 10.5.4.1: writes are ignored in the other modes
    m_s.tsc_deadline = tsc;
    if (tsc == 0)
        return stop_timer(); // zero disarms
    u64 now = m_clock.now_ns();
    if (tsc_at(now) >= tsc) { // already passed: fires at once
        m_s.tsc_deadline = 0;
        stop_timer();
        deliver_local(LvtTimer);
        return;
    }
    // The first nanosecond at which the TSC reaches the deadline: ceil(tsc * 1e9 / hz).
    constexpr u64 second = 1000000000;
    u64 whole = tsc / m_tsc_hz;
    u64 ns = ~0ull;
    if (whole < ~0ull / second) // beyond that the deadline is centuries away: never
        ns = whole * second + (tsc % m_tsc_hz * second + m_tsc_hz - 1) / m_tsc_hz;
    arm_timer(ns);
}

LocalApic::TimerState LocalApic::timer_state() const
{
    return { timer_mode(), (m_s.lvt[LvtTimer] & lvt_masked) != 0, m_s.timer_armed, m_s.timer_initial,
             current_count(), divisor(), m_s.timer_deadline, m_s.tsc_deadline };
}

// ---- State -----------------------------------------------------------------------------
// Version byte, payload length (u16), then the State fields in declaration order.

namespace {
constexpr u16 state_size = 1 + 8 + 4 * (5 + LocalApic::lvt_count + 4 + 24 + 3) + 8 + 1 + 8 + 8;
} // namespace

void LocalApic::save(StateWriter& out) const
{
    out.write_u8(state_version);
    out.write_u16(state_size);
    out.write_bool(m_s.hw_enabled);
    out.write_u64(m_s.base);
    for (u32 v : { m_s.id, m_s.tpr, m_s.ldr, m_s.dfr, m_s.svr })
        out.write_u32(v);
    for (u32 v : m_s.lvt)
        out.write_u32(v);
    for (u32 v : { m_s.esr, m_s.esr_pending, m_s.icr_low, m_s.icr_high })
        out.write_u32(v);
    for (const u32* a : { m_s.irr, m_s.isr, m_s.tmr })
        for (unsigned i = 0; i < 8; ++i)
            out.write_u32(a[i]);
    for (u32 v : { m_s.timer_initial, m_s.timer_dcr, m_s.count_at_start })
        out.write_u32(v);
    out.write_u64(m_s.count_start_ns);
    out.write_bool(m_s.timer_armed);
    out.write_u64(m_s.timer_deadline);
    out.write_u64(m_s.tsc_deadline);
}

Result<void> LocalApic::restore(StateReader& in)
{
    u8 version = TRY(in.read_u8());
    if (version != state_version)
        return Error::formatted("lapic state: version %u, expected %u", version, state_version);
    u16 size = TRY(in.read_u16());
    if (size != state_size)
        return Error::formatted("lapic state: %u bytes, expected %u", size, state_size);
    State s;
    s.hw_enabled = TRY(in.read_bool());
    s.base = TRY(in.read_u64());
    for (u32* p : { &s.id, &s.tpr, &s.ldr, &s.dfr, &s.svr })
        *p = TRY(in.read_u32());
    for (u32& v : s.lvt)
        v = TRY(in.read_u32());
    for (u32* p : { &s.esr, &s.esr_pending, &s.icr_low, &s.icr_high })
        *p = TRY(in.read_u32());
    for (u32* a : { s.irr, s.isr, s.tmr })
        for (unsigned i = 0; i < 8; ++i)
            a[i] = TRY(in.read_u32());
    for (u32* p : { &s.timer_initial, &s.timer_dcr, &s.count_at_start })
        *p = TRY(in.read_u32());
    s.count_start_ns = TRY(in.read_u64());
    s.timer_armed = TRY(in.read_bool());
    s.timer_deadline = TRY(in.read_u64());
    s.tsc_deadline = TRY(in.read_u64());
    TRY(validate(s));
    if (!move_page(s.base))
        return Error::formatted("lapic state: the register page cannot move to 0x%llx", (unsigned long long)s.base);

    m_clock.cancel(this, 0);
    m_s = s;
    if (m_s.timer_armed)
        m_clock.arm(this, 0, m_s.timer_deadline);
    return {};
}

// Only what the registers could hold: bits outside the writable masks, vectors 0-15 in
// the IRR/ISR/TMR, and a timer armed against nothing are refused.
Result<void> LocalApic::validate(const State& s)
{
    if ((s.id | s.ldr | s.icr_high) & 0x00FFFFFF || s.tpr > 0xFF || (s.dfr & 0x0FFFFFFF) != 0x0FFFFFFF
        || s.svr > 0x3FF || s.base & ~0xFFFFFF000ull || s.icr_low & ~icr_low_writable || s.timer_dcr & ~0xBu || (s.esr | s.esr_pending) & ~0xFFu)
        return Error::from_string("lapic state: register values out of range");
    for (unsigned i = 0; i < lvt_count; ++i)
        if (s.lvt[i] & ~lvt_writable[i] || (!(s.svr & 0x100) && !(s.lvt[i] & lvt_masked)))
            return Error::from_string("lapic state: LVT entry out of range");
    if ((s.irr[0] | s.isr[0] | s.tmr[0]) & 0xFFFF)
        return Error::from_string("lapic state: vectors 0-15 pending or in service");
    bool tsc_mode = ((s.lvt[LvtTimer] >> 17) & 3) == TscDeadline;
    if (s.timer_armed && (!s.hw_enabled || (tsc_mode ? s.tsc_deadline == 0 : s.count_at_start == 0)))
        return Error::from_string("lapic state: timer armed with nothing to count");
    return {};
}

void LocalApic::describe(StringBuilder& out) const
{
    static constexpr const char* lvt_names[lvt_count] = { "LVTT", "LVTTHMR", "LVTPC", "LVT0", "LVT1", "LVTERR", "LVTCMCI" };
    static constexpr const char* modes[] = { "one-shot", "periodic", "tsc-deadline" };
    out.append("dumping local APIC state for CPU %u (%s)\n\n", id() >> 24,
        !hardware_enabled() ? "hardware-disabled" : software_enabled() ? "enabled" : "software-disabled");
    for (unsigned i = 0; i < lvt_count; ++i)
        out.append("%-8s 0x%08x vector %u%s\n", lvt_names[i], lvt(static_cast<Lvt>(i)), lvt(static_cast<Lvt>(i)) & 0xFF,
            (lvt(static_cast<Lvt>(i)) & (1u << 16)) ? " (masked)" : "");
    TimerState t = timer_state();
    out.append("Timer    %s, initial count %u, current count %u, divide by %u%s\n", modes[static_cast<u32>(t.mode) < 3 ? static_cast<u32>(t.mode) : 0u],
        t.initial_count, t.current_count, t.divisor, t.armed ? ", armed" : "");
    out.append("SPIV     0x%08x  ESR 0x%08x  ICR 0x%016llx\n", svr(), esr(), static_cast<unsigned long long>(icr()));
    out.append("TPR 0x%02x APR 0x%02x PPR 0x%02x\n", tpr(), apr(), ppr());
    const char* names[3] = { "ISR", "TMR", "IRR" };
    for (unsigned r = 0; r < 3; ++r) {
        out.append("%s     ", names[r]);
        bool any = false;
        for (unsigned v = 0; v < 256; ++v) {
            u32 word = r == 0 ? isr(v / 32) : r == 1 ? tmr(v / 32) : irr(v / 32);
            if (word & (1u << (v % 32))) {
                out.append(" %u", v);
                any = true;
            }
        }
        out.append(any ? "\n" : " (none)\n");
    }
}

} // namespace keel::devices
