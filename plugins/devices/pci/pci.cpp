#include "plugins/devices/pci/pci.h"
#include "dbt/base/log.h"

// Section numbers are those of the PCI Local Bus Specification, revision 3.0.
namespace keel::devices {

// ---- A function's configuration space (§6.1, §6.2) ------------------------------------

namespace {
// Type 0 header offsets (§6.1, figure 6-1).
enum : u8 {
    VendorId = 0x00, DeviceId = 0x02, Command = 0x04, Status = 0x06, Revision = 0x08, ClassCode = 0x09,
    CacheLineSize = 0x0C, LatencyTimer = 0x0D, HeaderType = 0x0E, InterruptLine = 0x3C,
};
// §6.2.2: I/O space, memory space, bus master, parity error response, SERR# enable and
// interrupt disable are implemented; the rest of the command register is hardwired to 0.
constexpr u32 command_writable = 0x0547;
// §6.2.3: the error bits (master data parity error, signaled/received target abort,
// received master abort, signaled system error, detected parity error) clear on writing 1.
constexpr u32 status_rw1c = 0xF900;
} // namespace

PciFunction::PciFunction(u16 vendor_id, u16 device_id, u32 class_code, u8 revision, u8 header_type)
{
    for (unsigned i = 0; i < 256; ++i)
        m_power_on[i] = 0;
    init_config(VendorId, vendor_id, 2);
    init_config(DeviceId, device_id, 2);
    init_config(Command, 0, 2, command_writable);
    init_rw1c(Status, status_rw1c, 2);
    init_config(Revision, revision, 1);
    init_config(ClassCode, class_code, 1);
    init_config(ClassCode + 1, class_code >> 8, 2);
    init_config(CacheLineSize, 0, 1, 0xFF);
    init_config(LatencyTimer, 0, 1, 0xFF);
    init_config(HeaderType, header_type, 1);
    init_config(InterruptLine, 0, 1, 0xFF); // §6.2.4: written by POST, no effect on the device
    for (unsigned i = 0; i < 256; ++i)
        m_config[i] = m_power_on[i];
}

void PciFunction::init_config(u8 offset, u32 value, unsigned size, u32 writable)
{
    for (unsigned i = 0; i < size && offset + i < 256; ++i) {
        m_power_on[offset + i] = static_cast<u8>(value >> (8 * i));
        m_config[offset + i] = m_power_on[offset + i];
        m_writable[offset + i] = static_cast<u8>(writable >> (8 * i));
    }
}

void PciFunction::init_rw1c(u8 offset, u32 mask, unsigned size)
{
    for (unsigned i = 0; i < size && offset + i < 256; ++i)
        m_rw1c[offset + i] = static_cast<u8>(mask >> (8 * i));
}

void PciFunction::define_bar(unsigned index, BarKind kind, u64 size, bool prefetchable)
{
    bool wide = kind == BarKind::Memory64;
    VERIFY(index + (wide ? 1 : 0) < bar_count && kind != BarKind::None);
    VERIFY((size & (size - 1)) == 0 && size >= (kind == BarKind::Io ? 4u : 16u));
    VERIFY(kind == BarKind::Memory64 || size <= 0x80000000ull);
    u8 offset = static_cast<u8>(bar0_offset + 4 * index);
    // §6.2.5.1, figures 6-5 and 6-6: bit 0 is the space indicator (1 = I/O); memory BARs
    // have the type in bits 2:1 (00 = 32-bit, 10 = 64-bit) and prefetchable in bit 3.
    u32 low_flags = kind == BarKind::Io ? 0x1 : (wide ? 0x4 : 0x0) | (prefetchable ? 0x8 : 0x0);
    u32 flag_bits = kind == BarKind::Io ? 0x3 : 0xF;
    u64 writable = ~(size - 1);
    init_config(offset, low_flags, 4, static_cast<u32>(writable) & ~flag_bits);
    m_bar_kind[index] = kind;
    m_bar_size[index] = size;
    if (wide)
        init_config(static_cast<u8>(offset + 4), 0, 4, static_cast<u32>(writable >> 32));
}

u32 PciFunction::read_config(u8 offset, unsigned size) const
{
    u32 v = 0;
    for (unsigned i = 0; i < size && i < 4; ++i)
        v |= static_cast<u32>(offset + i < 256 ? m_config[offset + i] : 0xFF) << (8 * i);
    return v;
}

void PciFunction::write_config(u8 offset, u32 value, unsigned size)
{
    for (unsigned i = 0; i < size && i < 4 && offset + i < 256; ++i) {
        u8& c = m_config[offset + i];
        u8 v = static_cast<u8>(value >> (8 * i));
        c = static_cast<u8>((c & ~m_writable[offset + i]) | (v & m_writable[offset + i]));
        c = static_cast<u8>(c & ~(v & m_rw1c[offset + i]));
    }
    config_write_hook(offset, value, size);
}

void PciFunction::reset()
{
    for (unsigned i = 0; i < 256; ++i)
        m_config[i] = m_power_on[i];
    config_reloaded();
}

bool PciFunction::accepts(const u8* config) const
{
    for (unsigned i = 0; i < 256; ++i)
        if ((config[i] ^ m_power_on[i]) & ~(m_writable[i] | m_rw1c[i]))
            return false;
    return true;
}

void PciFunction::load(const u8* config)
{
    for (unsigned i = 0; i < 256; ++i)
        m_config[i] = config[i];
    config_reloaded();
}

PciFunction::Bar PciFunction::bar(unsigned index) const
{
    Bar b;
    if (index >= bar_count || m_bar_kind[index] == BarKind::None)
        return b;
    b.kind = m_bar_kind[index];
    b.size = m_bar_size[index];
    u8 offset = static_cast<u8>(bar0_offset + 4 * index);
    u64 value = read_config(offset, 4);
    if (b.kind == BarKind::Memory64)
        value |= static_cast<u64>(read_config(static_cast<u8>(offset + 4), 4)) << 32;
    b.address = value & ~(b.size - 1) & (b.kind == BarKind::Io ? ~0x3ull : ~0xFull);
    b.prefetchable = b.kind != BarKind::Io && (value & 0x8);
    return b;
}

// ---- The chipset's functions ------------------------------------------------------------

I440fxHostBridge::I440fxHostBridge() : PciFunction(0x8086, 0x1237, 0x060000, 0x02, 0x00)
{
    init_config(Status, 0x0280, 2); // 82441FX PCISTS: medium DEVSEL timing, fast back-to-back
    // 82441FX §3.2.15 PAM0-PAM6 (0x59-0x5F): the read/write enable pairs. PAM0's low nibble
    // is reserved; its high one is 0xF0000-0xFFFFF.
    init_config(pam_offset, 0, 1, 0x30);
    for (u8 offset = pam_offset + 1; offset <= pam_offset + 6; ++offset)
        init_config(offset, 0, 1, 0x33);
}

void I440fxHostBridge::notify_register(u8 pam) const
{
    if (!m_listener)
        return;
    u8 v = config_byte(static_cast<u8>(pam_offset + pam));
    if (pam == 0) {
        m_listener(m_context, 0xF0000, 0x10000, v & 0x10, v & 0x20);
        return;
    }
    // PAMn (n = 1-6): the low nibble the segment at 0xC0000 + (n - 1) * 32 KiB, the high
    // nibble the 16 KiB after it.
    u64 base = 0xC0000 + (pam - 1) * 0x8000ull;
    m_listener(m_context, base, 0x4000, v & 0x01, v & 0x02);
    m_listener(m_context, base + 0x4000, 0x4000, v & 0x10, v & 0x20);
}

void I440fxHostBridge::config_write_hook(u8 offset, u32, unsigned size)
{
    for (unsigned i = 0; i < size; ++i) {
        unsigned pam = offset + i - pam_offset;
        if (pam < 7)
            notify_register(static_cast<u8>(pam));
    }
}

void I440fxHostBridge::config_reloaded()
{
    for (u8 pam = 0; pam < 7; ++pam)
        notify_register(pam);
}

Piix3IsaBridge::Piix3IsaBridge() : PciFunction(0x8086, 0x7000, 0x060100, 0x00, 0x80)
{
    init_config(Status, 0x0280, 2); // 82371SB PCISTS
    // 82371SB §2.2.11 PIRQRC[A:D]: bit 7 disables routing, bits 3:0 the IRQ, 6:4 reserved.
    for (u8 pirq = 0; pirq < 4; ++pirq)
        init_config(static_cast<u8>(pirq_route_offset + pirq), 0x80, 1, 0x8F);
}

int Piix3IsaBridge::pirq_irq(unsigned pirq) const
{
    u8 v = config_byte(static_cast<u8>(pirq_route_offset + (pirq & 3)));
    unsigned irq = v & 0x0F;
    // IRQ 0-2, 8 and 13 are reserved encodings (system timer, keyboard, cascade, RTC, FPU).
    if ((v & 0x80) || irq <= 2 || irq == 8 || irq == 13)
        return -1;
    return static_cast<int>(irq);
}

void Piix3IsaBridge::config_write_hook(u8 offset, u32, unsigned size)
{
    for (unsigned i = 0; i < size; ++i) {
        unsigned pirq = offset + i - pirq_route_offset;
        if (pirq < 4)
            notify(pirq);
    }
}

void Piix3IsaBridge::config_reloaded()
{
    for (unsigned pirq = 0; pirq < 4; ++pirq)
        notify(pirq);
}

void Piix3IsaBridge::notify(unsigned pirq) const
{
    if (m_listener)
        m_listener(m_context, pirq, pirq_irq(pirq));
}

// ---- Configuration mechanism #1 (§3.2.2.3.2) ------------------------------------------

namespace {
// CONFIG_ADDRESS: enable (31), reserved (30:24, read 0), bus (23:16), device (15:11),
// function (10:8), register (7:2); bits 1:0 read 0.
constexpr u32 address_enable = 0x80000000u, address_bits = 0x80FFFFFCu;
} // namespace

Result<void> PciBus::add_function(u8 device, u8 function, PciFunction* pci_function)
{
    if (device >= device_count || function >= function_count || !pci_function)
        return Error::formatted("pci: no slot 00:%02x.%u", device, function);
    PciFunction*& slot = m_functions[device * function_count + function];
    if (slot)
        return Error::formatted("pci: slot 00:%02x.%u is taken", device, function);
    slot = pci_function;
    return {};
}

Result<void> PciBus::adopt_function(u8 device, u8 function, PciFunction* pci_function)
{
    auto added = add_function(device, function, pci_function);
    if (added.is_error()) {
        delete pci_function;
        return added;
    }
    m_owned[device * function_count + function] = true;
    return {};
}

PciBus::~PciBus()
{
    for (unsigned i = 0; i < device_count * function_count; ++i)
        if (m_owned[i])
            delete m_functions[i];
}

PciFunction* PciBus::function(u8 device, u8 function) const
{
    if (device >= device_count || function >= function_count)
        return nullptr;
    return m_functions[device * function_count + function];
}

PciFunction* PciBus::addressed() const
{
    // Only bus 0 exists: a type 1 cycle to any other bus ends in master abort.
    if (!(m_config_address & address_enable) || ((m_config_address >> 16) & 0xFF) != 0)
        return nullptr;
    return m_functions[(m_config_address >> 8) & 0xFF];
}

u32 PciBus::io_read(u16 port, unsigned size)
{
    // §3.2.2.3.2: CONFIG_ADDRESS responds to 32-bit accesses only; other sizes are
    // ordinary I/O (nothing here).
    if (port == config_address_port && size == 4)
        return m_config_address;
    unsigned byte = port - config_data_port;
    if (port == reset_control_port && size == 1)
        return 0x00; // RCR: the reset bits are not kept (see docs/devices/pci.md)
    if (byte >= 4 || size == 0)
        return Device::io_read(port, size);
    unsigned n = size < 4 - byte ? size : 4 - byte; // the bytes within CONFIG_DATA
    u32 all_ones = size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    // An absent function: master abort, all ones (§6.1: vendor ID 0xFFFF).
    PciFunction* f = addressed();
    if (!f)
        return all_ones;
    u32 v = f->read_config(static_cast<u8>((m_config_address & 0xFC) + byte), n);
    return v | (all_ones & ~(n >= 4 ? 0xFFFFFFFFu : (1u << (8 * n)) - 1));
}

void PciBus::io_write(u16 port, u32 value, unsigned size)
{
    if (port == config_address_port && size == 4) {
        m_config_address = value & address_bits;
        return;
    }
    unsigned byte = port - config_data_port;
    if (byte >= 4 || size == 0) {
        // The PIIX3 reset control register: RCPU (bit 2) resets the system, as on QEMU's pc
        // (the ACPI reset register in keel's FADT; Linux's reboot=acpi and reboot=pci).
        if (port == reset_control_port && size == 1 && (value & 0x04) && m_system.reset_system)
            m_system.reset_system(m_system.context); // last: it may reset this device
        return;
    }
    unsigned n = size < 4 - byte ? size : 4 - byte;
    if (PciFunction* f = addressed())
        f->write_config(static_cast<u8>((m_config_address & 0xFC) + byte), value, n);
}

void PciBus::reset()
{
    m_config_address = 0;
    for (PciFunction* f : m_functions)
        if (f)
            f->reset();
}

// ---- State ------------------------------------------------------------------------------
// Version byte, payload length (u32), CONFIG_ADDRESS (u32), function count (u16), then per
// present function in slot order its slot number (device * 8 + function, u8) and its 256
// bytes of configuration space.

namespace {
constexpr u32 config_size = 256;
} // namespace

void PciBus::save(StateWriter& out) const
{
    u16 count = 0;
    for (PciFunction* f : m_functions)
        count = static_cast<u16>(count + (f ? 1 : 0));
    out.write_u8(state_version);
    out.write_u32(4 + 2 + count * (1 + config_size));
    out.write_u32(m_config_address);
    out.write_u16(count);
    for (unsigned slot = 0; slot < device_count * function_count; ++slot) {
        const PciFunction* f = m_functions[slot];
        if (!f)
            continue;
        out.write_u8(static_cast<u8>(slot));
        for (unsigned i = 0; i < config_size; ++i)
            out.write_u8(f->config_byte(static_cast<u8>(i)));
    }
}

Result<void> PciBus::restore(StateReader& in)
{
    u8 version = TRY(in.read_u8());
    if (version != state_version)
        return Error::formatted("pci state: version %u, expected %u", version, state_version);
    u16 count = 0;
    for (PciFunction* f : m_functions)
        count = static_cast<u16>(count + (f ? 1 : 0));
    u32 size = TRY(in.read_u32());
    if (size != 4 + 2 + count * (1 + config_size))
        return Error::formatted("pci state: %u bytes, expected %u for %u functions", size, 4 + 2 + count * (1 + config_size), count);
    u32 address = TRY(in.read_u32());
    if (address & ~address_bits)
        return Error::formatted("pci state: CONFIG_ADDRESS 0x%x has reserved bits", address);
    if (TRY(in.read_u16()) != count)
        return Error::formatted("pci state: function count differs from the %u present", count);
    // Two passes over the bytes: check everything on a copy of the reader, then load.
    u8 config[config_size];
    for (int pass = 0; pass < 2; ++pass) {
        StateReader r = in;
        for (unsigned slot = 0; slot < device_count * function_count; ++slot) {
            PciFunction* f = m_functions[slot];
            if (!f)
                continue;
            u8 saved_slot = TRY(r.read_u8());
            TRY(r.read_bytes(config, config_size));
            if (saved_slot != slot)
                return Error::formatted("pci state: function at 00:%02x.%u, expected 00:%02x.%u", saved_slot >> 3,
                    saved_slot & 7, slot >> 3, slot & 7);
            if (!f->accepts(config))
                return Error::formatted("pci state: 00:%02x.%u: read-only configuration bits differ", slot >> 3, slot & 7);
            if (pass == 1)
                f->load(config);
        }
        if (pass == 1)
            in = r;
    }
    m_config_address = address;
    return {};
}

void PciBus::describe(StringBuilder& out) const
{
    static const char* const kinds[] = { "", "I/O", "32-bit memory", "64-bit memory" };
    for (unsigned slot = 0; slot < device_count * function_count; ++slot) {
        const PciFunction* f = m_functions[slot];
        if (!f)
            continue;
        out.append("00:%02x.%u %04x:%04x class %06x rev %02x irq %u pin %c\n", slot >> 3, slot & 7, f->vendor_id(),
            f->device_id(), f->class_code(), f->config_byte(0x08), f->config_byte(0x3C),
            f->config_byte(0x3D) ? static_cast<char>('A' + f->config_byte(0x3D) - 1) : '-');
        for (unsigned i = 0; i < PciFunction::bar_count; ++i) {
            PciFunction::Bar b = f->bar(i);
            if (b.kind == PciFunction::BarKind::None)
                continue;
            out.append("    BAR%u: %s%s at 0x%llx [0x%llx]\n", i, kinds[static_cast<unsigned>(b.kind)],
                b.prefetchable ? " prefetchable" : "", static_cast<unsigned long long>(b.address),
                static_cast<unsigned long long>(b.address + b.size - 1));
        }
    }
}

} // namespace keel::devices
