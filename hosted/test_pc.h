#pragma once
// The machine the keel command runs for now: guest RAM, an x86-64 CPU in the test-guest
// entry state, COM1 and the debug-exit port. Tests, the differential tester and the
// benchmarks build the same machine.
#include "dbt/engine/engine.h"
#include "hosted/linux_host_services.h"
#include "plugins/arch/x86/x86_arch.h"
#include "plugins/devices/debug_exit/debug_exit.h"
#include "plugins/devices/uart16550/uart16550.h"

namespace keel::hosted {

struct TestPcConfig {
    u64 ram_size = 256 * MiB;
    u64 code_cache_size = 256 * MiB;
    devices::Uart16550::Output console = nullptr; // where COM1 output goes
    void* console_context = nullptr;
    bool perf_map = false;
};

class TestPc {
public:
    static Result<TestPc*> create(const TestPcConfig& config);
    ~TestPc();

    Engine& engine() { return *m_engine; }
    x86::X86Arch& arch() { return m_arch; }

    // Loads an ELF64 executable from a file or from memory, and sets up the test-guest
    // entry state at its entry point.
    Result<void> load_elf_file(const char* path);
    Result<void> load_elf(const u8* data, u64 size, const char* name);

private:
    TestPc(const TestPcConfig& config) : m_host(config.code_cache_size), m_uart(config.console, config.console_context) {}

    LinuxHostServices m_host;
    x86::X86Arch m_arch;
    Engine* m_engine = nullptr;
    devices::Uart16550 m_uart;
    devices::DebugExit* m_debug_exit = nullptr;
};

// Host requirements: generated code uses LZCNT, TZCNT (BMI1) and POPCNT.
Result<void> check_host_cpu();

} // namespace keel::hosted
