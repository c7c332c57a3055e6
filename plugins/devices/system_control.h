#pragma once
// The reset and A20 lines of the PC's system control logic, which two devices drive: the
// keyboard controller's output port (I8042) and System Control Port A (Port92). On a PC
// the chipset resets the machine on either's reset line and gates A20 with the OR of their
// two A20 bits (PIIX4: A20M# is asserted only when both are 0), so the machine keeps them
// apart and ORs them.
namespace keel::devices {

struct SystemControl {
    void* context = nullptr;
    void (*reset_system)(void* context) = nullptr;           // may be null
    void (*a20_changed)(void* context, bool enabled) = nullptr; // may be null
};

} // namespace keel::devices
