#pragma once
// `info mtree`, as QEMU's monitor prints it: every RAM, ROM and MMIO region of the
// guest-physical address space and every claimed port range, each with its owner.
#include "dbt/base/string_builder.h"
#include "dbt/engine/io_bus.h"
#include "dbt/mmu/physical_memory.h"

namespace keel {

void describe_memory_tree(const PhysicalMemory& memory, const IoBus& io, StringBuilder& out);

} // namespace keel
