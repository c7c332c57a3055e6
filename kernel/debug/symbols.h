#pragma once
// The kernel's own symbol table, for panics and backtraces. The build writes keel.sym with
// `nm --defined-only -C -n keel.so` (lines "<hex address> <type> <name>"); the boot stage
// reads it from the ESP and kernel_main hands it to load(). keel.so is linked at 0, so
// the addresses are offsets from ImageBase (the image's first byte, wherever UEFI put it).
// Without the file, or with one that does not match the kernel, lookups fail and
// addresses print bare.
#include "dbt/base/types.h"

namespace keel::kernel::symbols {

// Parses the text of keel.sym (need not be NUL-terminated) and keeps the text symbols
// (types t, T, w, W) that lie in the kernel's .text. Needs the heap. Reports what it
// loaded, or why it ignored the file, on the serial console. Call once.
void load(const char* text, usize length);

// The symbol containing a runtime address: its name and the address's offset from it.
bool lookup(u64 address, const char*& name, u64& offset);

usize count();

// Where the image is at run time (&ImageBase) and whether an address is in its code.
u64 image_base();
bool in_kernel_text(u64 address);

} // namespace keel::kernel::symbols
