#pragma once
// The machine keel runs for now: guest RAM, an x86-64 CPU in the test-guest entry state
// (docs/test-guest-entry-state.md), COM1, the 8259 pair, the 8254 PIT (IRQ0), the CMOS RTC
// (IRQ8), the local APIC with its timer, PCI configuration space with an i440FX host
// bridge and a PIIX3 ISA bridge, the VGA text buffer (mirrored to the console) and
// the debug-exit port, wired as on a PC. (Issue 4 replaces this with machines/pc.cfg and
// device plugins.) Both hosts build it (the
// keel command and the UEFI kernel), as do the tests and benchmarks; the host supplies
// its HostServices and where COM1's output goes.
#include "dbt/engine/engine.h"
#include "plugins/devices/debug_exit/debug_exit.h"
#include "plugins/devices/cmos_rtc/cmos_rtc.h"
#include "plugins/devices/lapic/lapic.h"
#include "plugins/devices/pci/pci.h"
#include "plugins/devices/pic8259/pic8259.h"
#include "plugins/devices/pit8254/pit8254.h"
#include "plugins/devices/uart16550/uart16550.h"
#include "plugins/devices/vga_text/vga_text.h"

namespace keel::machine {

struct TestPcConfig {
    // The CPU: from an architecture plugin, or the built-in x86 (tests). Not owned.
    Arch* arch = nullptr;
    u64 ram_size = 256 * MiB;
    devices::Uart16550::Output console = nullptr; // where COM1 output goes (null: dropped)
    void* console_context = nullptr;
};

class TestPc {
public:
    static Result<TestPc*> create(HostServices& host, const TestPcConfig& config);
    ~TestPc();

    Engine& engine() { return *m_engine; }
    Arch& arch() { return *m_arch; }

    // Loads an ELF64 executable from memory and sets up the test-guest entry state at
    // its entry point. `name` is used in error messages.
    Result<void> load_elf(const u8* data, u64 size, const char* name);

    // Shows what the guest left on the VGA text screen (call when a run ends).
    void flush_console() { m_vga->flush(); }

private:
    explicit TestPc(const TestPcConfig& config) : m_arch(config.arch), m_uart(config.console, config.console_context) {}

    Arch* m_arch;
    Engine* m_engine = nullptr;
    devices::Uart16550 m_uart;
    devices::DebugExit* m_debug_exit = nullptr;
    devices::Pic8259Pair* m_pic = nullptr;
    devices::Pit8254* m_pit = nullptr;
    devices::LocalApic* m_lapic = nullptr;
    devices::CmosRtc* m_rtc = nullptr;
    devices::VgaText* m_vga = nullptr;
    devices::PciBus* m_pci = nullptr;
    devices::I440fxHostBridge* m_host_bridge = nullptr;
    devices::Piix3IsaBridge* m_isa_bridge = nullptr;

public:
    devices::Pic8259Pair& pic() { return *m_pic; }
    devices::Pit8254& pit() { return *m_pit; }
    devices::LocalApic& lapic() { return *m_lapic; }
    devices::Uart16550& com1() { return m_uart; }
};

// Host requirements: generated code uses LZCNT, TZCNT (BMI1) and POPCNT.
Result<void> check_host_cpu();

} // namespace keel::machine
