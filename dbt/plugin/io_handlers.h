#pragma once
// How devices answer the guest's port I/O, MMIO and device MSR accesses (part of the
// plugin ABI).
#include "dbt/base/types.h"

namespace keel {

class PortHandler {
public:
    virtual ~PortHandler() = default;
    virtual u32 io_read(u16 port, unsigned size) = 0;
    virtual void io_write(u16 port, u32 value, unsigned size) = 0;
};

class MmioHandler {
public:
    virtual ~MmioHandler() = default;
    virtual u64 mmio_read(u64 offset, unsigned size) = 0;
    virtual void mmio_write(u64 offset, u64 value, unsigned size) = 0;
};

// Model-specific registers that live in a device (x86: IA32_APIC_BASE and
// IA32_TSC_DEADLINE in the local APIC, Intel SDM vol. 3 §10.4.4 and §10.5.4.1).
enum class MsrAccess : u8 {
    NotMine, // `index` is not this device's MSR: ask the next one
    Done,
    Fault,   // the access is invalid (reserved bits): the CPU raises #GP(0)
};

class MsrHandler {
public:
    virtual ~MsrHandler() = default;
    virtual MsrAccess msr_read(u32 index, u64& value) = 0;
    virtual MsrAccess msr_write(u32 index, u64 value) = 0;
};

} // namespace keel
