#pragma once
// ACPI fixed hardware, as the PIIX4's power-management function has it (Intel 82371AB
// PIIX4 data sheet, "Power Management Registers"; ACPI 6.5 §4.8): the PM1a event block
// (PM1_STS, PM1_EN), the PM1a control block (PM1_CNT: SCI_EN, SLP_TYP, SLP_EN) and the
// 24-bit power-management timer at 3.579545 MHz, at
//
//   base + 0  PM1_STS (16 bits, write 1 to clear)     base + 4  PM1_CNT (16 bits)
//   base + 2  PM1_EN  (16 bits)                       base + 8  PM_TMR  (32 bits, read-only)
//   base + 12 TRANSITION (8 bits): keel's own, written by the DSDT's \_TTS method with the
//             sleep state the OS is about to enter (5 for power-off and restart alike)
//
// keel's ACPI tables (machine/acpi) describe it in the FADT; the DSDT's \_S5 package gives
// SLP_TYP 5, so writing SLP_TYP=5 with SLP_EN powers the machine off (the run ends with
// MachineServices::request_shutdown(power_off_status)). A write to TRANSITION tells the
// machine the OS is shutting down or restarting in order (note_orderly_shutdown), so that
// a reset after it is an orderly reboot and one without it an emergency (a panic). The
// ACPI reset register is the PIIX3's 0xCF9 (the pci device). docs/devices/acpi_pm.md.
#include "dbt/plugin/device.h"
#include "dbt/plugin/virtual_clock.h"

namespace keel::devices {

class AcpiPm final : public Device {
public:
    static constexpr u8 state_version = 2;
    static constexpr u16 block_size = 16;
    static constexpr u16 transition_offset = 12; // machine/acpi: acpi::pm_transition_offset
    static constexpr u64 timer_hz = 3579545;     // ACPI 6.5 §4.8.3.3
    static constexpr u16 s5_sleep_type = 5;      // the DSDT's \_S5 (machine/acpi)
    static constexpr int power_off_status = 0;   // keel's exit status after an ACPI power-off

    AcpiPm(MachineServices& machine, u16 base) : m_machine(machine), m_base(base) { reset(); }

    const char* name() const override { return "acpi_pm"; }
    void reset() override;
    void save(StateWriter& out) const override;
    Result<void> restore(StateReader& in) override;
    void describe(StringBuilder& out) const override;

    u32 io_read(u16 port, unsigned size) override;
    void io_write(u16 port, u32 value, unsigned size) override;

    u32 timer() const; // PM_TMR now

private:
    u16 read16(unsigned offset) const;
    void write16(unsigned offset, u16 value);

    MachineServices& m_machine;
    u16 m_base;
    u16 m_status = 0; // PM1_STS
    u16 m_enable = 0; // PM1_EN
    u16 m_control = 0; // PM1_CNT without SLP_EN (write-only)
    u8 m_transition = 0; // the last state \_TTS announced (0: none since reset)
};

} // namespace keel::devices
