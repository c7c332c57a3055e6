#pragma once
// gnu-efi's UEFI definitions. Only kernel/boot/ includes this: the rest of the kernel runs
// after ExitBootServices and knows nothing of UEFI. EFIAPI functions are called directly
// (GNU_EFI_USE_MS_ABI, set by kernel/CMakeLists.txt), so no libefi is linked: only
// gnu-efi's start-up code and self-relocation (crt0, libgnuefi).
extern "C" {
#include <efi.h>
}
