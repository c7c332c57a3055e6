#pragma once
// Where plugins live in the kernel: the plugins region (kernel/mm/layout.h), mapped page by
// page with the protections the loader asks for (W^X), frames from the frame allocator.
#include "dbt/loader/shared_object.h"

namespace keel::kernel {

class KernelImageMemory final : public ImageMemory {
public:
    u8* reserve(usize size) override;
    void release(u8* base, usize size) override;
    Result<void> protect(u8* address, usize size, bool writable, bool executable) override;
};

} // namespace keel::kernel
