#include "hosted/test_pc.h"
#include <cpuid.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "dbt/loader/elf_loader.h"
#include "plugins/arch/x86/boot/test_entry_state.h"

namespace keel::hosted {

Result<void> check_host_cpu()
{
    unsigned a, b, c, d;
    bool popcnt = __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 23));
    bool lzcnt = __get_cpuid(0x80000001, &a, &b, &c, &d) && (c & (1u << 5));
    bool bmi1 = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 3));
    if (!popcnt || !lzcnt || !bmi1)
        return Error::formatted("this host CPU lacks%s%s%s, which keel's generated code uses", popcnt ? "" : " POPCNT",
            lzcnt ? "" : " LZCNT", bmi1 ? "" : " BMI1");
    return {};
}

Result<TestPc*> TestPc::create(const TestPcConfig& config)
{
    TRY(check_host_cpu());
    auto* pc = new TestPc(config);
    if (config.perf_map)
        pc->m_host.enable_perf_map();
    EngineConfig engine_config;
    engine_config.ram_size = config.ram_size;
    auto engine = Engine::create(pc->m_host, pc->m_arch, engine_config);
    if (engine.is_error()) {
        delete pc;
        return engine.release_error();
    }
    pc->m_engine = engine.release_value();
    pc->m_debug_exit = new devices::DebugExit(*pc->m_engine);
    auto added = pc->m_engine->io().add(devices::Uart16550::com1_base, devices::Uart16550::port_count, &pc->m_uart, "com1");
    if (!added.is_error())
        added = pc->m_engine->io().add(devices::DebugExit::default_port, 1, pc->m_debug_exit, "debug-exit");
    if (added.is_error()) {
        delete pc;
        return added.release_error();
    }
    return pc;
}

TestPc::~TestPc()
{
    delete m_engine;
    delete m_debug_exit;
}

Result<void> TestPc::load_elf(const u8* data, u64 size, const char* name)
{
    u64 limit = x86::test_entry_area(m_engine->ram_size());
    LoadedImage image = TRY(load_elf_executable(data, size, name, m_engine->memory(), limit));
    return x86::setup_test_entry_state(*m_engine, image.entry);
}

Result<void> TestPc::load_elf_file(const char* path)
{
    FILE* f = fopen(path, "rb");
    if (!f)
        return Error::formatted("%s: %s", path, strerror(errno));
    Vector<u8> bytes;
    u8 chunk[65536];
    for (;;) {
        usize n = fread(chunk, 1, sizeof(chunk), f);
        for (usize i = 0; i < n; ++i)
            bytes.append(chunk[i]);
        if (n < sizeof(chunk))
            break;
    }
    bool failed = ferror(f);
    fclose(f);
    if (failed)
        return Error::formatted("%s: read error", path);
    return load_elf(bytes.data(), bytes.size(), path);
}

} // namespace keel::hosted
