#pragma once
// Plugin loading in a Linux process: the same loader as the kernel (dbt/loader/
// shared_object.h), with mmap/mprotect for memory and the process's own dynamic symbols
// (dlsym; the keel binary is linked with --export-dynamic) for the plugins' imports.
#include "dbt/loader/shared_object.h"

namespace keel::hosted {

class LinuxImageMemory final : public ImageMemory {
public:
    u8* reserve(usize size) override;
    void release(u8* base, usize size) override;
    Result<void> protect(u8* address, usize size, bool writable, bool executable) override;
};

class ProcessSymbolResolver final : public SymbolResolver {
public:
    u64 resolve(const char* name) override;
};

} // namespace keel::hosted
