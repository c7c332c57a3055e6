#pragma once
// Physical 4 KiB frames, from the usable ranges of the firmware's memory map. Frames are
// reached through the identity map, so a freed frame holds the link to the next free one.
#include "dbt/base/types.h"

namespace keel::kernel::frames {

void add_range(u64 base, u64 size); // page-aligned inward; frames below 1 MiB are skipped
u64 allocate();                     // a frame's physical address, or 0 when none is left
u64 allocate_zeroed();
void free(u64 frame);

u64 total_bytes();
u64 free_bytes();

} // namespace keel::kernel::frames
