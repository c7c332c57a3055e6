#include "plugins/devices/pit8254/pit8254.h"

namespace keel::devices {
namespace {
constexpr u64 ns_per_s = 1000000000;
constexpr u32 irq0_timer = 0;
// Port B bit 4 toggles with each DRAM refresh request, which the PC BIOS has channel 1
// make every 18 CLKs (15.085 us); channel 1 is not modelled, so the toggle follows the grid.
constexpr u64 refresh_ticks = 18;

u32 from_bcd(u16 v) { return (v >> 12) * 1000 + ((v >> 8) & 15) * 100 + ((v >> 4) & 15) * 10 + (v & 15); }
u16 to_bcd(u32 v) { return static_cast<u16>((v / 1000 % 10) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10); }
} // namespace

// Split at whole seconds so that neither product overflows for any u64 time.
u64 Pit8254::ticks_at(u64 ns) { return ns / ns_per_s * clock_hz + ns % ns_per_s * clock_hz / ns_per_s; }
u64 Pit8254::tick_time(u64 tick) { return tick / clock_hz * ns_per_s + (tick % clock_hz * ns_per_s + clock_hz - 1) / clock_hz; }

// ---- One counter -------------------------------------------------------------------------
// A written count reaches CE on the next CLK edge (data sheet, "Mode definitions": "the
// count is loaded on the next CLK pulse"), so a count written at edge k starts at k + 1.

u32 Pit8254::Channel::cr_value() const
{
    // "Programming the 8254": 0 is the largest count, 2^16 in binary, 10^4 in BCD.
    u32 n = bcd ? from_bcd(cr) % 10000 : cr;
    return n ? n : modulus();
}

void Pit8254::Channel::fold(u64 k)
{
    if (next_load_tick != never && k >= next_load_tick) {
        start_tick = next_load_tick;
        period = next_period;
        next_load_tick = never;
    }
}

u32 Pit8254::Channel::ce(u64 k) const
{
    if (!running)
        return held_count;
    u64 e = k < start_tick ? 0 : k - start_tick;
    u32 m = modulus();
    switch (op_mode()) {
    case 2: // "Mode 2": N, N-1, ..., 1, then N again
        return (period - static_cast<u32>(e % period)) % m;
    case 3: { // "Mode 3": by twos; an odd N loses 1 after the high reload and 3 after the low one
        u32 n = period, p = static_cast<u32>(e % n), high = (n + 1) / 2;
        u32 q = p < high ? p : p - high;
        u32 v = (n & 1) && q ? (p < high ? n + 1 : n - 1) - 2 * q : n - 2 * q;
        return v % m;
    }
    default: // modes 0, 1, 4, 5 count down through 0 and wrap
        return static_cast<u32>((start_count + m - e % m) % m);
    }
}

bool Pit8254::Channel::out(u64 k) const
{
    if (!running)
        return held_out;
    u64 e = k < start_tick ? 0 : k - start_tick;
    u64 terminal = start_count ? start_count : modulus(); // edges until CE reaches 0
    switch (op_mode()) {
    case 0: case 1: return done || e >= terminal; // high at terminal count, until reloaded
    case 2: return e % period != period - 1;     // low while CE is 1
    case 3: return e % period < (period + 1) / 2; // high for the first (N+1)/2 edges
    default: return done || e != terminal;        // modes 4, 5: low for one CLK at 0
    }
}

u64 Pit8254::Channel::next_rising_edge(u64 k) const
{
    if (!running)
        return never;
    u64 terminal = start_count ? start_count : modulus();
    u64 t = never;
    switch (op_mode()) {
    case 0: case 1: t = done ? never : start_tick + terminal; break;
    case 2: case 3:
        if (period == 1) // OUT never changes (count 1 is illegal in these modes)
            return never;
        t = start_tick + (k < start_tick ? 1 : (k - start_tick) / period + 1) * period;
        break;
    default: t = done ? never : start_tick + terminal + 1; break;
    }
    return t != never && t > k ? t : never;
}

void Pit8254::Channel::pause(u64 k)
{
    u64 e = k < start_tick ? 0 : k - start_tick;
    u64 terminal = start_count ? start_count : modulus();
    held_count = ce(k);
    held_out = out(k);
    done = op_mode() <= 1 ? held_out : (done || e >= terminal);
    running = false;
}

void Pit8254::Channel::load(u64 k)
{
    u32 n = cr_value(), m = modulus();
    switch (op_mode()) {
    case 0: case 4: // "a new count written during counting is loaded on the next CLK"
        armed = true, done = false;
        start_tick = k + 1, start_count = n % m;
        held_count = n % m, held_out = op_mode() == 4;
        load_tick = k + 1;
        running = gate; // GATE low holds the count ("GATE = 0 disables counting")
        break;
    case 1: case 5: // the count waits in CR for the next trigger (GATE rising)
        armed = true;
        load_tick = never;
        break;
    default: // modes 2, 3
        if (armed && running && k >= start_tick) {
            // A new count during counting takes effect at the next reload (the end of the
            // current period; the data sheet has mode 3 switch at the half-cycle).
            next_load_tick = start_tick + ((k - start_tick) / period + 1) * period;
            next_period = n;
            load_tick = next_load_tick;
        } else {
            armed = true;
            running = gate, held_out = true;
            start_tick = k + 1, period = n;
            held_count = n % m, load_tick = k + 1; // GATE low: loaded, not counting
        }
        break;
    }
}

void Pit8254::Channel::control(u8 value, u64 k)
{
    // "Control Word Format": all control logic is reset; OUT low in mode 0, else high.
    fold(k);
    held_count = ce(k);
    mode = (value >> 1) & 7, access = (value >> 4) & 3, bcd = value & 1;
    held_count %= modulus();
    held_out = op_mode() != 0;
    running = armed = done = false;
    write_msb = read_msb = count_latched = status_latched = false;
    next_load_tick = load_tick = never;
}

void Pit8254::Channel::write(u8 value, u64 k)
{
    fold(k);
    if (access == 1) {
        cr = value; // "LSB only": the MSB is 0
    } else if (access == 2) {
        cr = static_cast<u16>(value << 8);
    } else if (!write_msb) {
        cr = static_cast<u16>((cr & 0xFF00) | value);
        write_msb = true;
        if (op_mode() == 0 && armed) { // "Mode 0": the first byte stops counting, OUT low
            if (running)
                pause(k);
            armed = false, held_out = false, done = false;
        }
        return;
    } else {
        cr = static_cast<u16>((cr & 0x00FF) | value << 8);
        write_msb = false;
    }
    load(k);
}

u8 Pit8254::Channel::read(u64 k)
{
    if (status_latched) { // "Read-Back Command": the status byte comes first
        status_latched = false;
        return status;
    }
    u16 v = count_latched ? latch : 0;
    if (!count_latched) {
        fold(k);
        v = bcd ? to_bcd(ce(k)) : static_cast<u16>(ce(k));
    }
    bool msb = access == 2 || (access == 3 && read_msb);
    if (access == 3)
        read_msb = !read_msb;
    if (access != 3 || !read_msb) // the latch holds until its last byte is read
        count_latched = false;
    return static_cast<u8>(msb ? v >> 8 : v);
}

void Pit8254::Channel::latch_count(u64 k)
{
    if (count_latched) // "Counter Latch Command": a second latch before reading is ignored
        return;
    fold(k);
    latch = bcd ? to_bcd(ce(k)) : static_cast<u16>(ce(k));
    count_latched = true;
}

void Pit8254::Channel::latch_status(u64 k)
{
    if (status_latched)
        return;
    fold(k);
    // "Status Byte": OUT, NULL COUNT, RW1-RW0, M2-M0, BCD.
    bool null_count = load_tick == never || k < load_tick;
    status = static_cast<u8>(out(k) << 7 | null_count << 6 | access << 4 | mode << 1 | bcd);
    status_latched = true;
}

void Pit8254::Channel::set_gate(bool level, u64 k)
{
    fold(k);
    if (level == gate)
        return;
    gate = level;
    if (!armed)
        return;
    switch (op_mode()) { // "Gate Pin Operations Summary"
    case 0: case 4: // low disables counting, high resumes it
        if (!level && running)
            pause(k);
        else if (level && !running)
            running = true, start_tick = k + 1, start_count = held_count;
        break;
    case 1: case 5: // a rising edge (re)triggers: CR to CE on the next CLK
        if (level) {
            running = true, done = false;
            start_tick = k + 1, start_count = cr_value() % modulus();
            load_tick = k + 1;
        }
        break;
    default: // modes 2, 3: low forces OUT high and stops; a rising edge reloads
        if (!level && running) {
            held_count = ce(k), held_out = true, running = false;
            next_load_tick = never;
        } else if (level) {
            running = true, start_tick = k + 1, period = cr_value();
            next_load_tick = never, load_tick = k + 1;
        }
        break;
    }
}

// ---- The device --------------------------------------------------------------------------

Pit8254::Pit8254(VirtualClock& clock, InterruptLine irq0) : m_clock(clock), m_irq0(irq0) { reset(); }

void Pit8254::reset()
{
    // The data sheet leaves the power-on state undefined: here each counter is as after a
    // mode 0 control word with no count written. GATE0/1 are tied high, GATE2 is port B bit 0.
    for (unsigned i = 0; i < 3; ++i) {
        m_channel[i] = Channel {};
        m_channel[i].gate = i != 2;
    }
    m_port_b = 0;
    m_clock.cancel(this, irq0_timer);
    m_irq_tick = never;
    m_line_level = false;
    m_irq0.lower();
}

void Pit8254::service_irq0(u64 k)
{
    Channel& c = m_channel[0];
    c.fold(k);
    // OUT0 follows the line in modes 0 and 1 (it stays high); in the periodic modes the
    // line gets one edge per rising edge of OUT0, which is all an edge-triggered IR0 sees.
    bool level_mode = c.op_mode() <= 1;
    if (m_irq_tick != never && m_irq_tick <= k) {
        m_irq_tick = never;
        if (!level_mode) {
            m_irq0.pulse();
            m_line_level = false;
        }
    }
    bool want = level_mode && c.out(k);
    if (want != m_line_level) {
        m_line_level = want;
        m_irq0.set(want);
    }
    u64 next = c.next_rising_edge(k);
    if (next == m_irq_tick)
        return;
    m_irq_tick = next;
    if (next == never)
        m_clock.cancel(this, irq0_timer);
    else
        m_clock.arm(this, irq0_timer, tick_time(next)); // on the CLK grid: no drift
}

void Pit8254::timer_expired(u32, u64 now_ns) { service_irq0(ticks_at(now_ns)); }

u32 Pit8254::count(unsigned channel)
{
    u64 k = now_tick();
    m_channel[channel].fold(k);
    return m_channel[channel].ce(k);
}

bool Pit8254::out(unsigned channel)
{
    u64 k = now_tick();
    m_channel[channel].fold(k);
    return m_channel[channel].out(k);
}

u32 Pit8254::io_read(u16 port, unsigned size)
{
    u32 high = size >= 4 ? 0xFFFFFF00u : ((1u << (8 * size)) - 1) & ~0xFFu; // 8-bit device
    u64 k = now_tick();
    if (port == port_b)
        return high | m_port_b | ((k / refresh_ticks) & 1) << 4 | out(2) << 5;
    unsigned i = static_cast<u16>(port - base);
    if (i >= 3) // the control word register cannot be read
        return high | 0xFF;
    return high | m_channel[i].read(k);
}

void Pit8254::io_write(u16 port, u32 value, unsigned)
{
    u8 v = static_cast<u8>(value);
    u64 k = now_tick();
    if (port == port_b) { // bits 7-4 are status, read-only
        m_port_b = v & 0x0F;
        m_channel[2].set_gate(v & 1, k);
        return;
    }
    unsigned i = static_cast<u16>(port - base);
    if (i >= port_count)
        return;
    service_irq0(k); // an edge that was due goes out under the old programming
    if (i < 3) {
        m_channel[i].write(v, k);
    } else if ((v >> 6) == 3) { // "Read-Back Command": bit 5 = !COUNT, bit 4 = !STATUS
        for (unsigned c = 0; c < 3; ++c) {
            if (!(v & (2 << c)))
                continue;
            if (!(v & 0x20))
                m_channel[c].latch_count(k);
            if (!(v & 0x10))
                m_channel[c].latch_status(k);
        }
    } else if (((v >> 4) & 3) == 0) {
        m_channel[v >> 6].latch_count(k);
    } else {
        m_channel[v >> 6].control(v, k);
    }
    service_irq0(k);
}

// ---- State ------------------------------------------------------------------------------
// Version byte, payload length (u16), then per channel the fields below in order, then port
// B, the IRQ0 line level and the tick the IRQ0 timer is armed for. Ticks are absolute CLK
// edges of virtual time, so the state is valid against the same clock.

namespace {
constexpr u16 channel_state_size = 57;
constexpr u16 state_size = 3 * channel_state_size + 10;

void save_channel(StateWriter& out, const Pit8254::Channel& c)
{
    out.write_u8(c.mode), out.write_u8(c.access), out.write_bool(c.bcd), out.write_u16(c.cr);
    out.write_bool(c.write_msb), out.write_bool(c.read_msb);
    out.write_bool(c.count_latched), out.write_u16(c.latch);
    out.write_bool(c.status_latched), out.write_u8(c.status);
    out.write_bool(c.gate), out.write_bool(c.armed), out.write_bool(c.running);
    out.write_u64(c.start_tick), out.write_u32(c.start_count), out.write_u32(c.period);
    out.write_bool(c.done), out.write_u32(c.held_count), out.write_bool(c.held_out);
    out.write_u64(c.next_load_tick), out.write_u32(c.next_period), out.write_u64(c.load_tick);
}

Result<void> restore_channel(StateReader& in, Pit8254::Channel& c, unsigned i)
{
    c.mode = TRY(in.read_u8()), c.access = TRY(in.read_u8()), c.bcd = TRY(in.read_bool());
    c.cr = TRY(in.read_u16());
    c.write_msb = TRY(in.read_bool()), c.read_msb = TRY(in.read_bool());
    c.count_latched = TRY(in.read_bool()), c.latch = TRY(in.read_u16());
    c.status_latched = TRY(in.read_bool()), c.status = TRY(in.read_u8());
    c.gate = TRY(in.read_bool()), c.armed = TRY(in.read_bool()), c.running = TRY(in.read_bool());
    c.start_tick = TRY(in.read_u64()), c.start_count = TRY(in.read_u32()), c.period = TRY(in.read_u32());
    c.done = TRY(in.read_bool()), c.held_count = TRY(in.read_u32()), c.held_out = TRY(in.read_bool());
    c.next_load_tick = TRY(in.read_u64()), c.next_period = TRY(in.read_u32()), c.load_tick = TRY(in.read_u64());
    u32 m = c.modulus();
    if (c.mode > 7 || c.access < 1 || c.access > 3)
        return Error::formatted("pit8254 state: channel %u mode %u, access %u out of range", i, c.mode, c.access);
    if (c.start_count >= m || c.held_count >= m || c.period < 1 || c.period > m || c.next_period < 1 || c.next_period > m)
        return Error::formatted("pit8254 state: channel %u counts out of range", i);
    return {};
}
} // namespace

void Pit8254::save(StateWriter& out) const
{
    out.write_u8(state_version);
    out.write_u16(state_size);
    for (const Channel& c : m_channel)
        save_channel(out, c);
    out.write_u8(m_port_b);
    out.write_bool(m_line_level);
    out.write_u64(m_irq_tick);
}

Result<void> Pit8254::restore(StateReader& in)
{
    u8 version = TRY(in.read_u8());
    if (version != state_version)
        return Error::formatted("pit8254 state: version %u, expected %u", version, state_version);
    u16 size = TRY(in.read_u16());
    if (size != state_size || in.remaining() < size)
        return Error::formatted("pit8254 state: %u bytes (%zu present), expected %u", size, in.remaining(), state_size);
    Channel channels[3];
    for (unsigned i = 0; i < 3; ++i)
        TRY(restore_channel(in, channels[i], i));
    u8 port_b_value = TRY(in.read_u8());
    bool line_level = TRY(in.read_bool());
    u64 irq_tick = TRY(in.read_u64());
    if (port_b_value > 0x0F)
        return Error::formatted("pit8254 state: port B value %#x has read-only bits", port_b_value);
    if (!channels[0].gate || !channels[1].gate || channels[2].gate != (port_b_value & 1))
        return Error::from_string("pit8254 state: GATE inputs disagree with the wiring");
    for (unsigned i = 0; i < 3; ++i)
        m_channel[i] = channels[i];
    m_port_b = port_b_value;
    m_line_level = line_level;
    m_irq0.set(line_level);
    m_irq_tick = irq_tick;
    if (irq_tick == never)
        m_clock.cancel(this, irq0_timer);
    else
        m_clock.arm(this, irq0_timer, tick_time(irq_tick));
    return {};
}

} // namespace keel::devices
