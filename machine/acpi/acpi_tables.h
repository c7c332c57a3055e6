#pragma once
// The ACPI tables keel generates for a machine (ACPI 6.5, chapter 5), so that an operating
// system finds its interrupt controllers and the power-management hardware the way it does
// on a PC: RSDP -> RSDT/XSDT -> FADT (-> FACS, DSDT with \_S5 and \_TTS) and MADT. Built from what
// the machine description declares (machine.cpp: install_acpi_tables), into a ROM image
// the machine maps in the BIOS area, where an OS scans for the RSDP. docs/linux.md.
#include "dbt/base/vector.h"
#include "dbt/base/types.h"

namespace keel::machine::acpi {

// An ISA interrupt that reaches the IOAPIC on another pin, or with other electrical
// characteristics, than ISA's identity, edge-triggered, active-high default.
struct InterruptOverride {
    u8 isa_irq;
    u32 gsi;
    u16 flags; // MPS INTI flags: polarity (bits 0-1), trigger mode (bits 2-3)
};
constexpr u16 level_active_high = 0x000D; // the SCI, as on PIIX4 boards

// The acpi_pm device's transition register, from its block's base (AcpiPm, which a
// plugin cannot share a header with: the two constants are one contract).
constexpr u16 pm_transition_offset = 12;

struct Platform {
    u64 lapic_address = 0xFEE00000;
    bool has_ioapic = false;
    u8 ioapic_id = 0;
    u32 ioapic_address = 0xFEC00000;
    bool has_8259 = false;     // MADT PCAT_COMPAT
    bool has_i8042 = false;    // FADT IAPC_BOOT_ARCH 8042
    // The 8042's ports and ISA interrupt for the DSDT's keyboard controller (PNP0303). It
    // has no auxiliary (mouse) port, so the DSDT has no PNP0F13: an OS that enumerates PS/2
    // through ACPI then knows not to probe for one (Linux: "PNP: PS/2 appears to have AUX
    // port disabled", instead of loopback tests that time out after 0.75 s).
    u16 i8042_data_port = 0x60;
    u16 i8042_command_port = 0x64;
    u8 i8042_irq = 1;
    u16 pm_base = 0;           // the acpi_pm block (PM1a event, control, timer); 0: none
    u8 sci_irq = 9;
    // The acpi_pm transition register the DSDT's \_TTS writes (0: no \_TTS).
    u16 transition_port = 0;
    bool reset_register = false; // the PIIX3 reset control register at 0xCF9
    Vector<InterruptOverride> overrides;
};

struct Image {
    Vector<u8> bytes;      // to be mapped at `base`
    u64 base = 0;
    u64 rsdp_address = 0;
};

// Lays the tables out for guest-physical `base` (16-byte aligned), `size` bytes at most.
Image build(const Platform& platform, u64 base);

// The 8-bit checksum rule every table keeps: all its bytes sum to 0.
u8 checksum(const u8* bytes, usize length);

} // namespace keel::machine::acpi
