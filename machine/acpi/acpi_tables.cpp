#include "machine/acpi/acpi_tables.h"
#include "dbt/base/string.h"

namespace keel::machine::acpi {
namespace {

// Where each table goes in the image (offsets from its base; each table fits below the next).
constexpr u32 rsdp_at = 0x000, rsdt_at = 0x040, xsdt_at = 0x080, facs_at = 0x0C0, fadt_at = 0x100, dsdt_at = 0x200,
              madt_at = 0x300, image_size = 0x400;
constexpr u32 header_size = 36;
constexpr u32 fadt_size = 244; // ACPI 2.0-style FADT (revision 4): 32- and 64-bit addresses
constexpr u32 facs_size = 64;

class Writer {
public:
    explicit Writer(Vector<u8>& bytes) : m_bytes(bytes) {}
    void u8_at(u32 at, u64 v) { m_bytes[at] = static_cast<u8>(v); }
    void le_at(u32 at, u64 v, unsigned n)
    {
        for (unsigned i = 0; i < n; ++i)
            m_bytes[at + i] = static_cast<u8>(v >> (8 * i));
    }
    void text_at(u32 at, const char* s, unsigned n)
    {
        for (unsigned i = 0; i < n; ++i)
            m_bytes[at + i] = static_cast<u8>(s[i]);
    }
    // A system description table header (ACPI 6.5 §5.2.6); the checksum is set by seal().
    void header(u32 at, const char* signature, u32 length, u8 revision)
    {
        text_at(at, signature, 4);
        le_at(at + 4, length, 4);
        u8_at(at + 8, revision);
        text_at(at + 10, "KEEL  ", 6);   // OEMID
        text_at(at + 16, "KEELPC  ", 8); // OEM table ID
        le_at(at + 24, 1, 4);            // OEM revision
        text_at(at + 28, "KEEL", 4);     // creator ID
        le_at(at + 32, 1, 4);            // creator revision
    }
    void seal(u32 at, u32 length, u32 checksum_at) { m_bytes[checksum_at] = static_cast<u8>(-checksum(&m_bytes[at], length)); }
    // A Generic Address Structure (§5.2.3.2) for system I/O space.
    void io_address(u32 at, u16 port, u8 bits, u8 access_size)
    {
        u8_at(at, 1); // system I/O
        u8_at(at + 1, bits);
        u8_at(at + 2, 0);
        u8_at(at + 3, access_size); // 1 byte, 2 word, 3 dword
        le_at(at + 4, port, 8);
    }

private:
    Vector<u8>& m_bytes;
};

// The DSDT's AML (ACPI 6.5 §20.2):
//   Name (_S5, Package (4) { 5, 5, 0, 0 })      SLP_TYP 5 for PM1a and PM1b, which the
//                                               acpi_pm device takes as power-off (§7.4.2)
//   Scope (\_SB) { Device (PCI0) {             the PCI host bridge, so that an OS that
//       Name (_HID, EisaId ("PNP0A03"))         routes PCI through ACPI finds bus 0
//       Name (_UID, 0) } }
constexpr u8 dsdt_aml[] = {
    0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0A, 0x05, 0x0A, 0x05, 0x00, 0x00,
    0x10, 0x1C, '_', 'S', 'B', '_',                      // ScopeOp, PkgLength 28
    0x5B, 0x82, 0x15, 'P', 'C', 'I', '0',                // DeviceOp, PkgLength 21
    0x08, '_', 'H', 'I', 'D', 0x0C, 0x41, 0xD0, 0x0A, 0x03, // DWord 0x030AD041: PNP0A03
    0x08, '_', 'U', 'I', 'D', 0x00,
};

// And, when the machine has the acpi_pm device's transition register, the OS's
// announcement of an orderly shutdown or restart (§7.3.6) as a write to it:
//   OperationRegion (KTTS, SystemIO, port, 1)
//   Field (KTTS, ByteAcc, NoLock, Preserve) { TTSV, 8 }
//   Method (_TTS, 1) { Store (Arg0, TTSV) }
constexpr u8 tts_aml[] = {
    0x5B, 0x80, 'K', 'T', 'T', 'S', 0x01, 0x0B, 0x00, 0x00, 0x01, // OpRegionOp; WordPrefix port (patched), One
    0x5B, 0x81, 0x0B, 'K', 'T', 'T', 'S', 0x01, 'T', 'T', 'S', 'V', 0x08, // FieldOp, PkgLength 11, ByteAcc
    0x14, 0x0C, '_', 'T', 'T', 'S', 0x01, 0x70, 0x68, 'T', 'T', 'S', 'V', // MethodOp, PkgLength 12, 1 arg; StoreOp Arg0
};
constexpr u32 tts_port_at = 8; // the WordPrefix's operand in tts_aml

// And, when the machine has an 8042, the keyboard controller as a PC's firmware describes
// it (ACPI 6.5 §6.2.2 _HID, §6.2.2 _CRS, §6.4.2 resource descriptors):
//   Scope (\_SB) { Device (KBD_) {
//       Name (_HID, EisaId ("PNP0303"))
//       Name (_CRS, ResourceTemplate () {
//           IO (Decode16, data, data, 1, 1)  IO (Decode16, command, command, 1, 1)
//           IRQNoFlags () { irq } }) } }
// No PNP0F13: it has no auxiliary port.
constexpr u8 kbd_aml[] = {
    0x10, 0x34, '_', 'S', 'B', '_',                          // ScopeOp, PkgLength 52
    0x5B, 0x82, 0x2D, 'K', 'B', 'D', '_',                    // DeviceOp, PkgLength 45
    0x08, '_', 'H', 'I', 'D', 0x0C, 0x41, 0xD0, 0x03, 0x03,  // DWord 0x0303D041: PNP0303
    0x08, '_', 'C', 'R', 'S', 0x11, 0x18, 0x0A, 0x15,        // BufferOp, PkgLength 24, 21 bytes:
    0x47, 0x01, 0x60, 0x00, 0x60, 0x00, 0x01, 0x01,          //   IO, 16-bit decode (ports patched)
    0x47, 0x01, 0x64, 0x00, 0x64, 0x00, 0x01, 0x01,          //   IO
    0x22, 0x02, 0x00,                                        //   IRQ mask (patched)
    0x79, 0x00,                                              //   end tag, checksum 0: none
};
constexpr u32 kbd_data_port_at = 34, kbd_command_port_at = 42, kbd_irq_mask_at = 49; // in kbd_aml
static_assert(sizeof(kbd_aml) == 53, "the PkgLengths above count these bytes");

} // namespace

u8 checksum(const u8* bytes, usize length)
{
    u8 sum = 0;
    for (usize i = 0; i < length; ++i)
        sum = static_cast<u8>(sum + bytes[i]);
    return sum;
}

Image build(const Platform& p, u64 base)
{
    Image image;
    image.base = base;
    image.rsdp_address = base + rsdp_at;
    image.bytes.resize(image_size);
    fill_memory(image.bytes.data(), 0, image_size);
    Writer w(image.bytes);
    auto address = [&](u32 at) { return base + at; };

    // MADT (§5.2.12): the local APIC, the IOAPIC, the ISA overrides, LINT1 as NMI.
    u32 m = madt_at + header_size;
    w.le_at(m, p.lapic_address, 4);
    w.le_at(m + 4, p.has_8259 ? 1 : 0, 4); // PCAT_COMPAT: the 8259s are there (to be masked)
    m += 8;
    w.u8_at(m, 0), w.u8_at(m + 1, 8), w.u8_at(m + 2, 0), w.u8_at(m + 3, 0), w.le_at(m + 4, 1, 4); // processor 0, APIC ID 0, enabled
    m += 8;
    if (p.has_ioapic) {
        w.u8_at(m, 1), w.u8_at(m + 1, 12), w.u8_at(m + 2, p.ioapic_id), w.u8_at(m + 3, 0);
        w.le_at(m + 4, p.ioapic_address, 4);
        w.le_at(m + 8, 0, 4); // its pins are GSIs 0-23
        m += 12;
        for (const InterruptOverride& o : p.overrides) {
            w.u8_at(m, 2), w.u8_at(m + 1, 10), w.u8_at(m + 2, 0), w.u8_at(m + 3, o.isa_irq);
            w.le_at(m + 4, o.gsi, 4);
            w.le_at(m + 8, o.flags, 2);
            m += 10;
        }
    }
    w.u8_at(m, 4), w.u8_at(m + 1, 6), w.u8_at(m + 2, 0xFF), w.le_at(m + 3, 0, 2), w.u8_at(m + 5, 1); // LINT1: NMI, every processor
    m += 6;
    u32 madt_length = m - madt_at;
    w.header(madt_at, "APIC", madt_length, 3);
    w.seal(madt_at, madt_length, madt_at + 9);

    // DSDT (§5.2.11.1): \_S5, the PCI host bridge, \_TTS, the keyboard controller.
    // Revision 2: 64-bit AML integers.
    u32 d = dsdt_at + header_size;
    for (u8 byte : dsdt_aml)
        w.u8_at(d++, byte);
    if (p.transition_port) {
        for (u8 byte : tts_aml)
            w.u8_at(d++, byte);
        w.le_at(d - sizeof(tts_aml) + tts_port_at, p.transition_port, 2);
    }
    if (p.has_i8042) {
        u32 kbd = d;
        for (u8 byte : kbd_aml)
            w.u8_at(d++, byte);
        for (u32 at : { kbd_data_port_at, kbd_command_port_at })
            for (u32 field = 0; field < 4; field += 2) // minimum and maximum
                w.le_at(kbd + at + field, at == kbd_data_port_at ? p.i8042_data_port : p.i8042_command_port, 2);
        w.le_at(kbd + kbd_irq_mask_at, 1u << p.i8042_irq, 2);
    }
    static_assert(dsdt_at + header_size + sizeof(dsdt_aml) + sizeof(tts_aml) + sizeof(kbd_aml) <= madt_at, "the DSDT fits");
    u32 dsdt_length = d - dsdt_at;
    w.header(dsdt_at, "DSDT", dsdt_length, 2);
    w.seal(dsdt_at, dsdt_length, dsdt_at + 9);

    // FACS (§5.2.10): no checksum; version 2.
    w.text_at(facs_at, "FACS", 4);
    w.le_at(facs_at + 4, facs_size, 4);
    w.u8_at(facs_at + 32, 2);

    // FADT (§5.2.9).
    u32 f = fadt_at;
    w.header(f, "FACP", fadt_size, 4);
    w.le_at(f + 36, address(facs_at), 4); // FIRMWARE_CTRL (X_FIRMWARE_CTRL stays 0)
    w.le_at(f + 40, address(dsdt_at), 4); // DSDT
    w.le_at(f + 46, p.sci_irq, 2);        // SCI_INT; SMI_CMD 0: ACPI mode is always on
    if (p.pm_base) {
        w.le_at(f + 56, p.pm_base, 4);     // PM1a_EVT_BLK
        w.le_at(f + 64, p.pm_base + 4, 4); // PM1a_CNT_BLK
        w.le_at(f + 76, p.pm_base + 8, 4); // PM_TMR_BLK
        w.u8_at(f + 88, 4);                // PM1_EVT_LEN
        w.u8_at(f + 89, 2);                // PM1_CNT_LEN
        w.u8_at(f + 91, 4);                // PM_TMR_LEN
    }
    w.le_at(f + 96, 0x0FFF, 2); // P_LVL2_LAT > 100: no C2
    w.le_at(f + 98, 0x0FFF, 2); // P_LVL3_LAT > 1000: no C3
    w.le_at(f + 109, (p.has_8259 ? 1 : 0) | (p.has_i8042 ? 2 : 0), 2); // IAPC_BOOT_ARCH: legacy devices, 8042
    // Flags: WBINVD, PROC_C1, PWR_BUTTON and SLP_BUTTON (none as fixed hardware),
    // RESET_REG_SUP when the reset register exists. TMR_VAL_EXT clear: a 24-bit timer.
    w.le_at(f + 112, 0x1 | 0x4 | 0x10 | 0x20 | (p.reset_register ? 0x400 : 0), 4);
    if (p.reset_register) {
        w.io_address(f + 116, 0xCF9, 8, 1); // RESET_REG: the PIIX3 reset control register
        w.u8_at(f + 128, 0x06);             // RESET_VALUE: full reset (SRST | RCPU)
    }
    w.le_at(f + 140, address(dsdt_at), 8); // X_DSDT
    if (p.pm_base) {
        w.io_address(f + 148, p.pm_base, 32, 2);     // X_PM1a_EVT_BLK
        w.io_address(f + 172, p.pm_base + 4, 16, 2); // X_PM1a_CNT_BLK
        w.io_address(f + 208, p.pm_base + 8, 32, 3); // X_PM_TMR_BLK
    }
    w.seal(f, fadt_size, f + 9);

    // RSDT and XSDT (§5.2.7, §5.2.8): the FADT and the MADT.
    w.header(rsdt_at, "RSDT", header_size + 8, 1);
    w.le_at(rsdt_at + header_size, address(fadt_at), 4);
    w.le_at(rsdt_at + header_size + 4, address(madt_at), 4);
    w.seal(rsdt_at, header_size + 8, rsdt_at + 9);
    w.header(xsdt_at, "XSDT", header_size + 16, 1);
    w.le_at(xsdt_at + header_size, address(fadt_at), 8);
    w.le_at(xsdt_at + header_size + 8, address(madt_at), 8);
    w.seal(xsdt_at, header_size + 16, xsdt_at + 9);

    // RSDP (§5.2.5.3), revision 2: checksum of the first 20 bytes, extended of all 36.
    w.text_at(rsdp_at, "RSD PTR ", 8);
    w.text_at(rsdp_at + 9, "KEEL  ", 6);
    w.u8_at(rsdp_at + 15, 2);
    w.le_at(rsdp_at + 16, address(rsdt_at), 4);
    w.le_at(rsdp_at + 20, 36, 4);
    w.le_at(rsdp_at + 24, address(xsdt_at), 8);
    w.seal(rsdp_at, 20, rsdp_at + 8);
    w.seal(rsdp_at, 36, rsdp_at + 32);
    return image;
}

} // namespace keel::machine::acpi
