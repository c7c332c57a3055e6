#include "hosted/plugin_memory.h"
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

namespace keel::hosted {

u8* LinuxImageMemory::reserve(usize size)
{
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : static_cast<u8*>(p);
}

void LinuxImageMemory::release(u8* base, usize size) { munmap(base, size); }

Result<void> LinuxImageMemory::protect(u8* address, usize size, bool writable, bool executable)
{
    int protection = PROT_READ | (writable ? PROT_WRITE : 0) | (executable ? PROT_EXEC : 0);
    if (mprotect(address, size, protection) != 0)
        return Error::formatted("mprotect: %s", strerror(errno));
    return {};
}

u64 ProcessSymbolResolver::resolve(const char* name) { return reinterpret_cast<u64>(dlsym(RTLD_DEFAULT, name)); }

} // namespace keel::hosted
