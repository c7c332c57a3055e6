#pragma once
// Reading files from the ESP keel was loaded from (UEFI Simple File System protocol, UEFI
// spec §13.4–13.5), before ExitBootServices.
#include "kernel/boot/boot_info.h"
#include "kernel/boot/uefi.h"

namespace keel::kernel {

class EspVolume {
public:
    // The volume holding keel's own image (EFI_LOADED_IMAGE_PROTOCOL.DeviceHandle).
    static Result<EspVolume> open(EFI_HANDLE image, EFI_BOOT_SERVICES* boot_services);

    // Reads `path` ("guests/demo.elf", relative to the volume root; '/' or '\\') into pool
    // memory that survives ExitBootServices. Failures are recorded in file.error.
    void read(const char* path, LoadedFile& file);

    // Calls `found` with the path ("dir/name") of every regular file in `directory` whose
    // name ends with `suffix`. A missing folder lists nothing.
    void list(const char* directory, const char* suffix, void (*found)(void* context, const char* path), void* context);

private:
    EFI_BOOT_SERVICES* m_boot_services = nullptr;
    EFI_FILE_HANDLE m_root = nullptr;
};

} // namespace keel::kernel
