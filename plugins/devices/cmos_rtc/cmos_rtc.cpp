#include "plugins/devices/cmos_rtc/cmos_rtc.h"

namespace keel::devices {
namespace {
// Register indices (data sheet, Figure 4 "Address Map"; 0x32 is the PC's century byte).
enum : u8 {
    SECONDS = 0x00, SECONDS_ALARM = 0x01, MINUTES = 0x02, MINUTES_ALARM = 0x03, HOURS = 0x04,
    HOURS_ALARM = 0x05, DAY_OF_WEEK = 0x06, DAY = 0x07, MONTH = 0x08, YEAR = 0x09,
    REG_A = 0x0A, REG_B = 0x0B, REG_C = 0x0C, REG_D = 0x0D, CENTURY = 0x32,
};
// Register B (data sheet, "Register B").
constexpr u8 b_set = 0x80, b_pie = 0x40, b_aie = 0x20, b_uie = 0x10, b_sqwe = 0x08, b_dm = 0x04, b_24h = 0x02;
// Register C (data sheet, "Register C").
constexpr u8 c_irqf = 0x80, c_pf = 0x40, c_af = 0x20, c_uf = 0x10;
constexpr u8 a_uip = 0x80;
constexpr u8 d_vrt = 0x80;
constexpr i64 second_ns = 1000000000;
constexpr i64 day_seconds = 86400;
// One 32.768 kHz divider cycle is 1e9 / 32768 = 1953125 / 64 ns exactly.
constexpr i64 cycle_num = 1953125, cycle_den = 64;

i64 floor_div(i64 a, i64 b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }
i64 floor_mod(i64 a, i64 b) { return a - floor_div(a, b) * b; }
bool is_time_register(u8 index) { return index <= YEAR || index == CENTURY; }
} // namespace

CmosRtc::CmosRtc(VirtualClock& clock, InterruptLine irq8, u64 unix_time_at_clock_zero, const CmosConfig& config)
    : m_clock(clock), m_irq8(irq8)
{
    u64 now = clock.now_ns();
    m_anchor_ns = static_cast<i64>(now / ns_per_second * ns_per_second);
    m_pf_sync_ns = static_cast<i64>(now);
    m_count = static_cast<i64>(unix_time_at_clock_zero + now / ns_per_second);
    m_held = live_fields();
    // As a PC BIOS leaves them: 32.768 kHz time base, 1024 Hz periodic rate, 24-hour BCD.
    m_cmos[REG_A] = 0x26;
    m_cmos[REG_B] = b_24h;
    m_cmos[REG_D] = d_vrt;
    set_config(config);
    reset();
}

void CmosRtc::set_config(const CmosConfig& config)
{
    auto put16 = [this](u8 index, u64 v) {
        m_cmos[index] = static_cast<u8>(v), m_cmos[index + 1] = static_cast<u8>(v >> 8);
    };
    auto cap = [](u64 v) { return v > 0xFFFF ? 0xFFFF : v; };
    u64 low = config.ram_bytes < config.below_4g_limit ? config.ram_bytes : config.below_4g_limit;
    u64 high = config.ram_bytes - low;
    m_cmos[0x0E] = 0;    // diagnostic status: all good
    m_cmos[0x0F] = 0;    // shutdown status: normal power-on
    m_cmos[0x10] = 0;    // no floppy drives
    m_cmos[0x12] = 0;    // no fixed disks
    m_cmos[0x14] = config.equipment;
    put16(0x15, 640);    // base memory in KiB
    u64 extended = low > MiB ? cap((low - MiB) / KiB) : 0;
    put16(0x17, extended); // extended memory in KiB, and its copy at 0x30
    put16(0x30, extended);
    put16(0x34, low > 16 * MiB ? cap((low - 16 * MiB) / (64 * KiB)) : 0);
    u64 above_4g = high / (64 * KiB); // QEMU/SeaBIOS: 24 bits of 64 KiB units
    if (above_4g > 0xFFFFFF)
        above_4g = 0xFFFFFF;
    m_cmos[0x5B] = static_cast<u8>(above_4g), m_cmos[0x5C] = static_cast<u8>(above_4g >> 8);
    m_cmos[0x5D] = static_cast<u8>(above_4g >> 16);
    // IBM AT checksum: the 16-bit sum of 0x10-0x2D, high byte at 0x2E.
    u16 sum = 0;
    for (u8 i = 0x10; i <= 0x2D; ++i)
        sum = static_cast<u16>(sum + m_cmos[i]);
    m_cmos[0x2E] = static_cast<u8>(sum >> 8), m_cmos[0x2F] = static_cast<u8>(sum);
}

// The RESET pin (data sheet, "RESET"): clears PIE, AIE, UIE, SQWE and the register C flags;
// the clock, calendar and RAM are battery-backed and survive it (so do register A and the
// rest of B). The index and NMI mask latch are the chipset's: index 0, NMI enabled.
void CmosRtc::reset()
{
    catch_up(m_clock.now_ns());
    m_cmos[REG_B] &= static_cast<u8>(~(b_pie | b_aie | b_uie | b_sqwe));
    m_cmos[REG_C] = 0;
    m_index = 0;
    m_nmi_masked = false;
    m_irq_level = true; // forces the line low below
    update_irq();
    arm_timers();
}

// ---- Calendar ----

CmosRtc::Date CmosRtc::civil_from_days(i64 z)
{
    z += 719468;
    i64 era = floor_div(z, 146097);
    i64 doe = z - era * 146097;
    i64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    i64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    i64 mp = (5 * doy + 2) / 153;
    unsigned d = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
    unsigned m = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
    return { yoe + era * 400 + (m <= 2), m, d };
}

i64 CmosRtc::days_from_civil(i64 y, i64 m, i64 d)
{
    y += floor_div(m - 1, 12); // a month out of range carries into the year
    m = floor_mod(m - 1, 12) + 1;
    y -= m <= 2;
    i64 era = floor_div(y, 400);
    i64 yoe = y - era * 400;
    i64 doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    i64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

CmosRtc::Fields CmosRtc::fields(i64 s) const
{
    i64 days = floor_div(s, day_seconds), sod = floor_mod(s, day_seconds);
    Date date = civil_from_days(days);
    unsigned weekday = static_cast<unsigned>(floor_mod(days + 4, 7)); // 1970-01-01 was a Thursday
    return { date.year, date.month, date.day, sod / 3600, sod / 60 % 60, sod % 60, weekday, 0 };
}

CmosRtc::Fields CmosRtc::live_fields() const
{
    Fields f = fields(m_count);
    f.dow = (f.weekday + m_weekday_offset) % 7 + 1;
    return f;
}

// Starts counting from `f`; the day-of-week register keeps its value and counts on from it.
void CmosRtc::set_count(const Fields& f)
{
    m_count = seconds_from(f);
    m_weekday_offset = static_cast<u8>(floor_mod(f.dow - 1 - static_cast<i64>(fields(m_count).weekday), 7));
}

CmosRtc::Fields CmosRtc::current_fields()
{
    catch_up(m_clock.now_ns());
    return updating() ? live_fields() : m_held;
}

i64 CmosRtc::seconds_from(const Fields& f)
{
    return days_from_civil(f.year, f.month, f.day) * day_seconds + f.hour * 3600 + f.minute * 60 + f.second;
}

i64 CmosRtc::seconds()
{
    catch_up(m_clock.now_ns());
    return updating() ? m_count : seconds_from(m_held);
}

// ---- Register encodings (data sheet, Table 3 "Time, Calendar and Alarm Data Modes") ----

u8 CmosRtc::encode(i64 v) const
{
    v = floor_mod(v, 100);
    return static_cast<u8>(reg_b() & b_dm ? v : (v / 10) << 4 | v % 10);
}

i64 CmosRtc::decode(u8 v) const { return reg_b() & b_dm ? v : (v >> 4) * 10 + (v & 0x0F); }

u8 CmosRtc::encode_hour(i64 h) const
{
    if (reg_b() & b_24h)
        return encode(h);
    // 12-hour mode: 12, 1-11 with the PM flag in bit 7.
    return static_cast<u8>(encode(h % 12 == 0 ? 12 : h % 12) | (h >= 12 ? 0x80 : 0));
}

i64 CmosRtc::decode_hour(u8 v) const
{
    if (reg_b() & b_24h)
        return decode(v);
    return decode(v & 0x7F) % 12 + (v & 0x80 ? 12 : 0);
}

u8 CmosRtc::time_register(u8 index)
{
    Fields f = current_fields();
    switch (index) {
    case SECONDS: return encode(f.second);
    case MINUTES: return encode(f.minute);
    case HOURS: return encode_hour(f.hour);
    case DAY_OF_WEEK: return encode(f.dow); // Sunday = 1
    case DAY: return encode(f.day);
    case MONTH: return encode(f.month);
    case YEAR: return encode(f.year % 100);
    case CENTURY: return encode(floor_div(f.year, 100));
    default: return m_cmos[index]; // the alarm bytes are plain RAM
    }
}

// Writes set the clock; the divider phase is untouched, so the next update comes at the
// usual time. Out-of-range values are normalized when counting (re)starts (31 February
// becomes 2 or 3 March); under SET they read back as written.
void CmosRtc::write_time_register(u8 index, u8 v)
{
    Fields f = current_fields();
    switch (index) {
    case SECONDS: f.second = decode(v); break;
    case MINUTES: f.minute = decode(v); break;
    case HOURS: f.hour = decode_hour(v); break;
    case DAY_OF_WEEK: f.dow = decode(v); break;
    case DAY: f.day = decode(v); break;
    case MONTH: f.month = decode(v); break;
    case YEAR: f.year = floor_div(f.year, 100) * 100 + decode(v) % 100; break;
    case CENTURY: f.year = decode(v) * 100 + f.year % 100; break;
    default: m_cmos[index] = v; return; // alarm
    }
    if (updating())
        set_count(f);
    else
        m_held = f;
}

// Data sheet, "Interrupts": an alarm byte with bits 7-6 set (0xC0-0xFF) matches anything.
bool CmosRtc::alarm_matches(i64 s) const
{
    Fields f = fields(s);
    auto match = [](u8 alarm, u8 now) { return (alarm & 0xC0) == 0xC0 || alarm == now; };
    return match(m_cmos[SECONDS_ALARM], encode(f.second)) && match(m_cmos[MINUTES_ALARM], encode(f.minute))
        && match(m_cmos[HOURS_ALARM], encode_hour(f.hour));
}

// ---- Time ----

i64 CmosRtc::cycle_at(i64 t) const { return floor_div((t - m_anchor_ns) * cycle_den, cycle_num); }

// Register A RS3-RS0 (data sheet, Table 5): none, 256 Hz, 128 Hz, then 32768 >> (r - 1) Hz;
// as a count of 32.768 kHz cycles.
u32 CmosRtc::periodic_cycles() const
{
    u8 r = reg_a() & 0x0F;
    if (r == 0 || !divider_running())
        return 0;
    if (r <= 2)
        return r == 1 ? 128 : 256;
    return 1u << (r - 1);
}

void CmosRtc::catch_up(u64 now_u)
{
    i64 now = static_cast<i64>(now_u);
    if (u32 p = periodic_cycles()) {
        if (now > m_pf_sync_ns && floor_div(cycle_at(now), p) > floor_div(cycle_at(m_pf_sync_ns), p))
            m_cmos[REG_C] |= c_pf;
    }
    if (now > m_pf_sync_ns)
        m_pf_sync_ns = now;
    if (divider_running() && now >= m_anchor_ns) {
        i64 k = (now - m_anchor_ns) / second_ns; // update cycles due
        m_anchor_ns += k * second_ns;            // the divider keeps its phase even under SET
        if (k > 0 && !(reg_b() & b_set)) {
            // Data sheet, "Update Cycle": each update sets UF, and AF if the time then
            // matches the alarm. Any h:m:s recurs within a day: check the last day's only.
            m_cmos[REG_C] |= c_uf;
            for (i64 s = m_count + (k > day_seconds ? k - day_seconds : 0) + 1; s <= m_count + k && !(m_cmos[REG_C] & c_af); ++s) {
                if (alarm_matches(s)) {
                    m_cmos[REG_C] |= c_af;
                    break;
                }
            }
            m_count += k;
        }
    }
    update_irq();
}

// IRQF = PF.PIE + AF.AIE + UF.UIE (data sheet, "Register C"); the IRQ8 line follows it.
void CmosRtc::update_irq()
{
    bool level = (m_cmos[REG_C] & reg_b() & (c_pf | c_af | c_uf)) != 0;
    m_cmos[REG_C] = static_cast<u8>((m_cmos[REG_C] & ~c_irqf) | (level ? c_irqf : 0));
    if (level != m_irq_level) {
        m_irq_level = level;
        m_irq8.set(level);
    }
}

// One timer at the next update (always while updating: AF and UF are set even with their
// interrupts disabled), one at the next periodic tick while PIE is set. PF without PIE is
// computed when register C is read.
void CmosRtc::arm_timers()
{
    if (updating())
        m_clock.arm(this, update_timer, static_cast<u64>(m_anchor_ns + second_ns));
    else
        m_clock.cancel(this, update_timer);
    u32 p = periodic_cycles();
    if (p && (reg_b() & b_pie)) {
        i64 next = (floor_div(cycle_at(m_pf_sync_ns), p) + 1) * p;
        i64 at = m_anchor_ns + (next * cycle_num + cycle_den - 1) / cycle_den; // ceil: on or after the edge
        m_clock.arm(this, periodic_timer, static_cast<u64>(at));
    } else {
        m_clock.cancel(this, periodic_timer);
    }
}

void CmosRtc::timer_expired(u32, u64 now_ns)
{
    catch_up(now_ns);
    update_irq();
    arm_timers();
}

// ---- Ports ----

u32 CmosRtc::io_read(u16 port, unsigned)
{
    if (port == base)
        return 0xFF; // the index register is write-only
    u8 i = m_index;
    if (is_time_register(i))
        return time_register(i);
    switch (i) {
    case REG_A: {
        catch_up(m_clock.now_ns());
        bool uip = updating() && m_anchor_ns + second_ns - static_cast<i64>(m_clock.now_ns()) <= static_cast<i64>(uip_window_ns);
        return static_cast<u8>((reg_a() & ~a_uip) | (uip ? a_uip : 0));
    }
    case REG_C: {
        // Reading C returns and clears all flags, and so releases IRQ8 (data sheet, "Register C").
        catch_up(m_clock.now_ns());
        u8 value = m_cmos[REG_C];
        m_cmos[REG_C] = 0;
        update_irq();
        return value;
    }
    case REG_D: return d_vrt; // valid RAM and time: the battery is good
    default: return m_cmos[i];
    }
}

void CmosRtc::io_write(u16 port, u32 value, unsigned)
{
    u8 v = static_cast<u8>(value);
    if (port == base) {
        m_index = v & 0x7F;
        m_nmi_masked = v & 0x80;
        return;
    }
    u8 i = m_index;
    if (is_time_register(i)) {
        write_time_register(i, v);
        update_irq();
        arm_timers();
        return;
    }
    u64 now = m_clock.now_ns();
    catch_up(now); // account for the old rate, divider and SET first
    bool was_updating = updating();
    if (was_updating)
        m_held = live_fields();
    switch (i) {
    case REG_A: {
        bool was_running = divider_running();
        m_cmos[REG_A] = v & 0x7F; // UIP is read-only
        // Data sheet, "Divider Chain Control": leaving reset, the first update comes 500 ms later.
        if (!was_running && divider_running())
            m_anchor_ns = static_cast<i64>(now) - second_ns / 2;
        break;
    }
    case REG_B:
        if (v & b_set)
            v &= static_cast<u8>(~b_uie); // SET clears UIE (data sheet, "Register B", UIE)
        m_cmos[REG_B] = v;
        break;
    case REG_C:
    case REG_D: return; // read-only
    default: m_cmos[i] = v; return;
    }
    if (!was_updating && updating())
        set_count(m_held);
    update_irq();
    arm_timers();
}

// ---- State ----

void CmosRtc::save(StateWriter& out) const
{
    out.write_u8(state_version);
    out.write_u16(state_size);
    out.write_u8(m_index);
    out.write_bool(m_nmi_masked);
    out.write_bytes(m_cmos, sizeof(m_cmos));
    out.write_u64(static_cast<u64>(m_count));
    out.write_u64(static_cast<u64>(m_anchor_ns));
    out.write_u64(static_cast<u64>(m_pf_sync_ns));
    out.write_u8(m_weekday_offset);
    out.write_bool(m_irq_level);
    const i64 held[7] = { m_held.year, m_held.month, m_held.day, m_held.hour, m_held.minute, m_held.second, m_held.dow };
    for (i64 v : held)
        out.write_u64(static_cast<u64>(v));
}

Result<void> CmosRtc::restore(StateReader& in)
{
    u8 version = TRY(in.read_u8());
    if (version != state_version)
        return Error::formatted("cmos_rtc state: version %u, expected %u", version, state_version);
    u16 size = TRY(in.read_u16());
    if (size != state_size)
        return Error::formatted("cmos_rtc state: %u bytes, expected %u", size, state_size);
    u8 index = TRY(in.read_u8());
    bool nmi = TRY(in.read_bool());
    u8 cmos[128];
    TRY(in.read_bytes(cmos, sizeof(cmos)));
    i64 count = static_cast<i64>(TRY(in.read_u64()));
    i64 anchor = static_cast<i64>(TRY(in.read_u64()));
    i64 pf_sync = static_cast<i64>(TRY(in.read_u64()));
    u8 weekday_offset = TRY(in.read_u8());
    bool irq = TRY(in.read_bool());
    i64 held[7];
    for (i64& v : held)
        v = static_cast<i64>(TRY(in.read_u64()));
    bool irqf = (cmos[REG_C] & cmos[REG_B] & (c_pf | c_af | c_uf)) != 0;
    if (index > 0x7F || weekday_offset > 6 || (cmos[REG_A] & a_uip) || (cmos[REG_C] & 0x0F) || cmos[REG_D] != d_vrt)
        return Error::formatted("cmos_rtc state: register values out of range");
    if (irqf != static_cast<bool>(cmos[REG_C] & c_irqf) || irq != irqf)
        return Error::formatted("cmos_rtc state: IRQF and the IRQ8 line disagree with the flags");
    for (unsigned i = 0; i < 128; ++i)
        m_cmos[i] = cmos[i];
    m_index = index;
    m_nmi_masked = nmi;
    m_count = count, m_anchor_ns = anchor, m_pf_sync_ns = pf_sync;
    m_weekday_offset = weekday_offset;
    m_irq_level = irq;
    m_held = { held[0], held[1], held[2], held[3], held[4], held[5], 0, held[6] };
    m_irq8.set(irq); // drive the line from the restored state
    arm_timers();
    return {};
}

} // namespace keel::devices
