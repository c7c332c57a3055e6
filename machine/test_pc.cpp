#include "machine/test_pc.h"
#include "dbt/loader/elf_loader.h"

namespace keel::machine {
namespace {
// The TSC rate the local APIC converts TSC-deadline values with. keel's guests read the
// host's TSC; this nominal figure only matters once IA32_TSC_DEADLINE is wired to the
// APIC (not yet).
constexpr u64 nominal_tsc_hz = 1'000'000'000;
void host_cpuid(u32 leaf, u32 subleaf, u32& a, u32& b, u32& c, u32& d)
{
    asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(subleaf));
}
} // namespace

Result<void> check_host_cpu()
{
    u32 a, b, c, d;
    host_cpuid(0, 0, a, b, c, d);
    u32 max_leaf = a;
    host_cpuid(0x80000000, 0, a, b, c, d);
    u32 max_extended = a;
    host_cpuid(1, 0, a, b, c, d);
    bool popcnt = c & (1u << 23);
    bool lzcnt = false, bmi1 = false;
    if (max_extended >= 0x80000001) {
        host_cpuid(0x80000001, 0, a, b, c, d);
        lzcnt = c & (1u << 5);
    }
    if (max_leaf >= 7) {
        host_cpuid(7, 0, a, b, c, d);
        bmi1 = b & (1u << 3);
    }
    if (!popcnt || !lzcnt || !bmi1)
        return Error::formatted("this host CPU lacks%s%s%s, which keel's generated code uses", popcnt ? "" : " POPCNT",
            lzcnt ? "" : " LZCNT", bmi1 ? "" : " BMI1");
    return {};
}

Result<TestPc*> TestPc::create(HostServices& host, const TestPcConfig& config)
{
    TRY(check_host_cpu());
    if (!config.arch)
        return Error::formatted("no guest architecture (the x86_64 plugin was not loaded)");
    auto* pc = new TestPc(config);
    EngineConfig engine_config;
    engine_config.ram_size = config.ram_size;
    // The PC's legacy window: VGA memory and the BIOS area are not RAM.
    engine_config.ram_hole_start = 0xA0000;
    engine_config.ram_hole_end = 0x100000;
    auto engine = Engine::create(host, *pc->m_arch, engine_config);
    if (engine.is_error()) {
        delete pc;
        return engine.release_error();
    }
    pc->m_engine = engine.release_value();
    Engine& vm = *pc->m_engine;
    pc->m_debug_exit = new devices::DebugExit(vm);
    // The 8259 pair drives the CPU's INTR; the PIT's OUT0 is IRQ0 (PC/AT wiring).
    pc->m_pic = new devices::Pic8259Pair(InterruptLine { &vm.cpu_interrupt_pin(), 0 });
    pc->m_pit = new devices::Pit8254(vm.clock(), InterruptLine { pc->m_pic, 0 });
    // The CPU asks the local APIC first, then the 8259s (their INTR as ExtINT).
    pc->m_lapic = new devices::LocalApic(vm.clock(), 0, nominal_tsc_hz);
    vm.add_interrupt_controller(pc->m_lapic);
    vm.add_interrupt_controller(pc->m_pic);
    devices::CmosConfig cmos;
    cmos.ram_bytes = config.ram_size;
    pc->m_rtc = new devices::CmosRtc(vm.clock(), InterruptLine { pc->m_pic, 8 }, host.wall_clock_seconds(), cmos);
    pc->m_vga = new devices::VgaText(config.console, config.console_context);
    pc->m_uart.set_irq_line(InterruptLine { pc->m_pic, 4 });
    pc->m_pci = new devices::PciBus();
    pc->m_host_bridge = new devices::I440fxHostBridge();
    pc->m_isa_bridge = new devices::Piix3IsaBridge();
    using Pic = devices::Pic8259Pair;
    using Pit = devices::Pit8254;
    auto added = vm.io().add(devices::Uart16550::com1_base, devices::Uart16550::port_count, &pc->m_uart, "com1");
    if (!added.is_error())
        added = vm.io().add(devices::DebugExit::default_port, 1, pc->m_debug_exit, "debug-exit");
    if (!added.is_error())
        added = vm.io().add(Pic::master_base, Pic::port_count, pc->m_pic, "pic-master");
    if (!added.is_error())
        added = vm.io().add(Pic::slave_base, Pic::port_count, pc->m_pic, "pic-slave");
    if (!added.is_error())
        added = vm.io().add(Pic::elcr_base, Pic::port_count, pc->m_pic, "pic-elcr");
    if (!added.is_error())
        added = vm.io().add(Pit::base, Pit::port_count, pc->m_pit, "pit");
    if (!added.is_error())
        added = vm.io().add(Pit::port_b, 1, pc->m_pit, "port61");
    if (!added.is_error())
        added = pc->m_pci->add_function(0, 0, pc->m_host_bridge);
    if (!added.is_error())
        added = pc->m_pci->add_function(1, 0, pc->m_isa_bridge);
    if (!added.is_error())
        added = vm.io().add(devices::PciBus::config_address_port, devices::PciBus::port_count, pc->m_pci, "pci-conf");
    if (!added.is_error())
        added = vm.io().add(devices::CmosRtc::base, devices::CmosRtc::port_count, pc->m_rtc, "rtc");
    if (!added.is_error())
        added = vm.io().add(devices::VgaText::crtc_index_port, 2, pc->m_vga, "vga-crtc");
    if (!added.is_error())
        added = vm.io().add(devices::VgaText::input_status_port, 1, pc->m_vga, "vga-status");
    if (!added.is_error())
        added = vm.memory().add_mmio(devices::VgaText::mmio_base, devices::VgaText::mmio_size, pc->m_vga, "vga-text");
    if (!added.is_error())
        added = vm.memory().add_mmio(devices::LocalApic::mmio_base, devices::LocalApic::mmio_size, pc->m_lapic, "lapic");
    if (added.is_error()) {
        delete pc;
        return added.release_error();
    }
    return pc;
}

TestPc::~TestPc()
{
    // Devices first: they hold the engine's clock and interrupt pin.
    delete m_pit;
    delete m_pic;
    delete m_lapic;
    delete m_rtc;
    delete m_vga;
    delete m_pci;
    delete m_host_bridge;
    delete m_isa_bridge;
    delete m_engine;
    delete m_debug_exit;
}

Result<void> TestPc::load_elf(const u8* data, u64 size, const char* name)
{
    u64 limit = m_arch->test_image_limit(m_engine->ram_size());
    LoadedImage image = TRY(load_elf_executable(data, size, name, m_engine->memory(), limit));
    return m_arch->enter_test_state(*m_engine, image.entry);
}

} // namespace keel::machine
