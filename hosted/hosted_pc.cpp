#include "hosted/hosted_pc.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

namespace keel::hosted {

Result<HostedPc*> HostedPc::create(const HostedPcConfig& config)
{
    auto* hosted = new HostedPc(config.code_cache_size);
    if (config.perf_map)
        hosted->m_host.enable_perf_map();
    auto created = machine::Machine::create(hosted->m_host, config.machine);
    if (created.is_error()) {
        delete hosted;
        return created.release_error();
    }
    hosted->m_machine = created.release_value();
    return hosted;
}

HostedPc::~HostedPc() { delete m_machine; }

Result<void> read_file(const char* path, Vector<u8>& bytes)
{
    FILE* f = fopen(path, "rb");
    if (!f)
        return Error::formatted("%s: %s", path, strerror(errno));
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
    return {};
}

Result<void> HostedPc::load_elf_file(const char* path)
{
    Vector<u8> bytes;
    TRY(read_file(path, bytes));
    return m_machine->load_elf(bytes.data(), bytes.size(), path);
}

} // namespace keel::hosted
