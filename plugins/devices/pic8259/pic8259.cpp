#include "plugins/devices/pic8259/pic8259.h"
#include "dbt/base/log.h"

// Section names below are those of the Intel 8259A data sheet (231468).
namespace keel::devices {

// ---- One chip --------------------------------------------------------------------------

void Pic8259Chip::power_on()
{
    // The data sheet leaves the state before ICW1 undefined. Everything masked, so nothing
    // is delivered through an unprogrammed vector base (as Bochs). The input pins (`level`)
    // belong to the devices driving them and are kept.
    irr = 0, isr = 0, imr = 0xFF, elcr = 0, highest = 0, vector_base = 0, icw3 = 0, init_step = 0;
    set_flags(0);
}

unsigned Pic8259Chip::priority_of(u8 mask) const
{
    for (unsigned p = 0; p < 8; ++p)
        if (mask & (1u << ((p + highest) & 7)))
            return p;
    return 8;
}

int Pic8259Chip::pending() const
{
    unsigned request = priority_of(irr & ~imr);
    if (request == 8)
        return -1;
    // "Special Mask Mode": a masked level in service does not hold off the others.
    u8 blocking = special_mask ? (isr & ~imr) : isr;
    unsigned in_service = priority_of(blocking);
    unsigned ir = (request + highest) & 7;
    if (request < in_service)
        return static_cast<int>(ir);
    // "Special Fully Nested Mode": the master lets a slave's higher-priority request through
    // while the slave's IR is already in service.
    if (is_master && sfnm && ir == 2 && request == in_service)
        return static_cast<int>(ir);
    return -1;
}

void Pic8259Chip::input(unsigned ir, bool high)
{
    // "Edge and Level Triggered Modes": edge sets IRR on a low-to-high transition, level
    // makes IRR follow the pin. An edge-latched request stays until acknowledged (as QEMU
    // and Bochs; the data sheet wants the pin held high until INTA, which pulse() is not).
    u8 bit = static_cast<u8>(1u << ir);
    if (high) {
        if ((elcr & bit) || !(level & bit))
            irr |= bit;
        level |= bit;
    } else {
        level &= ~bit;
        if (elcr & bit)
            irr &= ~bit;
    }
}

void Pic8259Chip::intack(unsigned ir)
{
    u8 bit = static_cast<u8>(1u << ir);
    // "Automatic End of Interrupt Mode": the ISR bit is never set (and the priority rotates
    // if "rotate in AEOI" is on, "Automatic Rotation").
    if (aeoi) {
        if (rotate_in_aeoi)
            highest = (ir + 1) & 7;
    } else {
        isr |= bit;
    }
    // A level-triggered IRR bit is re-set at once by the still-high pin.
    if (!(elcr & bit))
        irr &= ~bit;
}

u8 Pic8259Chip::read(unsigned a0)
{
    // "Poll Command": the next read of either port is the poll word and acknowledges.
    if (poll) {
        poll = false;
        int ir = pending();
        if (ir < 0)
            return 0; // I = 0: nothing requesting
        intack(static_cast<unsigned>(ir));
        return static_cast<u8>(0x80 | ir);
    }
    // "Reading the 8259A Status": A0 = 1 is the IMR; A0 = 0 the IRR or ISR chosen by OCW3.
    if (a0)
        return imr;
    return read_isr ? isr : irr;
}

void Pic8259Chip::write(unsigned a0, u8 value)
{
    if (!a0) {
        if (value & 0x10)
            icw1(value);
        else if (value & 0x08)
            ocw3(value);
        else
            ocw2(value);
        return;
    }
    switch (init_step) {
    case 0: imr = value; return; // OCW1
    case 1:                      // ICW2: T7-T3 (8086 mode: the low 3 bits are the IR)
        vector_base = value & 0xF8;
        init_step = single ? (ic4 ? 3 : 0) : 2;
        return;
    case 2: // ICW3
        icw3 = value;
        init_step = ic4 ? 3 : 0;
        return;
    default: // ICW4
        if (!(value & 0x01))
            KEEL_LOG(Unimp, "pic8259: ICW4 %#x selects MCS-80/85 mode; staying in 8086 mode\n", value);
        aeoi = value & 0x02;
        sfnm = is_master && (value & 0x10); // BUF and M/S (bits 3-2) change nothing here
        init_step = 0;
        return;
    }
}

void Pic8259Chip::icw1(u8 value)
{
    // "Initialization Command Words": the edge sense circuit is reset (an input already
    // high needs a new rising edge), IMR cleared, IR7 lowest priority, special mask mode
    // off, status read set to IRR; without IC4 the ICW4 functions are zero. The data sheet
    // is silent on ISR; it is cleared, as QEMU and Bochs do. LTIM (bit 3) is ignored: the
    // ELCR decides (PIIX4 §3.6.2.1, ICW1).
    irr = level & elcr;
    isr = 0, imr = 0, highest = 0;
    read_isr = false, poll = false, special_mask = false;
    aeoi = false, sfnm = false, rotate_in_aeoi = false;
    ic4 = value & 0x01;
    single = value & 0x02;
    init_step = 1;
}

void Pic8259Chip::ocw2(u8 value)
{
    unsigned ir = value & 7;
    switch (value >> 5) { // R, SL, EOI
    case 0: rotate_in_aeoi = false; break; // rotate in automatic EOI mode (clear)
    case 4: rotate_in_aeoi = true; break;  // rotate in automatic EOI mode (set)
    case 1:                                // non-specific EOI
    case 5: {                              // rotate on non-specific EOI
        // "End of Interrupt": the highest-priority ISR bit; in special mask mode a masked
        // one is left alone.
        unsigned p = priority_of(special_mask ? (isr & ~imr) : isr);
        if (p == 8)
            break;
        unsigned done = (p + highest) & 7;
        isr &= ~(1u << done);
        if (value & 0x80)
            highest = (done + 1) & 7; // "Automatic Rotation": it becomes the lowest
        break;
    }
    case 3: isr &= ~(1u << ir); break; // specific EOI
    case 7:                            // rotate on specific EOI ("Specific Rotation")
        isr &= ~(1u << ir);
        highest = (ir + 1) & 7;
        break;
    case 6: highest = (ir + 1) & 7; break; // set priority: IR `ir` becomes the lowest
    default: break;                        // 2: no operation
    }
}

void Pic8259Chip::ocw3(u8 value)
{
    if (value & 0x40) // ESMM: SMM sets or clears special mask mode
        special_mask = value & 0x20;
    if (value & 0x04)
        poll = true;
    if (value & 0x02) // RR: RIS selects ISR (1) or IRR (0)
        read_isr = value & 0x01;
}

void Pic8259Chip::write_elcr(u8 value)
{
    elcr = value & elcr_mask;
    irr = static_cast<u8>((irr & ~elcr) | (level & elcr)); // level-triggered IRR follows the pin
}

u8 Pic8259Chip::flags() const
{
    return static_cast<u8>(ic4 | single << 1 | aeoi << 2 | rotate_in_aeoi << 3 | sfnm << 4 | read_isr << 5 |
                           poll << 6 | special_mask << 7);
}

void Pic8259Chip::set_flags(u8 f)
{
    ic4 = f & 0x01, single = f & 0x02, aeoi = f & 0x04, rotate_in_aeoi = f & 0x08;
    sfnm = f & 0x10, read_isr = f & 0x20, poll = f & 0x40, special_mask = f & 0x80;
}

// ---- The pair --------------------------------------------------------------------------

Pic8259Pair::Pic8259Pair(InterruptLine intr) : m_intr(intr)
{
    m_chip[0].is_master = true;
    // PIIX4 §3.6.2.1: IRQ 0, 1, 2 (master) and 8, 13 (slave) are edge-triggered only.
    m_chip[0].elcr_mask = 0xF8;
    m_chip[1].elcr_mask = 0xDE;
    m_chip[0].power_on();
    m_chip[1].power_on();
}

void Pic8259Pair::reset()
{
    m_chip[0].power_on();
    m_chip[1].power_on();
    update(true);
}

void Pic8259Pair::set_irq_level(u32 line, bool level)
{
    if (line >= 16 || line == cascade_ir) {
        KEEL_LOG(GuestErrors, "pic8259: no IRQ %u to drive\n", line);
        return;
    }
    m_chip[line >> 3].input(line & 7, level);
    update();
}

u8 Pic8259Pair::acknowledge()
{
    Pic8259Chip& master = m_chip[0];
    Pic8259Chip& slave = m_chip[1];
    int ir = master.pending();
    u8 vector;
    if (ir < 0) {
        // "Interrupt Sequence": the request went away before INTA; the chip answers IR7.
        vector = master.vector_base | 7;
    } else {
        master.intack(static_cast<unsigned>(ir));
        if (ir == cascade_ir) {
            // "Cascade Mode": the slave puts its vector on the bus, or IR7 if its request
            // went away (the master's ISR2 is set all the same).
            int sir = slave.pending();
            if (sir >= 0) {
                slave.intack(static_cast<unsigned>(sir));
                vector = static_cast<u8>(slave.vector_base | sir);
            } else {
                vector = slave.vector_base | 7;
            }
            // The slave's INT falls during INTA: one still requesting afterwards (AEOI,
            // special mask) is a new edge on IR2 at update().
            master.input(cascade_ir, false);
        } else {
            vector = static_cast<u8>(master.vector_base | ir);
        }
    }
    update();
    return vector;
}

void Pic8259Pair::update(bool force)
{
    m_chip[0].input(cascade_ir, m_chip[1].pending() >= 0);
    bool level = m_chip[0].pending() >= 0;
    if (level != m_intr_level || force) {
        m_intr_level = level;
        m_intr.set(level);
    }
}

namespace {
bool in_range(u16 port, u16 base) { return static_cast<u16>(port - base) < Pic8259Pair::port_count; }
} // namespace

u8 Pic8259Pair::read_byte(u16 port)
{
    if (in_range(port, elcr_base))
        return m_chip[port - elcr_base].elcr;
    if (in_range(port, master_base) || in_range(port, slave_base)) {
        u8 v = m_chip[port >= slave_base].read(port & 1); // may acknowledge (poll)
        update();
        return v;
    }
    return 0xFF;
}

void Pic8259Pair::write_byte(u16 port, u8 value)
{
    if (in_range(port, elcr_base))
        m_chip[port - elcr_base].write_elcr(value);
    else if (in_range(port, master_base) || in_range(port, slave_base))
        m_chip[port >= slave_base].write(port & 1, value);
    else
        return;
    update();
}

// Wider accesses are taken as consecutive byte accesses (the 8259A has an 8-bit bus).
u32 Pic8259Pair::io_read(u16 port, unsigned size)
{
    u32 v = 0;
    for (unsigned i = 0; i < size && i < 4; ++i)
        v |= static_cast<u32>(read_byte(static_cast<u16>(port + i))) << (8 * i);
    return v;
}

void Pic8259Pair::io_write(u16 port, u32 value, unsigned size)
{
    for (unsigned i = 0; i < size && i < 4; ++i)
        write_byte(static_cast<u16>(port + i), static_cast<u8>(value >> (8 * i)));
}

// ---- State -----------------------------------------------------------------------------
// Version byte, payload length (u16), then per chip (master, slave) the bytes below.

namespace {
constexpr u16 chip_state_size = 10;
constexpr u16 state_size = 2 * chip_state_size;
} // namespace

void Pic8259Pair::save(StateWriter& out) const
{
    out.write_u8(state_version);
    out.write_u16(state_size);
    for (const Pic8259Chip& c : m_chip) {
        u8 bytes[chip_state_size] = { c.irr, c.isr, c.imr, c.level, c.elcr, c.highest,
                                      c.vector_base, c.icw3, c.init_step, c.flags() };
        out.write_bytes(bytes, chip_state_size);
    }
}

Result<void> Pic8259Pair::restore(StateReader& in)
{
    u8 version = TRY(in.read_u8());
    if (version != state_version)
        return Error::formatted("pic8259 state: version %u, expected %u", version, state_version);
    u16 size = TRY(in.read_u16());
    if (size != state_size)
        return Error::formatted("pic8259 state: %u bytes, expected %u", size, state_size);
    u8 bytes[state_size];
    TRY(in.read_bytes(bytes, state_size));

    Pic8259Chip chips[2] = { m_chip[0], m_chip[1] };
    for (unsigned i = 0; i < 2; ++i) {
        const u8* b = bytes + i * chip_state_size;
        Pic8259Chip& c = chips[i];
        c.irr = b[0], c.isr = b[1], c.imr = b[2], c.level = b[3], c.elcr = b[4], c.highest = b[5];
        c.vector_base = b[6], c.icw3 = b[7], c.init_step = b[8];
        c.set_flags(b[9]);
        const char* which = i ? "slave" : "master";
        if (c.elcr & ~c.elcr_mask)
            return Error::formatted("pic8259 state: %s ELCR %#x makes an edge-only IRQ level", which, c.elcr);
        if ((c.irr ^ c.level) & c.elcr)
            return Error::formatted("pic8259 state: %s level-triggered IRR differs from its pins", which);
        if (c.highest > 7 || (c.vector_base & 7) || c.init_step > 3 || (c.sfnm && !c.is_master))
            return Error::formatted("pic8259 state: %s register values out of range", which);
    }
    m_chip[0] = chips[0];
    m_chip[1] = chips[1];
    update(true);
    return {};
}

void Pic8259Pair::describe(StringBuilder& out) const
{
    for (unsigned i = 0; i < 2; ++i) {
        const Pic8259Chip& c = m_chip[i];
        out.append("pic%u: irr=%02x imr=%02x isr=%02x hprio=%u irq_base=%02x rr_sel=%u elcr=%02x fnm=%u\n", i, c.irr, c.imr, c.isr,
            c.highest, c.vector_base, c.read_isr ? 1u : 0u, c.elcr, c.sfnm ? 1u : 0u);
    }
}

} // namespace keel::devices
