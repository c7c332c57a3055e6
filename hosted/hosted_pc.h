#pragma once
// machine::Machine in a Linux process: owns the LinuxHostServices it runs on (mmap'd guest
// RAM and translation cache) and loads guests from files. The keel command, the tests,
// the differential tester and the benchmarks all start machines through this.
#include "hosted/linux_host_services.h"
#include "machine/machine.h"

namespace keel::hosted {

struct HostedPcConfig {
    machine::MachineConfig machine;
    u64 code_cache_size = 256 * MiB;
    bool perf_map = false;
};

class HostedPc {
public:
    static Result<HostedPc*> create(const HostedPcConfig& config);
    ~HostedPc();

    machine::Machine& machine() { return *m_machine; }
    Engine& engine() { return m_machine->engine(); }
    Arch& arch() { return m_machine->arch(); }

    Result<void> load_elf(const u8* data, u64 size, const char* name) { return m_machine->load_elf(data, size, name); }
    Result<void> load_elf_file(const char* path);
    // -kernel FILE [-initrd FILE] [-append TEXT] [-linux-entry 32]: an ELF test guest, a
    // Linux bzImage or a Multiboot kernel.
    Result<void> load_kernel_file(const char* path, const char* initrd_path, const char* append, bool linux_entry32 = false);

private:
    explicit HostedPc(u64 code_cache_size) : m_host(code_cache_size) {}

    LinuxHostServices m_host;
    machine::Machine* m_machine = nullptr;
};

// Reads a whole file (for guests and machine descriptions given on the command line), at
// most max_size bytes: more is an error naming the file, so a device that never ends
// (-kernel /dev/zero) is refused instead of filling memory. A directory is refused too.
Result<void> read_file(const char* path, Vector<u8>& bytes, u64 max_size);

// The bounds keel reads files to. A guest image is loaded whole into guest RAM (default
// 256 MiB); test guests and kernels are a few MiB, so a larger file is a mistake, not a
// guest. A machine description is a few lines of text.
constexpr u64 max_guest_image_size = 256 * MiB;
constexpr u64 max_machine_description_size = 1 * MiB;
// An initramfs is read up to the guest's RAM size, and never past this (ramdisk_size is 32 bits).
constexpr u64 max_initrd_size = 4 * GiB - 1;

} // namespace keel::hosted
